"""Measurements the tests and the bench make on meshes: read back from Blender, and the rubber-sheet metric."""

import numpy as np


def read_vertices(mesh):
    """A Blender mesh's vertex positions as a float32 (N, 3) array."""
    coordinates = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", coordinates)
    return coordinates.reshape(-1, 3)


def read_corner_uvs(mesh, uv_map="Photo"):
    """A Blender mesh's per-corner UVs on `uv_map` (float32 (L, 2)) and the vertex of each corner (int32 (L,))."""
    uvs = np.empty(len(mesh.loops) * 2, dtype=np.float32)
    mesh.uv_layers[uv_map].data.foreach_get("uv", uvs)
    vertex_of_corner = np.empty(len(mesh.loops), dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", vertex_of_corner)
    return uvs.reshape(-1, 2), vertex_of_corner


def stretched_quad_share(mesh, ratio=20.0):
    """Share of a `core.geometry.MeshArrays`' quads whose longest edge is over `ratio` × their shortest: the
    rubber sheet's signature."""
    corners = mesh.vertices[mesh.quads].astype(np.float64)
    edges = np.linalg.norm(corners - np.roll(corners, -1, axis=1), axis=2)
    return float(np.mean(edges.max(axis=1) > ratio * edges.min(axis=1))) if len(edges) else 0.0


def stretched_share_of_layers(layers, ratio=20.0):
    """`stretched_quad_share` over every layer of a scene plan (`core.layers.Layer`s), weighted by their quads."""
    quads = sum(len(layer.mesh.quads) for layer in layers)
    return sum(stretched_quad_share(layer.mesh, ratio) * len(layer.mesh.quads) for layer in layers) / quads
