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
TOPOLOGIES_KEPT = 6  # quad masks whose topology VertexGrid.mesh keeps: a layered plan makes four (14-17 MB for the
# default mesh of a 12 MP photo, beside the grid's own 10 MB), and going back to the last value makes no new one


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
    photo, for the textures we compute ourselves. When the two agree they are one array (`uvs is display_uvs`),
    which saves copying them twice. `material_indices` (M,) picks each quad's material slot.
    `edges` (E, 2) and `corner_edges` (M, 4), the edge from each corner to the next, come from the grid's
    structure, so Blender need not derive them. `colors` (N, 4) uint8 sRGB and alpha, or None: computed colours
    per vertex. `foreground` (N,) float32, or None (0 everywhere): how much each vertex is the person, for the
    depth-aware grade.
    """

    vertices: np.ndarray
    quads: np.ndarray
    uvs: np.ndarray
    display_uvs: np.ndarray
    material_indices: np.ndarray
    edges: np.ndarray
    corner_edges: np.ndarray
    colors: np.ndarray | None = None
    foreground: np.ndarray | None = None


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
    """Bilinear samples of a working-resolution map (H×W or H×W×C) at displayed-photo pixel positions."""
    import cv2

    rows, columns = values.shape[:2]
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
    top_left, bottom_left = vertex_values[:-1, :-1], vertex_values[1:, :-1]
    bottom_right, top_right = vertex_values[1:, 1:], vertex_values[:-1, 1:]
    highest = np.maximum(np.maximum(top_left, bottom_left), np.maximum(bottom_right, top_right))
    lowest = np.minimum(np.minimum(top_left, bottom_left), np.minimum(bottom_right, top_right))
    return highest, lowest


def quad_corners(quad_mask):
    """The vertices (bool, rows×columns) that are corners of the quads where `quad_mask` is True."""
    corners = np.zeros((quad_mask.shape[0] + 1, quad_mask.shape[1] + 1), dtype=bool)
    corners[:-1, :-1] |= quad_mask
    corners[1:, :-1] |= quad_mask
    corners[1:, 1:] |= quad_mask
    corners[:-1, 1:] |= quad_mask
    return corners


def stored_uvs(display_uvs, uv_transform):
    """UVs of the texture as Blender stores the file, from UVs of the upright photo."""
    if uv_transform is None:
        return display_uvs
    return (display_uvs @ uv_transform[:, :2].T + uv_transform[:, 2]).astype(display_uvs.dtype)


class VertexGrid:
    """Vertices spanning the photo edge to edge, with everything that no depth changes worked out once.

    The rays, UVs, quads and edges of the whole grid depend only on the photo and the resolution, so a mesh of
    any subset of its quads at any depth is a handful of gathers: that is what keeps a slider live.
    """

    def __init__(self, intrinsics, quads_long_side, uv_transform=None):
        self.intrinsics = intrinsics
        self.pixel_x, self.pixel_y = grid_pixels(intrinsics, quads_long_side)
        self.shape = self.pixel_x.shape
        self.quad_shape = (self.shape[0] - 1, self.shape[1] - 1)
        self.rays = camera_rays(intrinsics, self.pixel_x, self.pixel_y).reshape(-1, 3).astype(np.float32)
        display = np.stack([self.pixel_x / intrinsics.width, 1.0 - self.pixel_y / intrinsics.height], axis=-1)
        self.display_uvs = display.reshape(-1, 2).astype(np.float32)
        self.uvs = stored_uvs(self.display_uvs, uv_transform)
        self.quads = grid_quads(*self.shape)
        vertex = np.arange(self.shape[0] * self.shape[1], dtype=np.int32).reshape(self.shape)
        # Every edge of the full grid: those along rows first, then those along columns.
        self._edge_ends = np.concatenate([
            np.stack([vertex[:, :-1], vertex[:, 1:]], axis=-1).reshape(-1, 2),
            np.stack([vertex[:-1], vertex[1:]], axis=-1).reshape(-1, 2),
        ])
        self._topologies = {}  # keep.tobytes() -> what `mesh` shares between meshes of the same quads

    def sample(self, values):
        """A working-resolution map (H×W or H×W×C) at the vertices, bilinear."""
        return sample_at_pixels(np.asarray(values, dtype=np.float32), self.intrinsics, self.pixel_x, self.pixel_y)

    def mesh(self, camera_location, vertex_depth, keep=None, material_index=0, colors=None):
        """The quads where `keep` (quad grid, bool) is True, each vertex on its ray at `vertex_depth`.

        Vertices that no kept quad uses are dropped, so torn-off pieces cost nothing. `colors` (rows×columns×4,
        uint8 RGBA) become the mesh's per-vertex colours. Gathers go through flat indices and `np.take`, several
        times faster than boolean indexing of rows. The arrays that depend on `keep` alone are shared with
        earlier meshes of the same quads and read-only.
        """
        if keep is None:
            keep = np.ones(self.quad_shape, dtype=bool)
        topology = self._topology(keep)
        used_vertices = topology["used_vertices"]
        depth = np.take(np.asarray(vertex_depth, dtype=np.float32).ravel(), used_vertices)
        rays = np.take(self.rays, used_vertices, axis=0)
        return MeshArrays(
            vertices=rays * depth[:, None] + np.asarray(camera_location, dtype=np.float32),
            quads=topology["quads"],
            uvs=topology["uvs"],
            display_uvs=topology["display_uvs"],
            material_indices=np.full(len(topology["quads"]), material_index, dtype=np.int32),
            edges=topology["edges"],
            corner_edges=topology["corner_edges"],
            colors=None if colors is None else np.take(colors.reshape(-1, colors.shape[-1]), used_vertices, axis=0),
        )

    def _topology(self, keep):
        """The vertices, quads, edges and UVs of a mesh of the quads where `keep` is True, for any depth.

        A change of depth (its strength, the tear threshold) keeps many layers' quads, so these come from a small
        cache of the masks last used: half of a mesh's cost, and the edges are most of it.
        """
        key = keep.tobytes()
        topology = self._topologies.pop(key, None)
        if topology is not None:
            self._topologies[key] = topology  # the most recently used goes last
            return topology
        kept_quads = np.flatnonzero(keep)
        used = quad_corners(keep).ravel()
        used_vertices = np.flatnonzero(used)
        new_index = np.cumsum(used, dtype=np.int32) - 1
        edge_ends, corner_edges = self._edges(keep, kept_quads)
        topology = dict(used_vertices=used_vertices, quads=np.take(new_index, np.take(self.quads, kept_quads, axis=0)),
                        edges=np.take(new_index, edge_ends), corner_edges=corner_edges, **self._uvs_of(used_vertices))
        for array in topology.values():
            array.flags.writeable = False  # shared by every mesh of these quads
        if len(self._topologies) >= TOPOLOGIES_KEPT:
            self._topologies.pop(next(iter(self._topologies)))  # the least recently used
        self._topologies[key] = topology
        return topology

    def _uvs_of(self, vertices):
        """Both UV sets of these grid vertices; one shared array when the texture is stored upright."""
        display_uvs = np.take(self.display_uvs, vertices, axis=0)
        uvs = display_uvs if self.uvs is self.display_uvs else np.take(self.uvs, vertices, axis=0)
        return {"uvs": uvs, "display_uvs": display_uvs}

    def _edges(self, keep, kept_quads):
        """Edges of the kept quads (grid vertex numbers), and each kept quad's four edges, without a search.

        An edge joins neighbours along a row or a column; it is kept when a kept quad lies on either side of it.
        Quad (r, c) is flat number q = r·(columns−1) + c: its top edge is row edge q, its bottom one row edge
        q + columns − 1, its left one column edge q + r, its right one q + r + 1.
        """
        quad_columns = self.quad_shape[1]
        row_edges = np.zeros((self.shape[0], quad_columns), dtype=bool)
        row_edges[:-1] |= keep
        row_edges[1:] |= keep
        column_edges = np.zeros((self.quad_shape[0], self.shape[1]), dtype=bool)
        column_edges[:, :-1] |= keep
        column_edges[:, 1:] |= keep
        kept_edges = np.concatenate([row_edges.ravel(), column_edges.ravel()])
        number = np.cumsum(kept_edges, dtype=np.int32) - 1
        left = kept_quads + kept_quads // quad_columns + row_edges.size
        # Corners run (r, c) → (r+1, c) → (r+1, c+1) → (r, c+1): left, bottom, right, then top edge.
        corner_edges = np.take(number, np.stack([left, kept_quads + quad_columns, left + 1, kept_quads], axis=-1))
        return np.take(self._edge_ends, np.flatnonzero(kept_edges), axis=0), corner_edges.astype(np.int32)

    def flat_cards(self, camera_location, quad_depth, keep, material_index=0, colors=None):
        """The quads where `keep` is True as separate squares, each at its one `quad_depth`: never stretched."""
        quad_index = np.flatnonzero(keep)
        corner_vertices = self.quads[quad_index].ravel()  # the grid's vertices at the cards' corners
        depth = np.repeat(np.asarray(quad_depth, dtype=np.float32).ravel()[quad_index], 4)
        corners = np.arange(len(corner_vertices), dtype=np.int32).reshape(-1, 4)
        return MeshArrays(
            vertices=self.rays[corner_vertices] * depth[:, None] + np.asarray(camera_location, dtype=np.float32),
            quads=corners,
            **self._uvs_of(corner_vertices),
            material_indices=np.full(len(quad_index), material_index, dtype=np.int32),
            edges=np.stack([corners, np.roll(corners, -1, axis=1)], axis=-1).reshape(-1, 2),  # each card's own
            corner_edges=corners.copy(),
            colors=None if colors is None else np.take(colors.reshape(-1, colors.shape[-1]), corner_vertices, axis=0),
        )


def _offset_stack(parts, offsets):
    """Index arrays stacked into one, each part's indices raised by its offset."""
    stacked = np.concatenate(parts).astype(np.int32, copy=False)
    start = 0
    for part, offset in zip(parts, offsets):
        stacked[start:start + len(part)] += int(offset)  # a Python int keeps the add in int32
        start += len(part)
    return stacked


def concatenate(meshes):
    """One mesh of several: vertex and edge indices of each part are offset past the previous parts.

    A part without colours is white where others have them: a viewer that multiplies the texture by the vertex
    colour (glTF's COLOR_0) then shows the photo as it is.
    """
    vertex_offsets = np.cumsum([0] + [len(mesh.vertices) for mesh in meshes[:-1]])
    edge_offsets = np.cumsum([0] + [len(mesh.edges) for mesh in meshes[:-1]])
    colors = [mesh.colors for mesh in meshes]
    display_uvs = np.concatenate([mesh.display_uvs for mesh in meshes])
    return MeshArrays(
        vertices=np.concatenate([mesh.vertices for mesh in meshes]),
        quads=_offset_stack([mesh.quads for mesh in meshes], vertex_offsets),
        uvs=display_uvs if all(mesh.uvs is mesh.display_uvs for mesh in meshes) else np.concatenate(
            [mesh.uvs for mesh in meshes]
        ),
        display_uvs=display_uvs,
        material_indices=np.concatenate([mesh.material_indices for mesh in meshes]),
        edges=_offset_stack([mesh.edges for mesh in meshes], vertex_offsets),
        corner_edges=_offset_stack([mesh.corner_edges for mesh in meshes], edge_offsets),
        colors=None if all(part is None for part in colors) else np.concatenate([
            np.full((len(mesh.vertices), 4), 255, dtype=np.uint8) if part is None else part
            for mesh, part in zip(meshes, colors)
        ]),
        foreground=None if all(mesh.foreground is None for mesh in meshes) else np.concatenate([
            np.zeros(len(mesh.vertices), dtype=np.float32) if mesh.foreground is None else mesh.foreground
            for mesh in meshes
        ]),
    )


def build_grid_mesh(depth_map, intrinsics, camera_location, quads_long_side, uv_transform=None, foreground_map=None):
    """Single-sheet displaced grid: vertex = camera + ray(pixel) × depth(pixel); UV = the pixel's place.

    `depth_map` is distance along the view axis at working resolution; `uv_transform` (2×3) maps displayed UVs
    to the stored file's UVs when Blender shows the un-rotated file. `foreground_map` (the person mask, same
    resolution) becomes the vertices' `foreground`.
    """
    grid = VertexGrid(intrinsics, quads_long_side, uv_transform)
    sheet = grid.mesh(camera_location, grid.sample(depth_map))  # every vertex, in grid order
    if foreground_map is not None:
        sheet.foreground = grid.sample(foreground_map).ravel()
    return sheet
