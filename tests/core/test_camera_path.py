import numpy as np

from portrait3d_blender.core import camera_path


def _euler_to_matrix(euler):
    x, y, z = euler
    rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(z), -np.sin(z), 0], [np.sin(z), np.cos(z), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _focus_in_camera(location, euler, target):
    """The target's direction in the camera's own frame (Blender camera: looks down -Z)."""
    direction = _euler_to_matrix(euler).T @ (np.asarray(target) - location)
    return direction / np.linalg.norm(direction)


def test_zero_radius_orbit_is_the_capture_camera():
    locations, rotations = camera_path.orbit([0.2, -2.0, 0.1], [0, 0, 0], radius=0.0, frames=8)
    np.testing.assert_allclose(locations, np.tile([0.2, -2.0, 0.1], (8, 1)))
    for euler in rotations:
        np.testing.assert_allclose(_euler_to_matrix(euler), camera_path.CAPTURE_ROTATION, atol=1e-9)


def test_orbit_is_a_seamless_circle_around_the_capture_point():
    center = np.array([0.0, -2.0, 0.0])
    locations, rotations = camera_path.orbit(center, [0, 0, 0], radius=0.1, frames=60)
    np.testing.assert_allclose(np.linalg.norm(locations - center, axis=1), 0.1)
    np.testing.assert_allclose(locations[:, 1], -2.0, atol=1e-12)  # the circle faces the subject
    # The next frame after the last is the first again: equal steps all the way round.
    steps = np.linalg.norm(np.diff(np.vstack([locations, locations[:1]]), axis=0), axis=1)
    np.testing.assert_allclose(steps, steps[0])


def test_focus_point_stays_at_the_same_place_in_the_picture():
    center, target = np.array([0.3, -1.5, -0.2]), np.zeros(3)
    locations, rotations = camera_path.orbit(center, target, radius=0.08, frames=24)
    reference = _focus_in_camera(center, camera_path.euler_xyz_from_matrices(camera_path.CAPTURE_ROTATION), target)
    for location, euler in zip(locations, rotations):
        np.testing.assert_allclose(_focus_in_camera(location, euler, target), reference, atol=1e-9)


def test_euler_round_trip():
    rng = np.random.default_rng(1)
    for euler in rng.uniform(-1.2, 1.2, (20, 3)):
        matrix = _euler_to_matrix(euler)
        np.testing.assert_allclose(camera_path.euler_xyz_from_matrices(matrix), euler, atol=1e-9)
