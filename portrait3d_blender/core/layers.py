"""Layered 3D photo: tear the mesh at depth edges and put a filled-in layer behind every tear.

Two layers, each a torn grid plus "back-fill" patches behind its own tears:

- the subject (the person): depth extended a little past the mask so its edge is one surface, a soft alpha
  from the mask, and colours freed of the background that bled into the hair (decontamination);
- the background: the person's hole filled with background depth (never pulled forward) and colours
  inpainted, so that what the orbit uncovers behind the person is wall, not a smeared copy of them.

A tear is any quad whose corners' depths differ by more than `tear_threshold` of the nearer depth (3D
photography's disparity threshold in depth terms). Behind each tear, within the widest parallax the orbit can
show, a back-fill patch continues the far side's depth and colour under the near side.
"""

from dataclasses import dataclass

import numpy as np

from . import geometry
from .fill import extend_into, inpaint_colors, push_pull_fill

DEFAULT_TEAR_THRESHOLD = 0.02  # keeps every remaining quad under about 12:1 at the default resolution
SUBJECT_MIN_ALPHA = 0.02  # quads with any corner above this belong to the subject layer
MIN_TEAR_QUADS = 8  # a depth edge shorter than this many quads is noise
PHOTO_MATERIAL, FILL_MATERIAL = 0, 1  # material slots: the photo itself, or colours we computed


@dataclass
class Layer:
    name: str
    mesh: geometry.MeshArrays
    fill_rgb: np.ndarray  # uint8 H×W×3 at working resolution: the colours for FILL_MATERIAL quads
    matte_rgba: np.ndarray | None  # float32 H×W×4: decontaminated colour + alpha, for a subject only


def _rect_kernel(radius):
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))


def near_side_of_edges(depth, region, threshold, radius):
    """Pixels of `region` within `radius` px of a region pixel that is farther by more than `threshold`."""
    import cv2

    farthest_nearby = cv2.dilate(np.where(region, depth, 0.0).astype(np.float32), _rect_kernel(radius))
    return region & (farthest_nearby > depth * (1.0 + threshold))


def without_specks(pixels, min_area):
    """`pixels` (bool) minus its 8-connected pieces smaller than `min_area`."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(pixels.astype(np.uint8), connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= min_area
    large[0] = False  # label 0 is the background of the labelling
    return large[labels]


def torn_quads(vertex_depth, threshold, min_tear=MIN_TEAR_QUADS):
    """Quads spanning a depth discontinuity: farthest corner beyond (1 + threshold) × the nearest.

    Isolated specks of a few quads are texture that leaked into the depth, not the outline of a thing in
    front of another: they stay whole.
    """
    farthest, nearest = geometry.quads_touching(vertex_depth)
    return without_specks(farthest > nearest * (1.0 + threshold), min_tear)


def parallax_radius(depth, focal_px_working, orbit_radius):
    """Widest strip (working px) that the orbit can uncover behind a depth edge, plus a safety margin."""
    spread = focal_px_working * orbit_radius * (1.0 / depth.min() - 1.0 / depth.max())
    return int(np.clip(np.ceil(spread * 1.5) + 2, 2, 0.15 * max(depth.shape)))


def decontaminate(rgb, alpha, background_rgb, max_gain=1.0):
    """Foreground colour F from I = αF + (1-α)B, with B the inpainted background: no halo around hair.

    Solving exactly, F = I + (1-α)/α · (I − B), amplifies any error in the inpainted B by up to 1/α at the
    faintest hair; the gain is capped at `max_gain` so an imperfect B never paints a fringe of its own.
    """
    alpha = np.clip(alpha, 0.0, 1.0)[..., None]
    image = rgb.astype(np.float32)
    gain = np.minimum((1.0 - alpha) / np.maximum(alpha, 1e-3), max_gain)
    return np.clip(image + gain * (image - background_rgb.astype(np.float32)), 0.0, 255.0)


class _Grid:
    """The vertex grid and the mapping from working-resolution maps to it."""

    def __init__(self, intrinsics, camera_location, quads_long_side, uv_transform):
        self.intrinsics, self.camera_location, self.uv_transform = intrinsics, camera_location, uv_transform
        self.pixel_x, self.pixel_y = geometry.grid_pixels(intrinsics, quads_long_side)

    def sample(self, values):
        return geometry.sample_at_pixels(values.astype(np.float32), self.intrinsics, self.pixel_x, self.pixel_y)

    def mesh(self, depth_map, keep, material_index):
        return geometry.grid_mesh(
            self.intrinsics, self.camera_location, self.pixel_x, self.pixel_y, self.sample(depth_map),
            keep=keep, material_index=material_index, uv_transform=self.uv_transform,
        )


def _quads_over(grid, pixels):
    """Quads with at least one corner mostly inside the bool map `pixels`."""
    return geometry.quads_touching(grid.sample(pixels.astype(np.float32)))[0] > 0.5


def _layer(name, grid, rgb, depth, region, threshold, radius, hole=None, matte=None):
    """A grid over `region`, torn at depth edges, with back-fill patches behind its tears.

    `hole` (bool H×W) marks pixels whose photo colour must not be shown (the person, in the background layer):
    their quads take the fill colours, like the patches.
    """
    import cv2

    in_region = _quads_over(grid, region)
    keep = in_region & ~torn_quads(grid.sample(depth), threshold)
    behind_tears = without_specks(near_side_of_edges(depth, region, threshold, radius), (radius + 2) ** 2)
    # What lies behind a tear continues the far side: keep the near side out of the fill, generously.
    near_side = cv2.dilate(behind_tears.astype(np.uint8), _rect_kernel(radius)).astype(bool) & region
    visible = region & ~hole if hole is not None else region
    known = visible & ~near_side
    if not known.any():  # edges everywhere: better the near side's colours than none
        known = visible if visible.any() else region
    fill_rgb = inpaint_colors(rgb, known)
    if hole is not None:  # the hole's rim continues whatever touches it, near side or not
        fill_rgb = np.where(hole[..., None], inpaint_colors(rgb, visible), fill_rgb)
    fill_rgb = np.clip(fill_rgb, 0.0, 255.0)
    back_depth = np.maximum(push_pull_fill(depth, known), depth)

    parts = []
    if hole is not None:
        in_hole = _quads_over(grid, hole)
        parts.append(grid.mesh(depth, keep & in_hole, FILL_MATERIAL))
        keep &= ~in_hole
    parts.append(grid.mesh(depth, keep, PHOTO_MATERIAL))
    patches = in_region & _quads_over(grid, behind_tears) & ~torn_quads(grid.sample(back_depth), threshold)
    # A hair behind the surface it backs, so the two never fight where they overlap.
    parts.append(grid.mesh(back_depth * 1.002, patches, FILL_MATERIAL))
    mesh = geometry.concatenate([part for part in parts if len(part.quads)] or parts[:1])
    return Layer(name, mesh, fill_rgb.astype(np.uint8), matte)


def build_layers(rgb, mask, person_found, depth, grid_spec, orbit_radius, threshold=DEFAULT_TEAR_THRESHOLD):
    """Subject (when there is a person) and background layers for one photo.

    `depth` is the view-axis distance at working resolution; `grid_spec` is (intrinsics, camera_location,
    quads_long_side, uv_transform) of the mesh grid.
    """
    import cv2

    intrinsics = grid_spec[0]
    grid = _Grid(*grid_spec)
    # Texture that leaked into the depth makes speckles, not edges: a median keeps steps and drops specks.
    depth = cv2.medianBlur(depth.astype(np.float32), 5)
    focal_working = intrinsics.focal_px * depth.shape[1] / intrinsics.width
    radius = parallax_radius(depth, focal_working, orbit_radius)
    everywhere = np.ones(depth.shape, dtype=bool)
    if not person_found:
        return [_layer("Background", grid, rgb, depth, everywhere, threshold, radius)]

    person = mask > 0.5
    band = max(2, round(max(mask.shape) / 128))
    subject_depth = extend_into(depth, person, 2.0 * band)  # one surface out to the softest hair
    subject_region = mask > SUBJECT_MIN_ALPHA
    # Where the background layer shows inpainted colour instead of the photo: the person proper. Their faint
    # fringe (hair, motion blur) stays in the background's photo colours, which composite back to the photo
    # under the subject's soft alpha; inpainting it too would show a blurred ring even without moving.
    person_hole = cv2.dilate(person.astype(np.uint8), _rect_kernel(1)).astype(bool)
    # Behind the person: the surrounding background's depth, and never in front of the person.
    behind = push_pull_fill(depth, ~person_hole)
    background_depth = np.where(person_hole, np.maximum(behind, subject_depth * 1.01), depth)
    background = _layer("Background", grid, rgb, background_depth, everywhere, threshold, radius, hole=person_hole)
    matte = np.empty(mask.shape + (4,), dtype=np.float32)
    matte[..., :3] = decontaminate(rgb, mask, background.fill_rgb) / 255.0
    matte[..., 3] = mask
    subject = _layer("Subject", grid, rgb, subject_depth, subject_region, threshold, radius, matte=matte)
    return [subject, background]


def stretched_quad_share(mesh, ratio=20.0):
    """Share of quads whose longest edge is over `ratio` × their shortest: the rubber sheet's signature."""
    corners = mesh.vertices[mesh.quads].astype(np.float64)
    edges = np.linalg.norm(corners - np.roll(corners, -1, axis=1), axis=2)
    return float(np.mean(edges.max(axis=1) > ratio * edges.min(axis=1))) if len(edges) else 0.0
