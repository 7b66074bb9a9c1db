"""Layered 3D photo: tear the mesh at depth edges and put a filled-in layer behind every tear.

Two layers, each a torn grid plus "back-fill" patches behind its own tears:

- the subject (the person): depth extended a little past the mask so its edge is one surface, a soft alpha
  from the mask, and colours freed of the background that bled into the hair (decontamination);
- the background: the person's hole filled with background depth (never pulled forward) and colours
  inpainted, so that what the orbit uncovers behind the person is wall, not a smeared copy of them.

A tear is any quad whose corners' depths differ by more than `tear_threshold` of the nearer depth (3D
photography's disparity threshold in depth terms), stated per quad of a 512-quad mesh. Behind each tear,
within the widest parallax the camera's move can show, a back-fill patch continues the far side's depth and
colour under the near side; all of this is worked out on the vertex grid, so it holds at any resolution.
Last, a coarse backstop card behind the background catches whatever two layers cannot hold.
"""

from dataclasses import dataclass

import numpy as np

from . import geometry
from .fill import extend_into, inpaint_colors, push_pull_fill

DEFAULT_TEAR_THRESHOLD = 0.02  # keeps every remaining quad under about 12:1 at the default resolution
HOLE_MIN_MASK = 0.02  # the background is inpainted wherever the person mask reaches this
# MediaPipe's mask fades over several pixels, much of it background colour: the subject's alpha is "choked"
# to rise from 0 to 1 between these mask values, a soft edge without a band of the old background around it.
ALPHA_CHOKE = (0.2, 0.8)
REFERENCE_QUADS = 512  # the mesh resolution the tear threshold is stated for
MIN_TEAR_QUADS = 8  # a depth edge shorter than this many quads is noise
PHOTO_MATERIAL, FILL_MATERIAL = 0, 1  # material slots: the photo itself, or colours we computed


@dataclass
class Layer:
    name: str
    mesh: geometry.MeshArrays
    fill_rgb: np.ndarray  # uint8 H×W×3 at working resolution: the colours for FILL_MATERIAL quads
    matte_rgba: np.ndarray | None  # uint8 H×W×4: decontaminated colour + alpha, for a subject only


def _rect_kernel(radius):
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))


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


def decontaminate(rgb, alpha, background_rgb, max_gain=0.35):
    """Foreground colour F from I = αF + (1-α)B, with B the inpainted background: no halo around hair.

    Solving exactly, F = I + (1-α)/α · (I − B), amplifies any error in the inpainted B by up to 1/α at the
    faintest hair, and a fringe that overshoots shows as a dark or bright outline once the camera moves. The
    gain is capped at `max_gain`: most of the old background's tint goes, and nothing new is painted.
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

    @property
    def quad_pixels(self):
        """Photo pixels per quad (the grid is square-ish)."""
        return self.pixel_x[0, 1] - self.pixel_x[0, 0]

    def flat_cards(self, quad_depth, keep, material_index):
        return geometry.separate_flat_quads(
            self.intrinsics, self.camera_location, self.pixel_x, self.pixel_y, quad_depth,
            keep=keep, material_index=material_index, uv_transform=self.uv_transform,
        )

    def mesh(self, vertex_depth, keep, material_index):
        return geometry.grid_mesh(
            self.intrinsics, self.camera_location, self.pixel_x, self.pixel_y, vertex_depth,
            keep=keep, material_index=material_index, uv_transform=self.uv_transform,
        )


def _quads_over(grid, pixels):
    """Quads with at least one corner mostly inside the bool map `pixels`."""
    return geometry.quads_touching(grid.sample(pixels.astype(np.float32)))[0] > 0.5


def _dilated(values, radius):
    import cv2

    return cv2.dilate(values.astype(np.uint8), _rect_kernel(radius)).astype(bool) if radius > 0 else values


def _layer(name, grid, rgb, depth, region, threshold, radius, hole=None, matte=None):
    """A grid over `region`, torn at depth edges, with back-fill patches behind its tears.

    Tears and back-fill are worked out on the vertex grid itself, so every torn quad has a patch behind it at
    any mesh resolution. `hole` (bool H×W) marks pixels whose photo colour must not be shown (the person, in
    the background layer): their quads take the fill colours, like the patches. `radius` is the widest strip,
    in working pixels, that the camera's move can uncover.
    """
    import cv2

    height, width = depth.shape
    vertex_depth = grid.sample(depth)
    vertex_region = grid.sample(region.astype(np.float32)) > 0.5
    in_region = geometry.quads_touching(vertex_region.astype(np.float32))[0] > 0.5
    # The threshold is per quad of the default 512-quad mesh: a coarser mesh spans more relief per quad.
    threshold = threshold * max(1.0, REFERENCE_QUADS / (max(vertex_depth.shape) - 1))
    torn = in_region & torn_quads(vertex_depth, threshold)

    # Near side of each tear, in vertices, as wide as the move can uncover (in quads) plus one.
    reach = int(np.ceil(radius * grid.intrinsics.width / width / grid.quad_pixels)) + 1
    farthest_nearby = cv2.dilate(np.where(vertex_region, vertex_depth, 0.0).astype(np.float32), _rect_kernel(reach))
    near_side = vertex_region & (farthest_nearby > vertex_depth * (1.0 + threshold))
    behind = _dilated(near_side, reach)
    known_vertices = vertex_region & ~behind
    if hole is not None:
        known_vertices &= ~(grid.sample(hole.astype(np.float32)) > 0.5)
    if not known_vertices.any():
        known_vertices = vertex_region
    back_depth = np.maximum(push_pull_fill(vertex_depth, known_vertices), vertex_depth)

    # Colours behind the tears continue the far side; the hole's rim continues whatever touches it.
    behind_pixels = cv2.resize(behind.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
    visible = region & ~hole if hole is not None else region
    known = visible & ~_dilated(behind_pixels, 1)
    fill_rgb = inpaint_colors(rgb, known if known.any() else (visible if visible.any() else region))
    if hole is not None:
        fill_rgb = np.where(hole[..., None], inpaint_colors(rgb, visible), fill_rgb)
    fill_rgb = np.clip(fill_rgb, 0.0, 255.0)

    keep = in_region & ~torn
    parts = []
    if hole is not None:
        in_hole = _quads_over(grid, hole)
        parts.append(grid.mesh(vertex_depth, keep & in_hole, FILL_MATERIAL))
        keep &= ~in_hole
    parts.append(grid.mesh(vertex_depth, keep, PHOTO_MATERIAL))
    # Behind every tear and its neighbours, and under the strip the move can uncover.
    patch_vertices = geometry.quads_touching(near_side.astype(np.float32))[0] > 0.5
    patches = in_region & (_dilated(torn, 1) | _dilated(patch_vertices, reach))
    # A patch is no rubber sheet either: where the back-fill itself steps, its quads become separate flat
    # cards at their farthest corner's depth. A hair behind the surface it backs, so the two never fight.
    stepped = torn_quads(back_depth, threshold, min_tear=1)
    parts.append(grid.mesh(back_depth * 1.002, patches & ~stepped, FILL_MATERIAL))
    farthest_corner = geometry.quads_touching(back_depth)[0]
    parts.append(grid.flat_cards(farthest_corner * 1.002, patches & stepped, FILL_MATERIAL))
    mesh = geometry.concatenate([part for part in parts if len(part.quads)] or parts[:1])
    return Layer(name, mesh, fill_rgb.astype(np.uint8), matte)


BACKSTOP_QUADS = 16


def _with_backstop(layer, grid, depth):
    """Add a last, coarse card behind everything, showing the layer's fill colours.

    Back-fill covers what the move uncovers as far as the depth map can tell; where a photo's depth has
    more steps than two layers can hold, the backstop shows the inpainted background instead of the void.
    """
    pixel_x, pixel_y = geometry.grid_pixels(grid.intrinsics, min(BACKSTOP_QUADS, max(grid.pixel_x.shape) - 1))
    distance = np.full(pixel_x.shape, float(depth.max()) * 1.05)
    backstop = geometry.grid_mesh(
        grid.intrinsics, grid.camera_location, pixel_x, pixel_y, distance,
        material_index=FILL_MATERIAL, uv_transform=grid.uv_transform,
    )
    return Layer(layer.name, geometry.concatenate([layer.mesh, backstop]), layer.fill_rgb, layer.matte_rgba)


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
        return [_with_backstop(_layer("Background", grid, rgb, depth, everywhere, threshold, radius), grid, depth)]

    person = mask > 0.5
    band = max(2, round(max(mask.shape) / 128))
    subject_depth = extend_into(depth, person, 2.0 * band)  # one surface out to the softest hair
    low, high = ALPHA_CHOKE
    alpha = np.clip((mask - low) / (high - low), 0.0, 1.0)
    alpha = alpha * alpha * (3.0 - 2.0 * alpha)  # smoothstep
    # Well inside the person the subject is opaque, however unsure the segmenter was there.
    interior = cv2.erode(person.astype(np.uint8), _rect_kernel(band)).astype(np.float32)
    alpha = np.maximum(alpha, cv2.GaussianBlur(interior, (0, 0), band / 2.0))
    subject_region = alpha > 0.0
    # Where the background layer shows inpainted colour instead of the photo: everywhere the person reaches,
    # faint fringe included, or the orbit would drag a ghost of their colours across the wall. The colours
    # are continued from the rim, so where the subject's edge is faint the composite still looks like the photo.
    person_hole = cv2.dilate((mask > HOLE_MIN_MASK).astype(np.uint8), _rect_kernel(1)).astype(bool)
    # Behind the person: the surrounding background's depth, and never in front of the person.
    behind = push_pull_fill(depth, ~person_hole)
    background_depth = np.where(person_hole, np.maximum(behind, subject_depth * 1.01), depth)
    background = _layer("Background", grid, rgb, background_depth, everywhere, threshold, radius, hole=person_hole)
    background = _with_backstop(background, grid, background_depth)
    matte = np.empty(mask.shape + (4,), dtype=np.uint8)
    matte[..., :3] = np.round(decontaminate(rgb, alpha, background.fill_rgb))
    matte[..., 3] = np.round(alpha * 255.0)
    subject = _layer("Subject", grid, rgb, subject_depth, subject_region, threshold, radius, matte=matte)
    return [subject, background]


def stretched_quad_share(mesh, ratio=20.0):
    """Share of quads whose longest edge is over `ratio` × their shortest: the rubber sheet's signature."""
    corners = mesh.vertices[mesh.quads].astype(np.float64)
    edges = np.linalg.norm(corners - np.roll(corners, -1, axis=1), axis=2)
    return float(np.mean(edges.max(axis=1) > ratio * edges.min(axis=1))) if len(edges) else 0.0
