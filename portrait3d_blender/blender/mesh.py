"""Mesh arrays → a Blender mesh, with `foreach_set` only (no per-vertex Python)."""

import bpy
import numpy as np

PHOTO_UV_NAME = "Photo"  # the texture as Blender stores the file (EXIF rotation folded in)
DISPLAY_UV_NAME = "Display"  # the upright photo, for textures computed from it; only when the file is not upright
FILL_COLOR_NAME = "Fill"  # computed colours per vertex: inpainted background, back-fill behind tears
FOREGROUND_NAME = "Foreground"  # per vertex, 1 on the person: the depth-aware grade's foreground (absent: 0)

# sRGB byte → linear float, the colour space of a FLOAT_COLOR attribute.
_BYTE = np.arange(256) / 255.0
_SRGB_TO_LINEAR = np.where(_BYTE <= 0.04045, _BYTE / 12.92, ((_BYTE + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _set(mesh, name, attribute_type, domain, key, values):
    attribute = mesh.attributes.get(name) or mesh.attributes.new(name, attribute_type, domain)
    attribute.data.foreach_set(key, np.ascontiguousarray(values).ravel())
    return attribute


def write_mesh(mesh, arrays):
    """Fill an empty `mesh` with `arrays` (core.geometry.MeshArrays): vertices, quads, edges, UVs, colours.

    Everything goes through the generic attributes (`position`, `.corner_vert`, `.edge_verts`, `.corner_edge`,
    `material_index`, FLOAT2 corner UV maps), which are plain copies, many times faster than the legacy
    `vertices`/`loops`/`polygons` collections. The edges come with the arrays, so Blender need not derive them.
    """
    corners = arrays.quads.shape[1]
    quad_count = len(arrays.quads)
    corner_vertices = np.ascontiguousarray(arrays.quads.ravel(), dtype=np.int32)
    mesh.vertices.add(len(arrays.vertices))
    mesh.edges.add(len(arrays.edges))
    mesh.loops.add(len(corner_vertices))
    mesh.polygons.add(quad_count)
    mesh.attributes["position"].data.foreach_set("vector", np.ascontiguousarray(arrays.vertices).ravel())
    mesh.attributes[".edge_verts"].data.foreach_set("value", np.ascontiguousarray(arrays.edges, dtype=np.int32).ravel())
    mesh.attributes[".corner_vert"].data.foreach_set("value", corner_vertices)
    mesh.attributes[".corner_edge"].data.foreach_set(
        "value", np.ascontiguousarray(arrays.corner_edges, dtype=np.int32).ravel()
    )
    mesh.polygons.foreach_set("loop_start", np.arange(0, quad_count * corners, corners, dtype=np.int32))
    _set(mesh, PHOTO_UV_NAME, "FLOAT2", "CORNER", "vector", np.take(arrays.uvs, corner_vertices, axis=0))
    if arrays.uvs is not arrays.display_uvs:
        _set(mesh, DISPLAY_UV_NAME, "FLOAT2", "CORNER", "vector", np.take(arrays.display_uvs, corner_vertices, axis=0))
    mesh.uv_layers.active = mesh.uv_layers[PHOTO_UV_NAME]
    _set(mesh, "material_index", "INT", "FACE", "value", np.asarray(arrays.material_indices, dtype=np.int32))
    if arrays.colors is not None:
        linear = np.take(_SRGB_TO_LINEAR, arrays.colors)
        linear[:, 3] = arrays.colors[:, 3] / np.float32(255.0)  # alpha is not colour-managed
        _set(mesh, FILL_COLOR_NAME, "FLOAT_COLOR", "POINT", "color", linear)
        mesh.color_attributes.active_color = mesh.color_attributes[FILL_COLOR_NAME]
    if arrays.foreground is not None:
        _set(mesh, FOREGROUND_NAME, "FLOAT", "POINT", "value", np.asarray(arrays.foreground, dtype=np.float32))
    mesh.update()
    return mesh


def computed_uv_name(mesh):
    """The UV map that addresses the textures we compute (upright): the photo's own when it is stored upright."""
    return DISPLAY_UV_NAME if DISPLAY_UV_NAME in mesh.uv_layers else PHOTO_UV_NAME


def new_mesh(name, arrays):
    return write_mesh(bpy.data.meshes.new(name), arrays)


def replace_geometry(mesh, arrays):
    """Swap `mesh`'s geometry for `arrays` in place: its name, materials and users stay."""
    mesh.clear_geometry()
    return write_mesh(mesh, arrays)
