"""Layered 3D photos on real photos, side by side with the single sheet: no rubber sheets, no holes."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import layers, pipeline  # noqa: E402
from tests import mesh_checks  # noqa: E402
from tests.conftest import ASTRONAUT, GRACE_HOPPER, magenta_world, make_group_photo  # noqa: E402


def _stretched_share(plan):
    return mesh_checks.stretched_share_of_layers(plan.layers)


@pytest.fixture(scope="module")
def group_photo(tmp_path_factory):
    return make_group_photo(tmp_path_factory.mktemp("group"))


@pytest.mark.parametrize("photo", [ASTRONAUT, GRACE_HOPPER, "group"], ids=lambda path: getattr(path, "stem", path))
def test_layers_tear_the_rubber_sheet(photo, group_photo):
    photo = group_photo if photo == "group" else photo
    analysis = pipeline.analyse_photo(photo)
    single = pipeline.plan_scene(analysis, pipeline.Settings(layered=False))
    layered = pipeline.plan_scene(analysis, pipeline.Settings(layered=True))
    assert [layer.name for layer in layered.layers] == ["Subject", "Background"]
    assert _stretched_share(layered) <= 0.001  # quads longer than 20:1 — the rubber sheet's signature
    assert _stretched_share(single) > 5 * max(_stretched_share(layered), 0.0005)  # and the sheet has plenty


def test_background_behind_the_person_is_never_pulled_forward(astronaut_analysis):
    """Where the person stands, the background layer lies behind the subject layer, vertex for vertex."""
    plan = pipeline.plan_scene(astronaut_analysis, pipeline.Settings())
    subject, background = plan.layers
    camera_y = plan.capture_location[1]

    def distance_by_pixel(mesh):
        """Nearest vertex distance per grid pixel (a back-fill patch shares its pixel with the surface)."""
        nearest = {}
        keys = [tuple(key) for key in np.round(mesh.display_uvs * 1e5).astype(np.int64)]
        for key, distance in zip(keys, mesh.vertices[:, 1] - camera_y):
            nearest[key] = min(distance, nearest.get(key, np.inf))
        return nearest

    subject_distance = distance_by_pixel(subject.mesh)
    mask = astronaut_analysis.mask
    rows, columns = mask.shape
    checked = 0
    for key, distance in distance_by_pixel(background.mesh).items():
        u, v = np.array(key) / 1e5
        row, column = min(rows - 1, int((1 - v) * rows)), min(columns - 1, int(u * columns))
        if mask[row, column] > 0.9 and key in subject_distance:
            assert distance >= subject_distance[key]
            checked += 1
    assert checked > 1000


def test_inpainted_hole_continues_its_rim():
    from portrait3d_blender.core.fill import inpaint_colors

    rgb = np.zeros((60, 80, 3), dtype=np.float32)
    rgb[:, :40] = (200, 30, 30)
    rgb[:, 40:] = (30, 30, 200)
    known = np.ones((60, 80), dtype=bool)
    known[20:40, 30:50] = False
    filled = inpaint_colors(rgb, known)
    assert filled[30, 31, 0] > 150 and filled[30, 48, 2] > 150  # each side of the hole keeps its own colour
    np.testing.assert_array_equal(filled[known], rgb[known])


@pytest.mark.slow
@pytest.mark.parametrize("photo", [ASTRONAUT, GRACE_HOPPER, "group"], ids=lambda path: getattr(path, "stem", path))
def test_orbit_never_shows_the_world_through_a_layered_photo(empty_scene, photo, group_photo):
    photo = group_photo if photo == "group" else photo
    analysis = pipeline.analyse_photo(photo)
    settings = pipeline.Settings(render_size=160, render_samples=2, frames=8)
    blender_scene.build_3d_photo(empty_scene, analysis, pipeline.plan_scene(analysis, settings), settings)
    empty_scene.world = magenta_world()
    empty_scene.render.film_transparent = False
    shares = []
    for frame in (1, 3, 5, 7):  # four quarter turns of the orbit
        empty_scene.frame_set(frame)
        result = _render_pixels(empty_scene)
        magenta = (result[..., 0] > 0.8) & (result[..., 1] < 0.25) & (result[..., 2] > 0.8)
        shares.append(magenta.mean())
    assert max(shares) <= 0.005


def _render_pixels(scene):
    import tempfile
    from pathlib import Path

    from PIL import Image

    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    with tempfile.TemporaryDirectory() as folder:
        scene.render.filepath = str(Path(folder) / "frame.png")
        bpy.ops.render.render(write_still=True)
        return np.asarray(Image.open(scene.render.filepath).convert("RGB"), dtype=np.float32) / 255.0


def test_photo_quads_are_white_and_fill_quads_carry_the_computed_colours(astronaut_analysis):
    """White under the photo, so a glTF viewer multiplying by COLOR_0 shows the photo unchanged."""
    plan = pipeline.plan_scene(astronaut_analysis, pipeline.Settings())
    background = plan.layers[-1].mesh
    photo_vertices = np.unique(background.quads[background.material_indices == layers.PHOTO_MATERIAL])
    fill_vertices = np.unique(background.quads[background.material_indices == layers.FILL_MATERIAL])
    assert len(photo_vertices) > 1000 and len(fill_vertices) > 1000
    assert (background.colors[photo_vertices] == 255).all()
    fill_colors = background.colors[fill_vertices, :3].astype(np.float32)
    assert fill_colors.std(axis=0).min() > 10.0  # a picture, not a flat tint
