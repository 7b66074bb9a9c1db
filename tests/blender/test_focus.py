"""Depth of field on the face, the refocus still, and stereo output."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from PIL import Image  # noqa: E402

from portrait3d_blender.blender import focus  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import camera_path, geometry, pipeline  # noqa: E402


@pytest.fixture
def built(empty_scene, astronaut_analysis):
    settings = pipeline.Settings(frames=8, mesh_resolution=32, render_size=64, render_samples=2)
    plan = pipeline.plan_scene(astronaut_analysis, settings)
    photo, _ = blender_scene.build_3d_photo(empty_scene, astronaut_analysis, plan, settings)
    empty_scene.frame_set(1)
    empty_scene.portrait3d.render_preset = "CUSTOM"  # what the operators render: tiny and quick
    empty_scene.portrait3d.render_size, empty_scene.portrait3d.render_samples = 64, 2
    return plan, photo.layers, photo.camera


def _depth_in_camera(camera, point):
    """Depth of a world point in front of the camera, through Blender's own inverse matrix."""
    local = camera.matrix_world.inverted() @ __import__("mathutils").Vector(point)
    return -local.z


def test_depth_of_field_focuses_on_the_face(built):
    plan, _, camera = built
    empty = focus.enable_depth_of_field(camera, f_stop=2.0)
    dof = camera.data.dof
    assert dof.use_dof and dof.aperture_fstop == pytest.approx(2.0)
    assert dof.focus_object == empty and tuple(empty.location) == (0.0, 0.0, 0.0)  # the face point
    assert empty.name in camera.users_collection[0].objects
    # The face's depth: from the plan (its scale came from the face's width) and through Blender's camera.
    assert dof.focus_distance == pytest.approx(plan.focus_distance, rel=0.02)
    assert dof.focus_distance == pytest.approx(_depth_in_camera(camera, (0, 0, 0)), rel=1e-4)
    # Doing it again reuses the Empty.
    assert focus.enable_depth_of_field(camera, f_stop=4.0) == empty and dof.aperture_fstop == 4.0


@pytest.mark.slow
def test_refocus_still_keeps_the_face_sharp_and_blurs_the_background(built, tmp_path):
    from tests.blender.test_scene import _project_through_camera

    _, _, camera = built
    scene = bpy.context.scene
    scene.cycles.samples = 16
    sharp = focus.render_still(scene, tmp_path / "sharp.png", frame=1)
    focus.enable_depth_of_field(camera, f_stop=0.5)  # very wide: a blur of several pixels at 64 px
    blurred = focus.render_still(scene, tmp_path / "refocus.png")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["refocus.png", "sharp.png"]
    a = np.asarray(Image.open(sharp).convert("L"), dtype=np.float32)
    b = np.asarray(Image.open(blurred).convert("L"), dtype=np.float32)
    assert a.shape == b.shape == (64, 64)
    column, row = np.round(_project_through_camera(scene, camera, np.zeros((1, 3)))[0]).astype(int)
    face = np.s_[row - 3 : row + 3, column - 3 : column + 3]
    change = np.abs(a - b)
    # In focus, the face changes by sampling noise only; the far background (the top corners) blurs.
    assert change[face].mean() < 0.5 * min(change[:12, :12].mean(), change[:12, -12:].mean())
    assert scene.render.filepath != str(tmp_path / "refocus.png")  # the scene's own output is restored


def test_stereo_baseline_keeps_disparity_within_budget():
    near, far, convergence, focal = 1.2, 6.0, 1.6, 50.0 / 36.0
    baseline = camera_path.stereo_baseline(near, far, convergence, focal)

    def disparity(depth):
        return focal * baseline * (1.0 / depth - 1.0 / convergence)

    assert max(abs(disparity(near)), abs(disparity(far))) == pytest.approx(camera_path.STEREO_DISPARITY_BUDGET)
    assert disparity(convergence) == 0.0
    # A shallower scene gets a wider baseline.
    assert camera_path.stereo_baseline(1.5, 1.8, convergence, focal) > baseline


@pytest.mark.slow
@pytest.mark.parametrize("mode, width", [("SIDE_BY_SIDE", 128), ("ANAGLYPH", 64)])
def test_stereo_still(built, tmp_path, mode, width):
    plan, objects, camera = built
    scene = bpy.context.scene
    baseline = focus.configure_stereo(scene, camera, mode, objects)
    assert camera.data.stereo.convergence_distance == pytest.approx(plan.focus_distance, rel=0.02)
    assert 0.001 < baseline < 0.5 * plan.focus_distance
    output = focus.render_still(scene, tmp_path / "stereo.png", frame=1)
    pixels = np.asarray(Image.open(output).convert("RGB"), dtype=np.float32)
    assert pixels.shape == (64, width, 3)
    if mode == "SIDE_BY_SIDE":
        left, right = pixels[:, :64], pixels[:, 64:]
        assert 0.0 < np.abs(left - right).mean() < 40.0  # two slightly different views of the same picture
    else:
        assert np.abs(pixels[..., 0] - pixels[..., 1]).mean() > 1.0  # red and cyan views differ
    focus.configure_stereo(scene, camera, "NONE", objects)
    assert not scene.render.use_multiview


@pytest.mark.slow
def test_focus_operators(built, tmp_path):
    _, _, camera = built
    scene = bpy.context.scene
    scene.portrait3d.f_stop = 1.8
    assert bpy.ops.portrait3d.depth_of_field() == {"FINISHED"}
    assert camera.data.dof.use_dof and camera.data.dof.aperture_fstop == pytest.approx(1.8)
    assert bpy.ops.portrait3d.depth_of_field(target="OFF") == {"FINISHED"} and not camera.data.dof.use_dof
    scene.portrait3d.stereo_mode = "ANAGLYPH"
    output = tmp_path / "still.png"
    assert bpy.ops.portrait3d.render_refocus(filepath=str(output)) == {"FINISHED"}
    assert Image.open(output).size == (64, 64) and camera.data.dof.use_dof
    with pytest.raises(RuntimeError, match="exists"):
        bpy.ops.portrait3d.render_refocus(filepath=str(output))


def test_focus_on_a_picked_pixel_lies_on_the_photo_there(built, astronaut_analysis):
    """The point a user picks by pixel projects back onto that pixel, at the depth the mesh has there."""
    plan, _, camera = built
    settings = pipeline.Settings(frames=8, mesh_resolution=32)
    face = astronaut_analysis.face
    to_photo = astronaut_analysis.photo.width / astronaut_analysis.nearness.shape[1]
    at_face = pipeline.surface_point(astronaut_analysis, settings, face.center_x * to_photo, face.center_y * to_photo)
    np.testing.assert_allclose(at_face, 0.0, atol=1e-6)  # the face is the world origin
    corner = pipeline.surface_point(astronaut_analysis, settings, 480.0, 40.0)  # the background, top right
    pixel = geometry.project_to_pixels(corner, plan.intrinsics, plan.capture_location)
    np.testing.assert_allclose(pixel, (480.0, 40.0), atol=1e-6)
    empty = focus.enable_depth_of_field(camera, 2.0, tuple(corner))
    assert camera.data.dof.focus_distance > 1.2 * _depth_in_camera(camera, (0, 0, 0))  # farther than the face
    assert tuple(empty.location) == pytest.approx(tuple(corner))


@pytest.mark.slow
def test_focus_on_cursor_and_the_refocus_still_keeps_it(built, tmp_path):
    _, _, camera = built
    scene = bpy.context.scene
    scene.cursor.location = (0.05, 0.3, 0.02)
    assert bpy.ops.portrait3d.depth_of_field(target="CURSOR") == {"FINISHED"}
    focus_object = camera.data.dof.focus_object
    assert tuple(focus_object.location) == pytest.approx((0.05, 0.3, 0.02))
    assert camera.data.dof.focus_distance == pytest.approx(_depth_in_camera(camera, (0.05, 0.3, 0.02)), rel=1e-4)
    assert bpy.ops.portrait3d.render_refocus(filepath=str(tmp_path / "still.png")) == {"FINISHED"}
    assert focus.current_focus_point(camera) == pytest.approx((0.05, 0.3, 0.02))  # not reset to the face
    assert bpy.ops.portrait3d.depth_of_field() == {"FINISHED"}  # back on the face
    assert focus.current_focus_point(camera) == pytest.approx((0.0, 0.0, 0.0))
