"""Camera keyframes as arrays: locations and XYZ Euler rotations, one row per frame."""

import numpy as np

WORLD_UP = np.array([0.0, 0.0, 1.0])
# The capture camera looks along world +Y with Z up: Blender's camera (looking down local -Z) turned 90° about X.
CAPTURE_ROTATION = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def look_at_matrices(locations, target):
    """Rotation matrices (…, 3, 3) whose columns are a camera's right, up and backward axes aimed at `target`."""
    forward = np.asarray(target, dtype=np.float64) - locations
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    right = np.cross(forward, WORLD_UP)
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    up = np.cross(right, forward)
    return np.stack([right, up, -forward], axis=-1)


def euler_xyz_from_matrices(matrices):
    """Blender's XYZ Euler (R = Rz·Ry·Rx) of rotation matrices (…, 3, 3); no gimbal lock for our cameras."""
    rotation_x = np.arctan2(matrices[..., 2, 1], matrices[..., 2, 2])
    rotation_y = -np.arcsin(np.clip(matrices[..., 2, 0], -1.0, 1.0))
    rotation_z = np.arctan2(matrices[..., 1, 0], matrices[..., 0, 0])
    return np.stack([rotation_x, rotation_y, rotation_z], axis=-1)


def orbit(center, target, radius, frames, base_rotation=CAPTURE_ROTATION):
    """A seamless loop: the camera circles `center` in the plane facing `target`.

    Each frame's camera is the capture camera (`base_rotation` at `center`) turned by the rotation that keeps
    `target` at the same place in the picture, so the subject stays put and the background swings behind it.
    Frame i sits at angle 2πi/frames: frame `frames` would equal frame 0, so playing on repeat shows no seam.
    """
    center = np.asarray(center, dtype=np.float64)
    aim_from_center = look_at_matrices(center, target)
    right, up = aim_from_center[:, 0], aim_from_center[:, 1]
    angles = 2.0 * np.pi * np.arange(frames) / frames
    locations = center + radius * (np.cos(angles)[:, None] * right + np.sin(angles)[:, None] * up)
    turn = look_at_matrices(locations, target) @ aim_from_center.T
    return locations, euler_xyz_from_matrices(turn @ base_rotation)
