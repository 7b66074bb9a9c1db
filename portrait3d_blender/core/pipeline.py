"""The whole bpy-free pipeline: photo → analysis (networks, slow, cached) → scene plan (geometry, fast).

`analyse_photo` runs the networks once; `plan_scene` turns an analysis and the user's settings into arrays, so
changing a setting after creation never runs the networks again. The operator and the CLI both call these.
"""

from dataclasses import dataclass, field

import numpy as np

from . import camera_path, geometry, grading, image, layers, segment
from .depth_source import DepthSource


class Cancelled(Exception):
    """The user cancelled while the photo was being analysed."""


@dataclass
class Settings:
    """What the user chooses. `core.options` describes each (label, tooltip, limits): the scene's PropertyGroup
    and the CLI's options are made from that description, with these defaults."""

    mesh_resolution: int = 512  # quads on the photo's long side
    depth_strength: float = 1.0  # 0 = flat photo, 1 = natural relief, more = exaggerated
    frames: int = 90
    fps: int = 30
    orbit_size: float = 0.04  # orbit radius as a share of the distance to the subject
    camera_move: str = "ORBIT"  # one of camera_path.MOVES; orbit_size sets its amplitude
    camera_easing: str = "EASE"  # "EASE" (sinusoidal) or "LINEAR" speed along the move
    camera_loop: bool = True  # back and forth to a seamless loop; False: one way (an orbit always loops)
    engine: str = "CYCLES"  # or "EEVEE"
    lit: bool = False  # principled shading lit by the scene instead of the photo's own light
    layered: bool = True  # subject and background layers, torn at depth edges; False: one rubber sheet
    tear_threshold: float = layers.DEFAULT_TEAR_THRESHOLD  # relative depth step that tears the mesh
    compute_device: str = "AUTO"  # where Cycles renders: "AUTO" (a GPU when Cycles finds one) or "CPU"
    render_size: int = 1024  # long side of rendered frames, pixels
    render_samples: int = 32
    render_preset: str = "CUSTOM"  # or "PREVIEW" / "FINAL" (output_files.PRESETS) instead of the two above
    max_texture_size: int = 8192  # long side of a texture Blender is given as pixels
    # Depth-aware grade, applied in the material (no re-meshing): foreground = the subject layer, the person.
    foreground_exposure: float = 0.0  # stops
    background_exposure: float = 0.0
    foreground_saturation: float = 1.0  # 0 grey, 1 as shot, more is more vivid
    background_saturation: float = 1.0
    foreground_temperature: float = grading.NEUTRAL_KELVIN  # light colour in kelvin; lower is warmer
    background_temperature: float = grading.NEUTRAL_KELVIN
    haze_density: float = 0.0  # optical depth of haze per `ScenePlan.haze_start` of distance beyond it
    haze_color: tuple = (0.75, 0.8, 0.9)  # linear RGB


@dataclass
class Analysis:
    """Everything the networks tell us about one photo, at the working resolution."""

    photo: image.Photo
    mask: np.ndarray  # float32 H×W, soft person mask
    nearness: np.ndarray  # float32 H×W in [0, 1], 1 = nearest
    face: segment.FaceBox | None  # in working-resolution pixels
    person_found: bool
    depth_source: DepthSource = DepthSource()  # where `nearness` came from: the network unless the user gave it
    people: list = field(default_factory=list)  # `find_people`'s confirmed (FaceBox, landmarks), biggest first
    # Layer maps and the latest mesh grid worked out from this analysis, so a slider's change starts there.
    _layer_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def faces(self):
        """Every face of the people in the photo (`segment.FaceBox`, working pixels), biggest first: the ones
        Face Mesh confirmed, the back row's small ones too."""
        return [face for face, _ in self.people]

    def layer_maps(self):
        """`layers.LayerMaps` of the photo: worked out once (~0.15 s), then cached."""
        if "maps" not in self._layer_cache:
            self._layer_cache["maps"] = layers.layer_maps(
                self.photo.working_rgb, self.mask, self.nearness, self.person_found
            )
        return self._layer_cache["maps"]

    def layer_grid(self, intrinsics, quads_long_side, uv_transform):
        """`layers.LayerGrid` for one mesh resolution; cached (the latest resolution only)."""
        key = (intrinsics, quads_long_side, None if uv_transform is None else uv_transform.tobytes())
        if self._layer_cache.get("grid_key") != key:
            self._layer_cache["grid"] = layers.LayerGrid(self.layer_maps(), intrinsics, quads_long_side, uv_transform)
            self._layer_cache["grid_key"] = key
        return self._layer_cache["grid"]

    @property
    def notice(self):
        """A line for the user when the result is less than they might expect."""
        if not self.person_found:
            return "No person found: depth was estimated for the whole image"
        return ""


@dataclass
class ScenePlan:
    """Arrays for the Blender layer: mesh layers, capture camera, focus point and keyframes."""

    layers: list  # core.layers.Layer, front to back
    intrinsics: geometry.Intrinsics
    capture_location: np.ndarray
    focus_distance: float
    camera_locations: np.ndarray  # (frames, 3)
    camera_rotations: np.ndarray  # (frames, 3) XYZ Euler
    zoom: float  # lens multiplier that keeps the photo's borders out of the orbit's view
    camera_lens_factors: np.ndarray | None = None  # (frames,) lens over the capture lens × zoom; None: 1
    camera_loops: bool = True  # the frame after the last is the first again
    haze_start: float = 0.0  # depth where the distance haze begins: just behind the people (the focus without)


def find_people(rgb, mask, detected=None):
    """(face box, Face Mesh landmarks) of every face the landmark model confirms, the back row's small ones
    too; none when the mask holds no person. `detected`: the detector's boxes on the whole of `rgb`, if known."""
    from .face_landmarks import confirmed_faces

    if not segment.has_person(mask):
        return []
    return confirmed_faces(rgb, detected)


def is_a_face(rgb, face):
    """Whether the Face Mesh model sees a face in `face`'s box: the detector's search at the top of a mask
    also "finds" one on a cat (skimage's chelsea), which would make the cat a person."""
    from .face_landmarks import face_landmarks

    return face is not None and face_landmarks(rgb, face) is not None


def find_person(rgb, alpha=None):
    """(mask, largest face, people, person found) of `rgb`: no mask and no people unless a face or a body is
    seen, since the segmenter alone also paints cats and cups. `alpha` (a cut-out's) bounds the mask."""
    from .face_landmarks import photo_faces

    def within_alpha(mask):  # a cut-out's transparent pixels are never the person
        return mask if alpha is None else np.minimum(mask, alpha)

    mask = within_alpha(segment.person_mask(rgb))
    detected = photo_faces(rgb)  # the whole photo's faces, once for both searches
    face = segment.largest_face(rgb, mask, detected)
    people = find_people(rgb, mask, detected)
    mask = within_alpha(segment.person_mask_near_faces(rgb, mask, [box for box, _ in people]))
    person_found = segment.has_person(mask) and (bool(people) or is_a_face(rgb, face) or segment.body_detected(rgb, mask))
    if not person_found:
        return np.zeros_like(mask), face, [], False  # the segmenter's guess would only mislead depth
    return mask, face, people, True


def analyse_photo(path, progress=None, cancel=None, depth_source=None, data=None):
    """Load, segment and estimate depth. `progress(share, text)` reports; `cancel()` → True stops early.

    A `depth_source` other than the network's (a file, or the photo's own depth) is read right after the photo,
    so a depth map that does not fit fails before any network runs; the network then does not run at all.
    With `data`, the photo is those bytes (a copy packed in a .blend) and `path` only names it.
    """
    from . import depth, depth_source as depth_sources

    depth_source = depth_source or DepthSource()

    def step(share, text):
        if cancel is not None and cancel():
            raise Cancelled()
        if progress is not None:
            progress(share, text)

    step(0.0, "Loading photo")
    photo = image.load_photo(path, data=data)
    given_nearness = None if depth_source.uses_network else depth_sources.load_nearness(depth_source, photo)
    step(0.2, "Finding the person")
    rgb = photo.working_rgb
    mask, face, people, person_found = find_person(rgb, photo.working_alpha)
    if given_nearness is None:
        step(0.4, "Estimating depth")
        lens = geometry.Intrinsics.from_focal_35mm(photo.width, photo.height, photo.focal_35mm)
        nearness = depth.estimate_nearness(rgb, mask, people, focal=lens.focal_px * rgb.shape[1] / photo.width)
    else:
        nearness = given_nearness
    step(1.0, "Depth ready")
    return Analysis(photo=photo, mask=mask, nearness=nearness, face=face, person_found=person_found,
                    depth_source=depth_source, people=people)


def focus_pixel(analysis):
    """Where the camera aims, in working pixels: the face, else the person's centre, else the image centre."""
    if analysis.face is not None:
        return analysis.face.center_x, analysis.face.center_y
    rows, columns = analysis.mask.shape
    if analysis.person_found:
        person_rows, person_columns = np.nonzero(analysis.mask > 0.5)
        return float(np.median(person_columns)) + 0.5, float(np.median(person_rows)) + 0.5
    return columns / 2.0, rows / 2.0


@dataclass
class _Frame:
    """Where the photo sits in the world: its camera, the focus distance, and nearness → distance (metres)."""

    intrinsics: geometry.Intrinsics
    focus_distance: float
    capture_location: np.ndarray
    depth_scale: float
    depth_strength: float

    def to_depth(self, nearness):
        return geometry.depth_from_nearness(nearness, 1.0, self.depth_strength) * self.depth_scale


def _frame(analysis, depth_strength):
    """The photo's place in the world: scaled by the face's size, the focus point at the origin."""
    photo = analysis.photo
    intrinsics = geometry.Intrinsics.from_focal_35mm(photo.width, photo.height, photo.focal_35mm)
    to_photo = photo.width / analysis.nearness.shape[1]
    focus_x, focus_y = (value * to_photo for value in focus_pixel(analysis))
    # Real-world scale from the face's size when there is one; otherwise the subject stands 1.5 m away.
    if analysis.face is not None:
        focus_distance = intrinsics.focal_px * geometry.FACE_WIDTH_M / (analysis.face.width * to_photo)
    else:
        focus_distance = 1.5
    focus_nearness = float(
        geometry.sample_at_pixels(analysis.nearness, intrinsics, np.array([[focus_x]]), np.array([[focus_y]]))[0, 0]
    )
    focus_relative = float(geometry.depth_from_nearness(np.float32(focus_nearness), 1.0, depth_strength))
    # The focus point is the world origin; the capture camera sits on its ray, `focus_distance` back.
    focus_ray = geometry.camera_rays(intrinsics, np.array(focus_x), np.array(focus_y))
    return _Frame(intrinsics, focus_distance, -focus_ray * focus_distance, focus_distance / focus_relative,
                  depth_strength)


def surface_point(analysis, settings, pixel_x, pixel_y):
    """The world point that the photo's pixel (x, y), in displayed pixels, lies on: a focus the user picks."""
    frame = _frame(analysis, settings.depth_strength)
    x, y = np.array([[float(pixel_x)]]), np.array([[float(pixel_y)]])
    nearness = geometry.sample_at_pixels(analysis.nearness, frame.intrinsics, x, y)[0, 0]
    ray = geometry.camera_rays(frame.intrinsics, x[0, 0], y[0, 0])
    return frame.capture_location + ray * float(frame.to_depth(np.float32(nearness)))


def photo_pixel(analysis, settings, point):
    """The displayed-photo pixel (x, y) that a world point lies on as the capture camera sees it."""
    frame = _frame(analysis, settings.depth_strength)
    return tuple(float(value) for value in geometry.project_to_pixels(point, frame.intrinsics, frame.capture_location))


IN_DEPTH_GAP = 0.02  # share of the distance by which a text or sticker stays in front of the wall behind it
IN_DEPTH_SAMPLES = 9  # the background is sampled on a 9×9 grid over a text's or sticker's square


@dataclass
class InDepthPlacement:
    """Where a text or sticker goes: centred on a pixel's ray, parallel to the capture camera's image plane."""

    location: np.ndarray  # (3,) world
    depth: float  # along the capture camera's view axis
    metres_per_pixel: float  # world size of one photo pixel at that depth, seen from the capture camera
    nearest_person_depth: float
    background_depth: float


def in_depth_placement(analysis, settings, pixel_x, pixel_y, share=1.0, size_px=0.0):
    """A text or sticker at photo pixel (x, y), `share` of the way from the nearest person (0) to just in front
    of the background surface behind it (1, the default): the person-filled background's nearest depth over
    the object's square (`size_px` across, centred on the pixel), less `IN_DEPTH_GAP`, so a wall that slopes
    towards the camera (a floor, the ground ramp) does not cut into it. Without a person, 0 is the nearest
    point of the photo."""
    frame = _frame(analysis, settings.depth_strength)
    maps = analysis.layer_maps()
    x, y = np.array([[float(pixel_x)]]), np.array([[float(pixel_y)]])
    offsets = np.linspace(-0.5, 0.5, IN_DEPTH_SAMPLES) * float(size_px)
    square_x = np.clip(float(pixel_x) + offsets[None, :], 0.0, frame.intrinsics.width)
    square_y = np.clip(float(pixel_y) + offsets[:, None], 0.0, frame.intrinsics.height)
    square_x, square_y = np.broadcast_arrays(square_x, square_y)
    behind = geometry.sample_at_pixels(maps.background_nearness, frame.intrinsics, square_x, square_y).max()
    background = frame.to_depth(np.array([[behind]], np.float32))
    wall = float(background[0, 0]) * (1.0 - IN_DEPTH_GAP)
    person = analysis.mask > 0.5
    nearest = float(frame.to_depth(np.float32((maps.nearness[person] if person.any() else maps.nearness).max())))
    nearest = min(nearest, wall)
    depth = nearest + float(np.clip(share, 0.0, 1.0)) * (wall - nearest)
    ray = geometry.camera_rays(frame.intrinsics, x[0, 0], y[0, 0])
    return InDepthPlacement(frame.capture_location + ray * depth, depth, depth / frame.intrinsics.focal_px,
                            nearest, float(background[0, 0]))


def plan_scene(analysis, settings):
    """Geometry and camera path for `analysis` under `settings`; fast, and free of networks and Blender."""
    photo = analysis.photo
    frame = _frame(analysis, settings.depth_strength)
    intrinsics, focus_distance, capture_location = frame.intrinsics, frame.focus_distance, frame.capture_location
    to_depth = frame.to_depth
    depth_map = to_depth(analysis.nearness)
    uv_transform = None  # the texture is upright: stored so, or made from upright pixels
    if photo.orientation != 1 and photo.texture_from_file(settings.max_texture_size):
        uv_transform = image.stored_uv_transform(photo.orientation)
    orbit_radius = settings.orbit_size * focus_distance
    # No more quads than the photo has pixels: a thumbnail gets a mesh to match.
    quads_long_side = min(settings.mesh_resolution, max(photo.width, photo.height))
    if settings.layered:
        grid = analysis.layer_grid(intrinsics, quads_long_side, uv_transform)
        mesh_layers = layers.build_layers(grid, to_depth, capture_location, orbit_radius, settings.tear_threshold)
    else:
        sheet = geometry.build_grid_mesh(depth_map, intrinsics, capture_location, quads_long_side,
                                         uv_transform=uv_transform, foreground_map=analysis.mask)
        mesh_layers = [layers.Layer("Photo", sheet, matte_rgba=None)]
    half_view = (intrinsics.width / (2.0 * intrinsics.focal_px), intrinsics.height / (2.0 * intrinsics.focal_px))
    path = camera_path.camera_move(
        settings.camera_move, capture_location, np.zeros(3), orbit_radius, settings.frames,
        settings.camera_easing, settings.camera_loop, half_view=half_view,
    )
    return ScenePlan(
        layers=mesh_layers,
        intrinsics=intrinsics,
        capture_location=capture_location,
        focus_distance=focus_distance,
        camera_locations=path.locations,
        camera_rotations=path.rotations,
        zoom=border_zoom(depth_map, intrinsics, focus_distance, orbit_radius),
        camera_lens_factors=path.lens_factors,
        camera_loops=path.loops,
        haze_start=haze_start(analysis, to_depth, focus_distance),
    )


def haze_start(analysis, to_depth, focus_distance):
    """Where haze begins: behind the farthest part of the people (their 2nd percentile of nearness, robust to
    a stray edge pixel), so it never greys a person; at the focus distance in a photo without one."""
    person = analysis.mask > 0.5
    if not analysis.person_found or not person.any():
        return float(focus_distance)
    return float(to_depth(np.float32(np.percentile(analysis.nearness[person], 2.0))))


def border_zoom(depth_map, intrinsics, focus_distance, orbit_radius):
    """Lens multiplier so the orbit never shows past the photo's edge.

    Holding the focus point still, a camera moved by r shifts content at depth Z by f·r·|1/Z_focus − 1/Z|
    pixels; the border moves in by at most the largest such shift along the photo's edge.
    """
    edge = np.concatenate([depth_map[0], depth_map[-1], depth_map[:, 0], depth_map[:, -1]])
    shift = intrinsics.focal_px * orbit_radius * np.abs(1.0 / focus_distance - 1.0 / edge).max()
    if shift <= 0.0:
        return 1.0
    shift = shift * 1.1 + 1.0  # margin for the camera's turn and the filter's width
    half_short_side = min(intrinsics.width, intrinsics.height) / 2.0
    return float(min(1.5, half_short_side / max(half_short_side - shift, half_short_side / 1.5)))
