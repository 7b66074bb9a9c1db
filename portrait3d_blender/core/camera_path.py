"""Camera keyframes as arrays: locations and XYZ Euler rotations, one row per frame."""

from dataclasses import dataclass

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
    angles = 2.0 * np.pi * np.arange(frames) / frames
    return _around_target(center, target, radius * np.cos(angles), radius * np.sin(angles), base_rotation)


def _around_target(center, target, right_offsets, up_offsets, base_rotation):
    """Cameras moved from `center` by the offsets along the right/up axes of the view from `center` to `target`,
    each turned so that `target` stays at the same place in the picture as seen from `center`."""
    center = np.asarray(center, dtype=np.float64)
    aim_from_center = look_at_matrices(center, target)
    right, up = aim_from_center[:, 0], aim_from_center[:, 1]
    locations = center + np.asarray(right_offsets)[:, None] * right + np.asarray(up_offsets)[:, None] * up
    turn = look_at_matrices(locations, target) @ aim_from_center.T
    return locations, euler_xyz_from_matrices(turn @ base_rotation)


# More camera moves. Each is a 1-D profile over the clip (how far along the move each frame is) applied to a
# shape (which way the camera goes). A loop runs the profile back and forth over one period, so the frame after
# the last is the first again; one-way moves go from start to end once.
MOVES = ("ORBIT", "SWING", "VERTICAL", "DOLLY", "DOLLY_ZOOM", "KEN_BURNS")
EASINGS = ("EASE", "LINEAR")
# How far a move goes for a given size (the orbit radius as a share of the subject distance): a dolly needs a
# longer way than a sideways move for a similar amount of visible parallax.
DOLLY_TRAVEL_PER_SIZE = 4.0
KEN_BURNS_ZOOM_PER_SIZE = 5.0
_CENTERED = {"SWING", "VERTICAL"}  # sway about the capture point; the others go out from it and back


@dataclass
class CameraPath:
    """Keyframe arrays: one row per frame, and the lens as a multiple of the capture camera's."""

    locations: np.ndarray  # (frames, 3)
    rotations: np.ndarray  # (frames, 3) XYZ Euler
    lens_factors: np.ndarray  # (frames,)
    loops: bool  # the frame after the last equals the first


def move_phases(frames, loop=True):
    """Where each frame sits in the move, in [0, 1]: a loop never reaches 1 (that is the first frame again)."""
    return np.arange(frames) / (frames if loop else max(frames - 1, 1))


def move_profile(phases, centered, easing="EASE", loop=True):
    """How far along the move each phase is: in [-1, 1] for a centred sway, in [0, 1] for out-and-back.

    A loop is periodic in the phase with period 1: sinusoidal (EASE) or a triangle wave (LINEAR). A one-way move
    goes from one end to the other, easing in and out (half a cosine) or at constant speed.
    """
    phases = np.asarray(phases, dtype=np.float64)
    if loop:
        if easing == "LINEAR":
            wave = 2.0 / np.pi * np.arcsin(np.clip(np.sin(2.0 * np.pi * phases), -1.0, 1.0))  # triangle
            shifted = 2.0 / np.pi * np.arcsin(np.clip(np.cos(2.0 * np.pi * phases), -1.0, 1.0))
        else:
            wave, shifted = np.sin(2.0 * np.pi * phases), np.cos(2.0 * np.pi * phases)
        return wave if centered else (1.0 - shifted) / 2.0
    eased = phases if easing == "LINEAR" else (1.0 - np.cos(np.pi * np.clip(phases, 0.0, 1.0))) / 2.0
    return 2.0 * eased - 1.0 if centered else eased


def move_poses(move, center, target, size, phases, easing="EASE", loop=True, base_rotation=CAPTURE_ROTATION,
               half_view=None):
    """(locations, XYZ rotations, lens factors) of `move` at `phases` (see `move_phases`).

    `size` is the orbit radius in scene units. ORBIT circles, SWING sways sideways and VERTICAL up and down, all
    turning to keep `target` still in the picture. DOLLY moves toward `target` along the line from the capture
    point through it (so `target` keeps its pixel). DOLLY_ZOOM moves back along the view axis while the lens
    lengthens in proportion, so the plane through `target` keeps its place and size in the picture while the
    background grows: the "vertigo" effect. KEN_BURNS zooms the lens in and slides the camera parallel to the
    picture toward `target`; `half_view` (tangents of the half field of view, x and y) keeps the zoomed frame
    inside the photo at the target's depth.
    """
    if move not in MOVES:
        raise ValueError(f"Unknown camera move {move!r}; choose one of {', '.join(MOVES)}")
    center = np.asarray(center, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    phases = np.asarray(phases, dtype=np.float64)
    count = len(phases)
    ones = np.ones(count)
    if move == "ORBIT":
        angles = 2.0 * np.pi * phases
        locations, rotations = _around_target(center, target, size * np.cos(angles), size * np.sin(angles),
                                              base_rotation)
        return locations, rotations, ones
    amount = move_profile(phases, move in _CENTERED, easing, loop)
    if move == "SWING":
        return (*_around_target(center, target, size * amount, 0.0 * amount, base_rotation), ones)
    if move == "VERTICAL":
        return (*_around_target(center, target, 0.0 * amount, size * amount, base_rotation), ones)
    rotations = np.tile(euler_xyz_from_matrices(np.asarray(base_rotation, dtype=np.float64)), (count, 1))
    distance = np.linalg.norm(target - center)
    toward = (target - center) / distance
    if move == "DOLLY":
        travel = min(DOLLY_TRAVEL_PER_SIZE * size, 0.5 * distance)
        return center + (travel * amount)[:, None] * toward, rotations, ones
    if move == "DOLLY_ZOOM":  # along the view axis: every point of the target's plane then keeps its pixel
        backward = np.asarray(base_rotation, dtype=np.float64)[:, 2]
        depth = float(np.dot(center - target, backward))
        back = DOLLY_TRAVEL_PER_SIZE * size * amount
        return center + back[:, None] * backward, rotations, (depth + back) / depth
    # KEN_BURNS: in the capture camera's frame, the target sits at (x, y) off the axis, at depth z.
    zoom = 1.0 + KEN_BURNS_ZOOM_PER_SIZE * size / distance
    lens_factors = 1.0 + (zoom - 1.0) * amount
    axes = np.asarray(base_rotation, dtype=np.float64)
    x, y, z = axes.T @ (target - center)
    pan = np.array([x, y])
    if half_view is not None:  # the zoomed frame's centre may stray (1 − 1/zoom) half-widths from the photo's
        room = (1.0 - 1.0 / zoom) * np.asarray(half_view, dtype=np.float64) * abs(z)
        pan = np.clip(pan, -room, room)
    slide = amount[:, None] * (pan[0] * axes[:, 0] + pan[1] * axes[:, 1])
    return center + slide, rotations, lens_factors


def camera_move(move, center, target, size, frames, easing="EASE", loop=True, base_rotation=CAPTURE_ROTATION,
                half_view=None):
    """The keyframes of `move` over `frames` frames (see `move_poses`); ORBIT always loops."""
    loop = loop or move == "ORBIT"
    locations, rotations, lens_factors = move_poses(
        move, center, target, size, move_phases(frames, loop), easing, loop, base_rotation, half_view
    )
    return CameraPath(locations, rotations, lens_factors, loop)


STEREO_DISPARITY_BUDGET = 0.02  # largest disparity, as a share of the picture's long side: comfortable to view


def stereo_baseline(near, far, convergence, focal_over_sensor, budget=STEREO_DISPARITY_BUDGET):
    """Interocular distance for an off-axis stereo pair converging at `convergence`.

    A point at depth Z shows a disparity of f·b·(1/Z − 1/C) (as a share of the sensor's width, with f the focal
    length over the sensor's width): zero on the face, crossed in front, uncrossed behind. The baseline b is the
    largest that keeps the nearest and farthest depths of the scene within `budget`.
    """
    spread = max(1.0 / near - 1.0 / convergence, 1.0 / convergence - 1.0 / far, 1e-6 / convergence)
    return float(budget / (focal_over_sensor * spread))
