"""Camera moves: each loops where it claims to, keeps the subject where it should, and dolly zoom is a true vertigo."""

import numpy as np
import pytest

from portrait3d_blender.core import camera_path
from tests.core.test_camera_path import _euler_to_matrix, _focus_in_camera

CENTER = np.array([0.25, -1.6, -0.15])  # the capture camera, off the focus ray's axis like a real photo
TARGET = np.zeros(3)
SIZE = 0.06


def _pixels(location, euler, lens_factor, points):
    """Pinhole projection (focal length 1 × lens factor) of world points: (x, y) on the image plane."""
    local = (np.asarray(points) - location) @ _euler_to_matrix(euler)  # rows: R^T (p - c)
    return lens_factor * local[:, :2] / -local[:, 2:3]


@pytest.mark.parametrize("easing", camera_path.EASINGS)
@pytest.mark.parametrize("move", camera_path.MOVES)
def test_every_move_loops_seamlessly(move, easing):
    frames = 24
    path = camera_path.camera_move(move, CENTER, TARGET, SIZE, frames, easing=easing, loop=True)
    assert path.loops
    assert path.locations.shape == (frames, 3) and path.rotations.shape == (frames, 3)
    assert path.lens_factors.shape == (frames,)
    # The pose one frame past the end is the first frame's.
    past_end = camera_path.move_poses(move, CENTER, TARGET, SIZE, [frames / frames], easing, loop=True)
    np.testing.assert_allclose(past_end[0][0], path.locations[0], atol=1e-12)
    np.testing.assert_allclose(past_end[1][0], path.rotations[0], atol=1e-12)
    np.testing.assert_allclose(past_end[2][0], path.lens_factors[0], atol=1e-12)
    # It starts at the capture camera and really moves.
    np.testing.assert_allclose(path.lens_factors[0], 1.0)
    if move != "ORBIT":
        np.testing.assert_allclose(path.locations[0], CENTER, atol=1e-12)
    assert np.ptp(path.locations, axis=0).max() > 0.01 or np.ptp(path.lens_factors) > 0.01


def test_orbit_move_is_orbit():
    expected = camera_path.orbit(CENTER, TARGET, SIZE, 30)
    path = camera_path.camera_move("ORBIT", CENTER, TARGET, SIZE, 30, loop=False)  # an orbit always loops
    assert path.loops
    np.testing.assert_allclose(path.locations, expected[0])
    np.testing.assert_allclose(path.rotations, expected[1])


@pytest.mark.parametrize("move", ["ORBIT", "SWING", "VERTICAL", "DOLLY", "DOLLY_ZOOM"])
def test_focus_point_stays_at_the_same_pixel(move):
    path = camera_path.camera_move(move, CENTER, TARGET, SIZE, 20)
    reference = _pixels(CENTER, camera_path.euler_xyz_from_matrices(camera_path.CAPTURE_ROTATION), 1.0, [TARGET])
    for location, euler, lens in zip(path.locations, path.rotations, path.lens_factors):
        np.testing.assert_allclose(_pixels(location, euler, lens, [TARGET]), reference, atol=1e-9)


@pytest.mark.parametrize("move", ["SWING", "VERTICAL"])
def test_sways_keep_the_focus_direction_like_the_orbit(move):
    path = camera_path.camera_move(move, CENTER, TARGET, SIZE, 16)
    reference = _focus_in_camera(CENTER, camera_path.euler_xyz_from_matrices(camera_path.CAPTURE_ROTATION), TARGET)
    for location, euler in zip(path.locations, path.rotations):
        np.testing.assert_allclose(_focus_in_camera(location, euler, TARGET), reference, atol=1e-9)
    offsets = np.linalg.norm(path.locations - CENTER, axis=1)
    np.testing.assert_allclose(offsets.max(), SIZE, rtol=0.02)  # the amplitude is the size


def test_swing_is_sideways_and_vertical_is_up_and_down():
    swing = camera_path.camera_move("SWING", CENTER, TARGET, SIZE, 16).locations - CENTER
    vertical = camera_path.camera_move("VERTICAL", CENTER, TARGET, SIZE, 16).locations - CENTER
    assert np.abs(swing[:, 2]).max() < 0.1 * np.abs(swing[:, 0]).max()  # world Z is up
    assert np.abs(vertical[:, 0]).max() < 0.1 * np.abs(vertical[:, 2]).max()


def test_dolly_zoom_keeps_the_focus_plane_size_within_one_percent():
    path = camera_path.camera_move("DOLLY_ZOOM", CENTER, TARGET, SIZE, 30)
    capture_euler = camera_path.euler_xyz_from_matrices(camera_path.CAPTURE_ROTATION)
    axes = camera_path.CAPTURE_ROTATION
    # A square in the focus plane (through the target, facing the camera) and a point 3× as far behind.
    square = TARGET + 0.2 * np.array([axes[:, 0], axes[:, 1], -axes[:, 0], -axes[:, 1]])
    far = TARGET - 2.0 * np.dot(CENTER - TARGET, axes[:, 2]) * axes[:, 2] + 0.3 * axes[:, 0]
    reference_square = _pixels(CENTER, capture_euler, 1.0, square)
    reference_size = np.linalg.norm(reference_square[0] - reference_square[2])
    far_sizes = []
    for location, euler, lens in zip(path.locations, path.rotations, path.lens_factors):
        pixels = _pixels(location, euler, lens, square)
        size = np.linalg.norm(pixels[0] - pixels[2])
        assert abs(size / reference_size - 1.0) < 0.01
        np.testing.assert_allclose(pixels, reference_square, atol=1e-9)  # in fact, exactly
        far_sizes.append(np.linalg.norm(_pixels(location, euler, lens, [far, TARGET - (far - TARGET)])))
    assert path.lens_factors.max() > 1.1  # a real zoom...
    assert max(far_sizes) / far_sizes[0] > 1.05  # ...so the background grows behind the still subject


def test_dolly_moves_toward_the_target_and_back():
    path = camera_path.camera_move("DOLLY", CENTER, TARGET, SIZE, 20)
    distances = np.linalg.norm(path.locations - TARGET, axis=1)
    start = np.linalg.norm(CENTER - TARGET)
    assert distances.min() < start * 0.9 and distances.max() <= start + 1e-12
    np.testing.assert_allclose(path.lens_factors, 1.0)


def test_ken_burns_zooms_toward_the_target_and_stays_inside_the_photo():
    half_view = np.array([0.35, 0.25])  # tangent of the half field of view, x and y
    path = camera_path.camera_move("KEN_BURNS", CENTER, TARGET, SIZE, 20, loop=False, half_view=half_view)
    assert not path.loops
    np.testing.assert_allclose(path.lens_factors[[0, -1]], [1.0, 1.0 + 5.0 * SIZE / np.linalg.norm(CENTER)])
    axes = camera_path.CAPTURE_ROTATION
    depth = np.dot(CENTER - TARGET, axes[:, 2])
    for location, lens in zip(path.locations, path.lens_factors):
        shift = (location - CENTER) @ axes[:, :2]  # the camera slides parallel to the picture
        np.testing.assert_allclose(np.dot(location - CENTER, axes[:, 2]), 0.0, atol=1e-12)
        # The frame at the target's depth stays within the capture camera's frame there.
        assert np.all(np.abs(shift) + depth * half_view / lens <= depth * half_view + 1e-12)
    first = _pixels(path.locations[0], path.rotations[0], path.lens_factors[0], [TARGET])[0]
    last = _pixels(path.locations[-1], path.rotations[-1], path.lens_factors[-1], [TARGET])[0]
    assert np.linalg.norm(last) < np.linalg.norm(first)  # the subject drifts toward the middle


def test_easing():
    phases = camera_path.move_phases(41, loop=False)
    eased = camera_path.move_profile(phases, centered=False, easing="EASE", loop=False)
    linear = camera_path.move_profile(phases, centered=False, easing="LINEAR", loop=False)
    np.testing.assert_allclose(linear, phases)
    np.testing.assert_allclose(eased[[0, 20, 40]], [0.0, 0.5, 1.0], atol=1e-12)
    steps = np.diff(eased)
    assert steps[0] < 0.1 * steps[20]  # eases in and out: starts and ends at rest
    # A linear loop is a triangle wave: constant speed between the turning points.
    sway = camera_path.move_profile(camera_path.move_phases(40), centered=True, easing="LINEAR")
    np.testing.assert_allclose(np.abs(np.diff(sway))[:9], 0.1)
    assert sway.max() == pytest.approx(1.0) and sway.min() == pytest.approx(-1.0)


def test_unknown_move():
    with pytest.raises(ValueError, match="Unknown camera move"):
        camera_path.camera_move("SPIN", CENTER, TARGET, SIZE, 10)
