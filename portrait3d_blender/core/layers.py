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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import geometry
from .fill import extend_into, inpaint_colors, nearest_known, push_pull_fill

DEFAULT_TEAR_THRESHOLD = 0.02  # keeps every remaining quad under about 12:1 at the default resolution
HOLE_MIN_MASK = 0.02  # the background is inpainted wherever the person mask reaches this
# MediaPipe's mask fades over several pixels, much of it background colour: the subject's alpha is "choked"
# to rise from 0 to 1 between these mask values, a soft edge without a band of the old background around it.
ALPHA_CHOKE = (0.2, 0.8)
REFERENCE_QUADS = 512  # the mesh resolution the tear threshold is stated for
MIN_TEAR_QUADS = 8  # a depth edge shorter than this many quads is noise
BACKSTOP_QUADS = 16  # the last card behind everything is coarse: it only has to be there
PHOTO_MATERIAL, FILL_MATERIAL = 0, 1  # material slots: the photo itself, or colours we computed


@dataclass
class Layer:
    name: str
    mesh: geometry.MeshArrays  # its FILL_MATERIAL quads show `mesh.colors`, the colours we computed
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


def _dilated(values, radius):
    import cv2

    return cv2.dilate(values.astype(np.uint8), _rect_kernel(radius)).astype(bool) if radius > 0 else values


def _any_corner(vertex_mask):
    """Quads with at least one corner in the bool vertex grid `vertex_mask`."""
    return geometry.quads_touching(vertex_mask)[0]


@dataclass
class LayerMaps:
    """What the layers need from a photo that no slider changes: worked out once per analysis (~0.2 s).

    Nearness is median-filtered (texture that leaked into the depth makes speckles, not edges), and since
    nearness → depth is monotonic, filtering it is filtering the depth, whatever the depth strength.
    """

    nearness: np.ndarray  # float32 H×W, the whole photo
    subject_nearness: np.ndarray | None  # the person's, extended past the mask so its edge is one surface
    background_nearness: np.ndarray  # the background's, continued across where the person stands
    subject_alpha: np.ndarray | None  # float32 H×W: choked mask, opaque well inside the person
    person_hole: np.ndarray | None  # bool H×W: where the background shows computed colours
    background_rgb: np.ndarray  # uint8 H×W×3: the photo with the person inpainted
    rgb: np.ndarray  # uint8 H×W×3: the photo
    matte_rgba: np.ndarray | None  # uint8 H×W×4: the subject's decontaminated colours and alpha


def layer_maps(rgb, mask, nearness, person_found):
    """Split a photo into what the subject and the background layers show (working resolution)."""
    import cv2

    nearness = cv2.medianBlur(nearness.astype(np.float32), 5)
    if not person_found:
        return LayerMaps(nearness, None, nearness, None, None, rgb, rgb, None)
    person = mask > 0.5
    band = max(2, round(max(mask.shape) / 128))
    subject_nearness = extend_into(nearness, person, 2.0 * band)  # one surface out to the softest hair
    low, high = ALPHA_CHOKE
    alpha = np.clip((mask - low) / (high - low), 0.0, 1.0)
    alpha = alpha * alpha * (3.0 - 2.0 * alpha)  # smoothstep
    # Well inside the person the subject is opaque, however unsure the segmenter was there.
    interior = cv2.erode(person.astype(np.uint8), _rect_kernel(band)).astype(np.float32)
    alpha = np.maximum(alpha, cv2.GaussianBlur(interior, (0, 0), band / 2.0))
    # Where the background layer shows inpainted colour instead of the photo: everywhere the person reaches,
    # faint fringe included, or the orbit would drag a ghost of their colours across the wall. The colours
    # are continued from the rim, so where the subject's edge is faint the composite still looks like the photo.
    person_hole = _dilated(mask > HOLE_MIN_MASK, 1)
    background_nearness = push_pull_fill(nearness, ~person_hole)  # the surrounding background, carried across
    background_rgb = np.clip(inpaint_colors(rgb, ~person_hole), 0.0, 255.0).astype(np.uint8)
    matte = np.empty(mask.shape + (4,), dtype=np.uint8)
    matte[..., :3] = np.round(decontaminate(rgb, alpha, background_rgb))
    matte[..., 3] = np.round(alpha * 255.0)
    return LayerMaps(nearness, subject_nearness, background_nearness, alpha, person_hole, background_rgb, rgb, matte)


def _sampled_colors(grid, rgb):
    """An RGB map at the grid's vertices as opaque uint8 RGBA (four bytes gather faster than three)."""
    colors = np.full(grid.shape + (4,), 255, dtype=np.uint8)
    colors[..., :3] = np.clip(np.round(grid.sample(rgb)), 0, 255)
    return colors


class LayerGrid(geometry.VertexGrid):
    """`LayerMaps` sampled on the vertex grid of one mesh resolution: all a slider's change starts from."""

    def __init__(self, maps, intrinsics, quads_long_side, uv_transform):
        super().__init__(intrinsics, quads_long_side, uv_transform)
        self.maps = maps
        self.quad_pixels = self.pixel_x[0, 1] - self.pixel_x[0, 0]  # photo pixels per (square-ish) quad
        self.background_nearness = self.sample(maps.background_nearness)
        self.background_rgb = _sampled_colors(self, maps.background_rgb)
        self.person_found = maps.subject_nearness is not None
        if self.person_found:
            self.subject_nearness = self.sample(maps.subject_nearness)
            self.subject_region = self.sample(maps.subject_alpha > 0.0) > 0.5
            self.subject_rgb = _sampled_colors(self, maps.rgb)
            self.hole = self.sample(maps.person_hole) > 0.5
        self.nearness_range = float(maps.nearness.min()), float(maps.nearness.max())
        self.backstop = geometry.VertexGrid(intrinsics, min(BACKSTOP_QUADS, max(self.quad_shape)), uv_transform)
        self.backstop_rgb = _sampled_colors(self.backstop, maps.background_rgb)

    def reach(self, near_depth, far_depth, orbit_radius):
        """Widest strip, in quads, that the move can uncover behind a depth edge, with a margin."""
        spread = self.intrinsics.focal_px * orbit_radius * (1.0 / near_depth - 1.0 / far_depth) / self.quad_pixels
        return int(np.clip(np.ceil(1.5 * spread) + 2, 2, 0.15 * max(self.shape)))


def continue_colors(colors, known):
    """Colours (uint8 rows×columns×channels) where `known` is False taken from the nearest known vertex, softened."""
    import cv2

    if known.all() or not known.any():
        return colors
    nearest = cv2.GaussianBlur(nearest_known(colors, known)[0], (0, 0), 1.0)
    return np.where(known[..., None], colors, nearest)


def _layer_parts(grid, camera_location, depth, region, threshold, reach, colors, hole=None):
    """A vertex grid over `region`, torn at depth edges, with back-fill patches behind its tears.

    `depth` and `colors` are per vertex; `reach` is the widest strip, in quads, that the move can uncover.
    `hole` (bool per vertex) marks where the photo must not be shown (the person, in the background layer):
    those quads show `colors`, like the patches.
    """
    import cv2

    in_region = _any_corner(region)
    # The threshold is per quad of the default 512-quad mesh: a coarser mesh spans more relief per quad.
    threshold = threshold * max(1.0, REFERENCE_QUADS / (max(depth.shape) - 1))
    torn = in_region & torn_quads(depth, threshold)

    # The near side of each tear, as wide as the move can uncover: where a patch must continue the far side.
    kernel = _rect_kernel(reach)
    farthest_nearby = cv2.dilate(np.where(region, depth, 0.0).astype(np.float32), kernel)
    nearest_nearby = cv2.erode(np.where(region, depth, np.inf).astype(np.float32), kernel)
    torn_corners = geometry.quad_corners(torn)
    near_side = region & _dilated(torn_corners, reach) & (farthest_nearby > depth * (1.0 + threshold))
    # What the patches continue: the far side, a couple of quads clear of the edge where depth blurs across it.
    far_side = region & (nearest_nearby < depth / (1.0 + threshold)) & ~near_side & ~_dilated(torn_corners, 2)
    known = region & ~(_dilated(near_side, reach) & ~far_side)
    known_depth = known & ~hole if hole is not None else known
    back_depth = np.maximum(push_pull_fill(depth, known_depth if known_depth.any() else region), depth)
    colors = continue_colors(colors, known)

    keep = in_region & ~torn
    parts = []
    if hole is not None:  # its own piece: exporters split a mesh by material, and a shared seam would double
        in_hole = _any_corner(hole)
        parts.append(grid.mesh(camera_location, depth, keep & in_hole, FILL_MATERIAL, colors))
        keep &= ~in_hole
    parts.append(grid.mesh(camera_location, depth, keep, PHOTO_MATERIAL))
    patches = in_region & (_dilated(torn, 1) | _any_corner(near_side))
    # A patch is no rubber sheet either: where the back-fill itself steps, its quads become separate flat
    # cards at their farthest corner's depth. A hair behind the surface it backs, so the two never fight.
    stepped = torn_quads(back_depth, threshold, min_tear=1)
    parts.append(grid.mesh(camera_location, back_depth * 1.002, patches & ~stepped, FILL_MATERIAL, colors))
    farthest_corner = geometry.quads_touching(back_depth)[0]
    parts.append(grid.flat_cards(camera_location, farthest_corner * 1.002, patches & stepped, FILL_MATERIAL, colors))
    return [part for part in parts if len(part.quads)] or parts[:1]



def _backstop(grid, camera_location, depth):
    """A last, coarse card behind everything, showing the inpainted background.

    Back-fill covers what the move uncovers as far as the depth map can tell; where a photo's depth has
    more steps than two layers can hold, the backstop shows the inpainted background instead of the void.
    """
    distance = np.full(grid.backstop.shape, float(depth.max()) * 1.05)
    return grid.backstop.mesh(camera_location, distance, material_index=FILL_MATERIAL, colors=grid.backstop_rgb)


def build_layers(grid, to_depth, camera_location, orbit_radius, threshold=DEFAULT_TEAR_THRESHOLD):
    """Subject (when there is a person) and background layers, front to back, for one `LayerGrid`.

    `to_depth` turns nearness into distance along the view axis (it carries the depth strength and scale).
    Fast: everything that does not depend on the depth was worked out in the grid.
    """
    near_depth, far_depth = to_depth(np.array(grid.nearness_range[::-1]))
    reach = grid.reach(near_depth, far_depth, orbit_radius)
    background_depth = to_depth(grid.background_nearness)
    everywhere = np.ones(background_depth.shape, dtype=bool)
    if not grid.person_found:
        background = _layer_parts(grid, camera_location, background_depth, everywhere, threshold, reach,
                                  grid.background_rgb)
        backstop = _backstop(grid, camera_location, background_depth)
        return [Layer("Background", geometry.concatenate(background + [backstop]), None)]
    subject_depth = to_depth(grid.subject_nearness)
    # Behind the person: the surrounding background's depth, and never in front of the person.
    background_depth = np.where(grid.hole, np.maximum(background_depth, subject_depth * 1.01), background_depth)
    # The two layers are independent, and numpy and OpenCV let go of the GIL: one is built on a second core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        subject = pool.submit(
            _layer_parts, grid, camera_location, subject_depth, grid.subject_region, threshold, reach, grid.subject_rgb
        )
        background = _layer_parts(grid, camera_location, background_depth, everywhere, threshold, reach,
                                  grid.background_rgb, hole=grid.hole)
        background = geometry.concatenate(background + [_backstop(grid, camera_location, background_depth)])
        subject = geometry.concatenate(subject.result())
    subject.foreground = np.ones(len(subject.vertices), dtype=np.float32)  # the grade's foreground: all of it
    return [Layer("Subject", subject, grid.maps.matte_rgba), Layer("Background", background, None)]
