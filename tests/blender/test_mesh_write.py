"""Mesh arrays written into Blender: a rewrite in place must leave exactly what a fresh write would."""

from dataclasses import replace

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import mesh as blender_mesh  # noqa: E402
from portrait3d_blender.core import pipeline  # noqa: E402


def _contents(mesh):
    """Every attribute of `mesh` (name → values) and its element counts, read back from Blender."""
    contents = {"counts": (len(mesh.vertices), len(mesh.edges), len(mesh.loops), len(mesh.polygons))}
    for attribute in mesh.attributes:
        domain = {"POINT": mesh.vertices, "EDGE": mesh.edges, "CORNER": mesh.loops, "FACE": mesh.polygons}
        size = len(domain[attribute.domain])
        key, width, dtype = {"FLOAT_VECTOR": ("vector", 3, np.float32), "FLOAT2": ("vector", 2, np.float32),
                             "FLOAT_COLOR": ("color", 4, np.float32), "FLOAT": ("value", 1, np.float32),
                             "INT": ("value", 1, np.int32), "INT32_2D": ("value", 2, np.int32),
                             "BOOLEAN": ("value", 1, bool)}[attribute.data_type]
        values = np.empty(size * width, dtype=dtype)
        attribute.data.foreach_get(key, values)
        contents[attribute.name] = values
    return contents


def _assert_same(mesh, expected):
    actual = _contents(mesh)
    assert actual.keys() == expected.keys()
    for name, values in expected.items():
        assert np.array_equal(actual[name], values), name


@pytest.mark.parametrize("layer_index", [0, 1], ids=["subject", "background"])
def test_a_rewrite_in_place_leaves_what_a_fresh_write_would(empty_scene, astronaut_analysis, layer_index,
                                                             monkeypatch):
    """A depth change that tears nothing new (the background) rewrites the vertex values only; one that does
    (the subject) rewrites everything; a hand edit of the mesh is never taken for the same topology."""
    settings = pipeline.Settings(mesh_resolution=96)
    before = pipeline.plan_scene(astronaut_analysis, settings).layers[layer_index].mesh
    after = pipeline.plan_scene(astronaut_analysis, replace(settings, depth_strength=1.6)).layers[layer_index].mesh
    expected = _contents(blender_mesh.new_mesh("fresh", after))
    mesh = blender_mesh.new_mesh("rewritten", before)
    edited = blender_mesh.new_mesh("edited", before)
    full_writes = []
    write_mesh = blender_mesh.write_mesh
    monkeypatch.setattr(blender_mesh, "write_mesh", lambda *args: full_writes.append(1) or write_mesh(*args))
    blender_mesh.replace_geometry(mesh, after)
    _assert_same(mesh, expected)
    assert len(full_writes) == (0 if np.array_equal(before.quads, after.quads) else 1)

    corners = np.empty(len(edited.loops), dtype=np.int32)
    edited.attributes[".corner_vert"].data.foreach_get("value", corners)
    edited.attributes[".corner_vert"].data.foreach_set("value", np.roll(corners.reshape(-1, 4), 1, axis=1).ravel())
    blender_mesh.replace_geometry(edited, after)  # the same counts, quads turned by a corner
    _assert_same(edited, expected)
    assert len(full_writes) == (1 if np.array_equal(before.quads, after.quads) else 2)


def test_the_background_keeps_its_topology_when_only_the_depth_strength_moves(astronaut_analysis):
    """What makes the in-place rewrite pay: the background layer's tears stay put under a depth slider."""
    settings = pipeline.Settings(mesh_resolution=96)
    before = pipeline.plan_scene(astronaut_analysis, settings).layers[1].mesh
    after = pipeline.plan_scene(astronaut_analysis, replace(settings, depth_strength=1.6)).layers[1].mesh
    assert np.array_equal(before.quads, after.quads) and not np.array_equal(before.vertices, after.vertices)
