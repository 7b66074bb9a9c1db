"""Camera moves as Blender keyframes: ordinary linear keys, loops past the end, and a keyframed lens for zooms."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import pipeline  # noqa: E402
from tests.blender.test_scene import _project_through_camera  # noqa: E402

FRAMES = 12


def _build(scene, analysis, **overrides):
    settings = pipeline.Settings(frames=FRAMES, mesh_resolution=16, render_size=256, **overrides)
    photo, device = blender_scene.build_3d_photo(scene, analysis, pipeline.plan_scene(analysis, settings), settings)
    return photo.collection, photo.layers, photo.camera, device


def _pose(scene, camera, frame):
    scene.frame_set(frame)
    return np.array(camera.matrix_world), camera.data.lens


@pytest.mark.parametrize("move", ["SWING", "VERTICAL", "DOLLY", "DOLLY_ZOOM", "KEN_BURNS"])
def test_moves_loop_past_the_end(empty_scene, astronaut_analysis, move):
    _, _, camera, _ = _build(empty_scene, astronaut_analysis, camera_move=move)
    first_pose, first_lens = _pose(empty_scene, camera, 1)
    middle_pose, middle_lens = _pose(empty_scene, camera, 1 + FRAMES // 4)  # a sway is back at 1/2
    assert not np.allclose(first_pose, middle_pose) or abs(middle_lens - first_lens) > 0.1
    end_pose, end_lens = _pose(empty_scene, camera, FRAMES + 1)
    np.testing.assert_allclose(end_pose, first_pose, atol=1e-5)
    assert end_lens == pytest.approx(first_lens, rel=1e-6)
    # Ordinary keyframes: one linear key per frame plus the loop's closing key.
    for curve in _fcurves(camera.animation_data.action):
        assert len(curve.keyframe_points) == FRAMES + 1
        assert {point.interpolation for point in curve.keyframe_points} == {"LINEAR"}


def _fcurves(action):
    return [curve for layer in action.layers for strip in layer.strips for bag in strip.channelbags
            for curve in bag.fcurves]


def test_dolly_zoom_keyframes_the_lens_and_holds_the_focus_plane(empty_scene, astronaut_analysis):
    _, _, camera, _ = _build(empty_scene, astronaut_analysis, camera_move="DOLLY_ZOOM", orbit_size=0.05)
    assert camera.data.animation_data is not None and camera.data.animation_data.action is not None
    empty_scene.frame_set(1)
    axes = np.array(camera.matrix_world)[:3, :3]
    # A square in the focus plane: through the face (the world origin), facing the capture camera.
    square = 0.1 * np.array([axes[:, 0], axes[:, 1], -axes[:, 0], -axes[:, 1]])
    reference = _project_through_camera(empty_scene, camera, square)
    lenses = []
    for frame in range(1, FRAMES + 1):
        empty_scene.frame_set(frame)
        lenses.append(camera.data.lens)
        pixels = _project_through_camera(empty_scene, camera, square)
        size_ratio = np.linalg.norm(pixels[0] - pixels[2]) / np.linalg.norm(reference[0] - reference[2])
        assert abs(size_ratio - 1.0) < 0.01
    assert max(lenses) / min(lenses) > 1.1  # the lens really zooms


def test_one_way_move_has_no_cycle(empty_scene, astronaut_analysis):
    _, _, camera, _ = _build(empty_scene, astronaut_analysis, camera_move="KEN_BURNS", camera_loop=False)
    first, _ = _pose(empty_scene, camera, 1)
    last, last_lens = _pose(empty_scene, camera, FRAMES)
    after, after_lens = _pose(empty_scene, camera, FRAMES + 3)
    assert not np.allclose(first, last)
    np.testing.assert_allclose(after, last, atol=1e-6)  # holds the end, no jump back to the start
    assert after_lens == pytest.approx(last_lens)
