"""Mesh arrays → a Blender mesh, with `foreach_set` only (no per-vertex Python)."""

import bpy
import numpy as np

PHOTO_UV_NAME = "Photo"  # the texture as Blender stores the file (EXIF rotation folded in)
DISPLAY_UV_NAME = "Display"  # the upright photo, for textures computed from it


def write_mesh(mesh, arrays):
    """Fill an empty `mesh` with `arrays` (core.geometry.MeshArrays): vertices, quads and projected UVs.

    Writing the generic attributes (`position`, `.corner_vert`, a FLOAT2 corner UV map) is several times faster
    than the legacy `vertices`/`loops` collections; Blender then derives the edges so the mesh is editable.
    """
    corners = arrays.quads.shape[1]
    quad_count = len(arrays.quads)
    corner_vertices = np.ascontiguousarray(arrays.quads.ravel(), dtype=np.int32)
    mesh.vertices.add(len(arrays.vertices))
    mesh.loops.add(len(corner_vertices))
    mesh.polygons.add(quad_count)
    mesh.attributes["position"].data.foreach_set("vector", np.ascontiguousarray(arrays.vertices).ravel())
    mesh.attributes[".corner_vert"].data.foreach_set("value", corner_vertices)
    mesh.polygons.foreach_set("loop_start", np.arange(0, quad_count * corners, corners, dtype=np.int32))
    for name, uvs in ((PHOTO_UV_NAME, arrays.uvs), (DISPLAY_UV_NAME, arrays.display_uvs)):
        uv_map = mesh.attributes.new(name, "FLOAT2", "CORNER")
        uv_map.data.foreach_set("vector", np.ascontiguousarray(uvs[corner_vertices], dtype=np.float32).ravel())
    mesh.uv_layers.active = mesh.uv_layers[PHOTO_UV_NAME]
    mesh.polygons.foreach_set("material_index", arrays.material_indices)
    mesh.update(calc_edges=True)
    return mesh


def new_mesh(name, arrays):
    return write_mesh(bpy.data.meshes.new(name), arrays)


def read_vertices(mesh):
    """Vertex positions as a float32 (N, 3) array."""
    coordinates = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", coordinates)
    return coordinates.reshape(-1, 3)


def read_corner_uvs(mesh):
    """Per-corner UVs (float32 (L, 2)) and the vertex of each corner (int32 (L,))."""
    uvs = np.empty(len(mesh.loops) * 2, dtype=np.float32)
    mesh.uv_layers[PHOTO_UV_NAME].data.foreach_get("uv", uvs)
    vertex_of_corner = np.empty(len(mesh.loops), dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", vertex_of_corner)
    return uvs.reshape(-1, 2), vertex_of_corner
