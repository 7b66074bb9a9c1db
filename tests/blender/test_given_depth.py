"""A depth map the user gives is the depth of the 3D photo's mesh: the vertices that show the photo lie at it."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from scipy.ndimage import map_coordinates  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from portrait3d_blender.blender import photo3d  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import layers, pipeline  # noqa: E402
from portrait3d_blender.core.depth_source import DepthSource  # noqa: E402
from tests import mesh_checks  # noqa: E402
from tests.conftest import ASTRONAUT  # noqa: E402
from tests.core.test_depth_source import _write, given_nearness  # noqa: E402


@pytest.fixture(scope="module")
def given(tmp_path_factory):
    expected = given_nearness(512, 512)
    path = _write(tmp_path_factory.mktemp("depth") / "astronaut_depth.png", expected, "png16")
    return expected, pipeline.analyse_photo(ASTRONAUT, depth_source=DepthSource("FILE", str(path)))


def _photo_vertices(obj):
    """Positions and upright UVs of the vertices of `obj`'s quads that show the photo (not the computed fill)."""
    mesh = obj.data
    vertices = mesh_checks.read_vertices(mesh)
    uvs, vertex_of_corner = mesh_checks.read_corner_uvs(mesh)
    material = np.empty(len(mesh.polygons), dtype=np.int32)
    mesh.polygons.foreach_get("material_index", material)
    corner_material = np.repeat(material, 4)  # every face is a quad
    shows_photo = vertex_of_corner[corner_material == layers.PHOTO_MATERIAL]
    vertex_uvs = np.zeros((len(vertices), 2), dtype=np.float32)
    vertex_uvs[vertex_of_corner] = uvs
    return vertices[shows_photo], vertex_uvs[shows_photo]


@pytest.mark.parametrize("layered", [True, False])
def test_given_depth_map_is_the_meshs_depth(empty_scene, given, layered):
    expected, analysis = given
    assert analysis.depth_source.kind == "FILE"
    settings = pipeline.Settings(mesh_resolution=128, layered=layered)
    plan = pipeline.plan_scene(analysis, settings)
    photo, _ = blender_scene.build_3d_photo(empty_scene, analysis, plan, settings)
    assert photo.depth_source == analysis.depth_source  # read again after a reload
    for obj in photo.layers:
        vertices, uvs = _photo_vertices(obj)
        depth = vertices[:, 1] - plan.capture_location[1]  # along the capture camera's view axis (+Y)
        rows, columns = expected.shape
        at = [(1.0 - uvs[:, 1]) * rows - 0.5, uvs[:, 0] * columns - 0.5]  # pixel centres, as the photo's UVs
        wanted = map_coordinates(expected, at, order=1, mode="nearest")
        rho = spearmanr(-depth, wanted).statistic  # nearer = larger nearness
        print(f"{obj.name}: Spearman {rho:.4f} over {len(depth)} vertices")
        assert rho >= 0.95


def test_a_reloaded_file_reads_the_given_depth_again(empty_scene, given):
    expected, analysis = given
    settings = pipeline.Settings(mesh_resolution=32)
    plan = pipeline.plan_scene(analysis, settings)
    photo, _ = blender_scene.build_3d_photo(empty_scene, analysis, plan, settings)
    photo3d.forget_analyses()  # as after reopening the .blend in a new session
    again = photo.analysis()
    assert again is not analysis and again.depth_source == analysis.depth_source
    np.testing.assert_array_equal(again.nearness, analysis.nearness)


def test_create_operator_takes_the_panels_depth_source(empty_scene, tmp_path, given):
    expected, analysis = given
    settings = empty_scene.portrait3d
    settings.mesh_resolution = 32
    settings.depth_source = "FILE"
    settings.depth_map_path = str(tmp_path / "missing.png")
    objects_before = len(bpy.data.objects)
    with pytest.raises(RuntimeError, match="Depth map not found"):
        bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    assert len(bpy.data.objects) == objects_before  # the scene as it was
    settings.depth_map_path = str(analysis.depth_source.path)
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT)) == {"FINISHED"}
    made = photo3d.Photo3D.named("3D Photo astronaut").analysis()
    assert made.depth_source.kind == "FILE"
    np.testing.assert_array_equal(made.nearness, analysis.nearness)
