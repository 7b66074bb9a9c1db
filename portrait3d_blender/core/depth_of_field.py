"""Depth of field that keeps every face sharp: where to focus, and how far to stop down.

Blender's cameras (Cycles and Eevee alike) model a lens as a pinhole with an aperture of radius f / (2 N)
whose rays meet on the focus plane at distance s. A point at depth d then spreads over a disc on the sensor of
diameter (f² / N) · |1/d − 1/s|. For a set of faces the widest blur is smallest when 1/s is halfway between
the nearest and farthest faces' 1/d (s their harmonic mean); the aperture is then opened no wider than keeps
that blur within one output pixel, in every frame of the camera's move.
"""

from dataclasses import dataclass

import numpy as np


def blur_diameter_px(depth, focus_distance, focal_mm, f_stop, pixel_mm):
    """Blur circle of points at `depth` (metres, along the view) with the lens focused at `focus_distance`, in
    output pixels of `pixel_mm` on the sensor."""
    focal_m = np.asarray(focal_mm, dtype=np.float64) / 1000.0
    spread_m = focal_m ** 2 / f_stop * np.abs(1.0 / np.asarray(depth) - 1.0 / np.asarray(focus_distance))
    return spread_m * 1000.0 / pixel_mm


@dataclass
class AllFacesFocus:
    point: np.ndarray  # (3,) world point to focus on (its depth is each frame's focus distance)
    f_stop: float  # the aperture used: the one asked for, or smaller where the faces needed it
    asked_f_stop: float
    blur_px: np.ndarray  # (frames, faces) each face's blur circle in output pixels at `f_stop`

    @property
    def stopped_down(self):
        return self.f_stop > self.asked_f_stop


def focus_on_all(face_points, camera_locations, view_directions, focal_mm, pixel_mm, f_stop, max_blur_px=1.0):
    """Focus point and f-stop (at least `f_stop`) that keep every face within `max_blur_px` in every frame.

    `face_points` (faces, 3) in the world; per frame (frames, …): the camera's location, its unit view
    direction and its lens in mm; `pixel_mm` is one output pixel on the sensor.
    """
    face_points = np.atleast_2d(np.asarray(face_points, dtype=np.float64))
    locations = np.atleast_2d(np.asarray(camera_locations, dtype=np.float64))
    views = np.atleast_2d(np.asarray(view_directions, dtype=np.float64))
    focal_mm = np.broadcast_to(np.asarray(focal_mm, dtype=np.float64), (len(locations),))
    depths = np.einsum("tkj,tj->tk", face_points[None] - locations[:, None], views)  # (frames, faces)
    mean_depth = depths.mean(axis=0)
    nearest, farthest = int(np.argmin(mean_depth)), int(np.argmax(mean_depth))
    point = face_points[nearest]
    if farthest != nearest and mean_depth[farthest] > mean_depth[nearest]:
        # On the line from the nearest face to the farthest, where the depth is their harmonic mean; depth is
        # affine along the line, so the share is a ratio of depths.
        target = 2.0 / (1.0 / mean_depth[nearest] + 1.0 / mean_depth[farthest])
        share = (target - mean_depth[nearest]) / (mean_depth[farthest] - mean_depth[nearest])
        point = face_points[nearest] + share * (face_points[farthest] - face_points[nearest])
    focus_distance = np.einsum("tj,tj->t", point[None] - locations, views)  # (frames,)
    wide_open = blur_diameter_px(depths, focus_distance[:, None], focal_mm[:, None], 1.0, pixel_mm)
    chosen = max(float(f_stop), float(wide_open.max()) / max_blur_px)
    return AllFacesFocus(point, chosen, float(f_stop), wide_open / chosen)
