"""Mesh arrays → a Blender mesh, with `foreach_set` only (no per-vertex Python)."""

import bpy
import numpy as np

UV_MAP_NAME = "Photo"


def write_mesh(mesh, arrays):
    """Fill an empty `mesh` with `arrays` (core.geometry.MeshArrays): vertices, quads and projected UVs."""
    corners = arrays.quads.shape[1]
    quad_count = len(arrays.quads)
    mesh.vertices.add(len(arrays.vertices))
    mesh.vertices.foreach_set("co", arrays.vertices.ravel())
    corner_vertices = np.ascontiguousarray(arrays.quads.ravel(), dtype=np.int32)
    mesh.loops.add(len(corner_vertices))
    mesh.loops.foreach_set("vertex_index", corner_vertices)
    mesh.polygons.add(quad_count)
    mesh.polygons.foreach_set("loop_start", np.arange(0, quad_count * corners, corners, dtype=np.int32))
    uv_layer = mesh.uv_layers.new(name=UV_MAP_NAME)
    uv_layer.data.foreach_set("uv", np.ascontiguousarray(arrays.uvs[corner_vertices], dtype=np.float32).ravel())
    mesh.update()
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
    mesh.uv_layers[UV_MAP_NAME].data.foreach_get("uv", uvs)
    vertex_of_corner = np.empty(len(mesh.loops), dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", vertex_of_corner)
    return uvs.reshape(-1, 2), vertex_of_corner
