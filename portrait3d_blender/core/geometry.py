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
    """Ready for `foreach_set`: float32 vertices (N, 3), int32 quads (M, 4), float32 per-vertex UVs (N, 2).

    `uvs` address the texture as Blender stores it (EXIF rotation folded in); `display_uvs` address the upright
    photo, for the textures we compute ourselves. `material_indices` (M,) picks each quad's material slot.
    """

    vertices: np.ndarray
    quads: np.ndarray
    uvs: np.ndarray
    display_uvs: np.ndarray
    material_indices: np.ndarray


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
    """Quads of a rows×columns vertex grid, wound to face the capture camera; quad (r, c) is row r·(columns-1)+c."""
    index = np.arange(rows * columns, dtype=np.int32).reshape(rows, columns)
    quads = np.stack(
        [index[:-1, :-1], index[1:, :-1], index[1:, 1:], index[:-1, 1:]], axis=-1
    )
    return quads.reshape(-1, 4)


def grid_pixels(intrinsics, quads_long_side):
    """Pixel positions (x, y arrays of the grid's shape) of the vertices, from edge to edge of the photo."""
    rows, columns = grid_shape_for(intrinsics.width, intrinsics.height, quads_long_side)
    return np.meshgrid(np.linspace(0.0, intrinsics.width, columns), np.linspace(0.0, intrinsics.height, rows))


def quads_touching(vertex_values):
    """Per quad of a vertex grid: the max and min of its four corners' values, each (rows-1, columns-1)."""
    corners = np.stack(
        [vertex_values[:-1, :-1], vertex_values[1:, :-1], vertex_values[1:, 1:], vertex_values[:-1, 1:]]
    )
    return corners.max(axis=0), corners.min(axis=0)


def grid_mesh(intrinsics, camera_location, pixel_x, pixel_y, vertex_depth, keep=None, material_index=0,
              uv_transform=None):
    """Mesh of the grid quads where `keep` (rows-1, columns-1) is True, vertices re-projected at `vertex_depth`.

    Vertices no kept quad uses are dropped, so torn-off pieces cost nothing.
    """
    rows, columns = vertex_depth.shape
    quads = grid_quads(rows, columns)
    if keep is not None:
        quads = quads[keep.ravel()]
    used = np.zeros(rows * columns, dtype=bool)
    used[quads.ravel()] = True
    new_index = np.cumsum(used, dtype=np.int32) - 1
    vertices = camera_rays(intrinsics, pixel_x, pixel_y) * vertex_depth[..., None] + camera_location
    display_uvs = np.stack([pixel_x / intrinsics.width, 1.0 - pixel_y / intrinsics.height], axis=-1).reshape(-1, 2)
    display_uvs = display_uvs[used]
    uvs = display_uvs if uv_transform is None else display_uvs @ uv_transform[:, :2].T + uv_transform[:, 2]
    return MeshArrays(
        vertices=np.ascontiguousarray(vertices.reshape(-1, 3)[used], dtype=np.float32),
        quads=np.ascontiguousarray(new_index[quads], dtype=np.int32),
        uvs=np.ascontiguousarray(uvs, dtype=np.float32),
        display_uvs=np.ascontiguousarray(display_uvs, dtype=np.float32),
        material_indices=np.full(len(quads), material_index, dtype=np.int32),
    )


def separate_flat_quads(intrinsics, camera_location, pixel_x, pixel_y, quad_depth, keep, material_index=0,
                        uv_transform=None):
    """Kept quads as separate squares, each at one depth (`quad_depth`, per quad): cards, never stretched."""
    rows, columns = keep.shape
    quad_rows, quad_columns = np.nonzero(keep)
    corner_rows = quad_rows[:, None] + np.array([0, 1, 1, 0])
    corner_columns = quad_columns[:, None] + np.array([0, 0, 1, 1])
    corner_x, corner_y = pixel_x[corner_rows, corner_columns], pixel_y[corner_rows, corner_columns]
    depth = np.repeat(quad_depth[quad_rows, quad_columns][:, None], 4, axis=1)
    vertices = camera_rays(intrinsics, corner_x, corner_y) * depth[..., None] + camera_location
    display_uvs = np.stack([corner_x / intrinsics.width, 1.0 - corner_y / intrinsics.height], axis=-1).reshape(-1, 2)
    uvs = display_uvs if uv_transform is None else display_uvs @ uv_transform[:, :2].T + uv_transform[:, 2]
    return MeshArrays(
        vertices=np.ascontiguousarray(vertices.reshape(-1, 3), dtype=np.float32),
        quads=np.arange(4 * len(quad_rows), dtype=np.int32).reshape(-1, 4),
        uvs=np.ascontiguousarray(uvs, dtype=np.float32),
        display_uvs=np.ascontiguousarray(display_uvs, dtype=np.float32),
        material_indices=np.full(len(quad_rows), material_index, dtype=np.int32),
    )


def concatenate(meshes):
    """One mesh of several: vertex indices of each part are offset past the previous parts."""
    offsets = np.cumsum([0] + [len(mesh.vertices) for mesh in meshes[:-1]])
    return MeshArrays(
        vertices=np.concatenate([mesh.vertices for mesh in meshes]),
        quads=np.concatenate([mesh.quads + offset for mesh, offset in zip(meshes, offsets)]).astype(np.int32),
        uvs=np.concatenate([mesh.uvs for mesh in meshes]),
        display_uvs=np.concatenate([mesh.display_uvs for mesh in meshes]),
        material_indices=np.concatenate([mesh.material_indices for mesh in meshes]),
    )


def build_grid_mesh(depth_map, intrinsics, camera_location, quads_long_side, uv_transform=None):
    """Single-sheet displaced grid: vertex = camera + ray(pixel) × depth(pixel); UV = the pixel's place.

    `depth_map` is distance along the view axis at working resolution; `uv_transform` (2×3) maps displayed UVs
    to the stored file's UVs when Blender shows the un-rotated file.
    """
    pixel_x, pixel_y = grid_pixels(intrinsics, quads_long_side)
    depth = sample_at_pixels(depth_map.astype(np.float32), intrinsics, pixel_x, pixel_y)
    return grid_mesh(intrinsics, camera_location, pixel_x, pixel_y, depth, uv_transform=uv_transform)
