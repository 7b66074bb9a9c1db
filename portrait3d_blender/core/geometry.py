"""Grid mesh re-projected through the capture camera: every vertex lies on its pixel's ray at its depth.

World frame (Blender's): Z up, the capture camera looks along +Y, and the focus point (the face) is the origin,
so the mesh's pivot is where an artist expects it and the orbit turns around the subject.
"""

from dataclasses import dataclass

import numpy as np

FULL_FRAME_DIAGONAL_MM = float(np.hypot(36.0, 24.0))
DEFAULT_FOCAL_35MM = 50.0  # photos without EXIF: a normal lens, neither selfie-wide nor tele
FAR_TO_NEAR_PER_STRENGTH = 2.0  # strength 1 puts the farthest point 3× as far as the nearest
FACE_WIDTH_M = 0.16  # MediaPipe's face box is about this wide on an adult


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole camera of the photo, in displayed pixels; the principal point is the image centre."""

    width: int
    height: int
    focal_px: float

    @classmethod
    def from_focal_35mm(cls, width, height, focal_35mm=None):
        focal_35mm = focal_35mm or DEFAULT_FOCAL_35MM
        return cls(width, height, focal_35mm / FULL_FRAME_DIAGONAL_MM * float(np.hypot(width, height)))

    @property
    def lens_mm_on_36mm_sensor(self):
        """Blender lens for a 36 mm sensor fitted to the long side ('AUTO' sensor fit)."""
        return self.focal_px * 36.0 / max(self.width, self.height)


@dataclass
class MeshArrays:
    """Ready for `foreach_set`: float32 vertices (N, 3), int32 quads (M, 4), float32 per-vertex UVs (N, 2)."""

    vertices: np.ndarray
    quads: np.ndarray
    uvs: np.ndarray
    grid_shape: tuple  # (rows, columns) of vertices


def grid_shape_for(width, height, quads_long_side):
    """Vertex rows and columns of a grid with square-ish quads and `quads_long_side` quads on the long side."""
    quads_long_side = max(1, int(quads_long_side))
    quads_short_side = max(1, round(quads_long_side * min(width, height) / max(width, height)))
    if width >= height:
        return quads_short_side + 1, quads_long_side + 1
    return quads_long_side + 1, quads_short_side + 1


def depth_from_nearness(nearness, near_distance, depth_strength):
    """Nearness is an affine function of disparity: 1 → `near_distance`, 0 → the farthest plane."""
    far_to_near = 1.0 + FAR_TO_NEAR_PER_STRENGTH * max(0.0, depth_strength)
    far_disparity = 1.0 / far_to_near
    return near_distance / (far_disparity + (1.0 - far_disparity) * nearness)


def sample_at_pixels(values, intrinsics, pixel_x, pixel_y):
    """Bilinear samples of a working-resolution map at displayed-photo pixel positions (edges included)."""
    import cv2

    rows, columns = values.shape
    map_x = (pixel_x * (columns / intrinsics.width) - 0.5).astype(np.float32)
    map_y = (pixel_y * (rows / intrinsics.height) - 0.5).astype(np.float32)
    return cv2.remap(values, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def camera_rays(intrinsics, pixel_x, pixel_y):
    """World-frame ray directions scaled to unit depth along the view axis (+Y)."""
    cx, cy = intrinsics.width / 2.0, intrinsics.height / 2.0
    rays = np.empty(pixel_x.shape + (3,), dtype=np.float64)
    rays[..., 0] = (pixel_x - cx) / intrinsics.focal_px
    rays[..., 1] = 1.0
    rays[..., 2] = (cy - pixel_y) / intrinsics.focal_px
    return rays


def project_to_pixels(points, intrinsics, camera_location):
    """Inverse of re-projection: world points seen by the capture camera → displayed pixel coordinates."""
    relative = np.asarray(points, dtype=np.float64) - camera_location
    pixel_x = intrinsics.width / 2.0 + intrinsics.focal_px * relative[..., 0] / relative[..., 1]
    pixel_y = intrinsics.height / 2.0 - intrinsics.focal_px * relative[..., 2] / relative[..., 1]
    return np.stack([pixel_x, pixel_y], axis=-1)


def grid_quads(rows, columns):
    """Quads of a rows×columns vertex grid, wound to face the capture camera."""
    index = np.arange(rows * columns, dtype=np.int32).reshape(rows, columns)
    quads = np.stack(
        [index[:-1, :-1], index[1:, :-1], index[1:, 1:], index[:-1, 1:]], axis=-1
    )
    return quads.reshape(-1, 4)


def build_grid_mesh(depth_map, intrinsics, camera_location, quads_long_side, uv_transform=None):
    """Displaced grid: vertex = camera + ray(pixel) × depth(pixel); UV = the pixel's place in the photo.

    `depth_map` is distance along the view axis at working resolution; `uv_transform` (2×3) maps displayed UVs
    to the stored file's UVs when Blender shows the un-rotated file.
    """
    rows, columns = grid_shape_for(intrinsics.width, intrinsics.height, quads_long_side)
    pixel_x, pixel_y = np.meshgrid(
        np.linspace(0.0, intrinsics.width, columns), np.linspace(0.0, intrinsics.height, rows)
    )
    depth = sample_at_pixels(depth_map.astype(np.float32), intrinsics, pixel_x, pixel_y)
    vertices = camera_rays(intrinsics, pixel_x, pixel_y) * depth[..., None] + camera_location
    uvs = np.stack([pixel_x / intrinsics.width, 1.0 - pixel_y / intrinsics.height], axis=-1).reshape(-1, 2)
    if uv_transform is not None:
        uvs = uvs @ uv_transform[:, :2].T + uv_transform[:, 2]
    return MeshArrays(
        vertices=np.ascontiguousarray(vertices.reshape(-1, 3), dtype=np.float32),
        quads=grid_quads(rows, columns),
        uvs=np.ascontiguousarray(uvs, dtype=np.float32),
        grid_shape=(rows, columns),
    )
