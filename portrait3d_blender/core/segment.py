"""Person mask, face box and body check with MediaPipe's Tasks API.

One code path for every Blender: the Tasks API (`mediapipe.tasks.python.vision`) is in the mediapipe 0.10.21
wheel (Python 3.11) and in the 0.10.3x wheels (any Python 3, the only ones for 3.13). The models ship with the
add-on in `mediapipe_models/` (Google's, Apache-2.0; `models/mediapipe_models.py` makes them from the 0.10.21
wheel), so nothing is downloaded.
"""

import atexit
import contextlib
import functools
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[1] / "mediapipe_models"
# Below this share of the image, a mask is noise rather than a person.
MIN_PERSON_AREA = 0.005
# A face narrower than this share of the photo's long side gets the segmenter again on a square crop around
# its body (`person_mask_near_faces`): from this many face heights above its centre to this many below, the
# crop's mask kept this many face widths each side of it (picked on synthetic validation, models/README.md).
SMALL_FACE = 0.3
BODY_CROP_ABOVE, BODY_CROP_BELOW, BODY_CROP_SIDE = 1.5, 6.0, 2.5
BODY_SEARCH_PAD = 0.15  # `body_detected` looks again around the mask, this share of its side added each way
MIN_BODY_SEARCH_PX = 16
_lock = threading.Lock()  # one photo at a time through each task


@contextlib.contextmanager
def _native_stderr_silenced():
    """MediaPipe's C++ start-up chatter goes straight to file descriptor 2; keep it off the user's terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _mp_image(rgb):
    import mediapipe

    return mediapipe.Image(image_format=mediapipe.ImageFormat.SRGB, data=np.ascontiguousarray(rgb, dtype=np.uint8))


def _create(task_class, options_class, model_name, **options):
    """A task on one of the shipped models, started (quietly) on a blank image now rather than on the photo."""
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import RunningMode

    base = BaseOptions(model_asset_path=str(MODELS_DIR / model_name))
    with _native_stderr_silenced():
        task = task_class.create_from_options(options_class(base_options=base, running_mode=RunningMode.IMAGE, **options))
        blank = _mp_image(np.zeros((64, 64, 3), dtype=np.uint8))
        getattr(task, "segment" if hasattr(task, "segment") else "detect")(blank)
    return task


@functools.lru_cache(maxsize=None)
def _selfie_segmenter():
    from mediapipe.tasks.python.vision import ImageSegmenter, ImageSegmenterOptions

    return _create(ImageSegmenter, ImageSegmenterOptions, "selfie_segmentation.tflite",
                   output_confidence_masks=True, output_category_mask=False)


@functools.lru_cache(maxsize=None)
def _face_detector():
    from mediapipe.tasks.python.vision import FaceDetector, FaceDetectorOptions

    # Short range: the one model 0.10.21's FaceDetector runs; `all_faces` tiles the photo for smaller faces.
    return _create(FaceDetector, FaceDetectorOptions, "face_detection_short_range.tflite",
                   min_detection_confidence=0.5)


@functools.lru_cache(maxsize=None)
def _pose_landmarker():
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions

    return _create(PoseLandmarker, PoseLandmarkerOptions, "pose_landmarker.task", num_poses=1)


def _release_tasks():
    """Drop the tasks at exit, while the modules their finalisers call are still there.

    Registered when this module is imported, before mediapipe is (it is imported lazily), so it runs after
    mediapipe's own exit hook: the 0.10.3x wheels then skip the native calls instead of printing tracebacks.
    """
    for factory in (_selfie_segmenter, _face_detector, _pose_landmarker):
        factory.cache_clear()


atexit.register(_release_tasks)


def person_mask(rgb):
    """Soft person mask (float32 H×W in [0, 1]) at the resolution of `rgb` (uint8 H×W×3).

    The segmenter squeezes its input into a square; the photo is padded to a square first, so people in a
    wide group photo are not squashed thin (measured on a two-person 870×470 photo: 0.78 mean mask on a
    body instead of 0.32).
    """
    height, width = rgb.shape[:2]
    side = max(height, width)
    square = np.zeros((side, side, 3), dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = rgb
    with _lock:
        result = _selfie_segmenter().segment(_mp_image(square))
        masks = result.confidence_masks or ()
        if not masks:
            return np.zeros((height, width), dtype=np.float32)
        confidence = masks[0].numpy_view()  # a view into MediaPipe's buffer: copied below, under the lock
        mask = confidence.reshape(side, side)[top:top + height, left:left + width]
        return np.ascontiguousarray(np.clip(mask, 0.0, 1.0), dtype=np.float32)


def person_mask_near_faces(rgb, mask, faces):
    """`mask` (soft, from `person_mask`) filled in with the segmenter's mask of a crop around each small face.

    The selfie segmenter is made for people near the camera: a far person of a group is a few dozen pixels of
    its 256-pixel input and loses arms and legs. In a square crop from above its head to below its knees it is
    near again. A square of the photo, not a strip padded out, since the padding made the segmenter paint the
    floor under a bust. The crops only add to the mask, and only beside each face.
    """
    height, width = mask.shape
    filled = mask.copy()
    for face in faces:
        side = min(height, width, int(np.ceil((BODY_CROP_ABOVE + BODY_CROP_BELOW) * face.height)))
        if face.width > SMALL_FACE * max(height, width) or side < 8:
            continue
        left = int(np.clip(face.center_x - side / 2, 0, width - side))
        top = int(np.clip(face.center_y - BODY_CROP_ABOVE * face.height, 0, height - side))
        crop = person_mask(np.ascontiguousarray(rgb[top:top + side, left:left + side]))
        near_left = int(np.clip(face.center_x - BODY_CROP_SIDE * face.width - left, 0, side))
        near_right = int(np.clip(face.center_x + BODY_CROP_SIDE * face.width - left, 0, side))
        beside = filled[top:top + side, left + near_left:left + near_right]
        np.maximum(beside, crop[:, near_left:near_right], out=beside)
    return filled


def has_person(mask):
    return float((mask > 0.5).mean()) >= MIN_PERSON_AREA


def body_detected(rgb, mask=None):
    """Whether MediaPipe's pose landmarker finds a body: a person seen from behind or too small for the face
    detector. With a `mask`, also in the square around what it covers, padded by `BODY_SEARCH_PAD` of its side.

    The selfie segmenter alone also paints cats and coffee cups as people, so a mask needs this or a face. The
    pose detector misses a person who fills a small part of the photo (a rider at a barrel, walkers on a lawn,
    basketball players in a park) and finds them framed closer; the cats, cups and cells stay bodiless there.
    """
    views = [rgb]
    rows, columns = np.nonzero(mask > 0.5) if mask is not None else ((), ())
    if len(rows):
        height, width = mask.shape
        half = (1 + 2 * BODY_SEARCH_PAD) * max(rows.max() - rows.min(), columns.max() - columns.min()) / 2
        centre_y, centre_x = (rows.min() + rows.max()) / 2, (columns.min() + columns.max()) / 2
        top, bottom = max(0, int(centre_y - half)), min(height, int(np.ceil(centre_y + half)))
        left, right = max(0, int(centre_x - half)), min(width, int(np.ceil(centre_x + half)))
        if (bottom - top, right - left) != (height, width) and min(bottom - top, right - left) >= MIN_BODY_SEARCH_PX:
            views.append(np.ascontiguousarray(rgb[top:bottom, left:right]))
    with _lock:
        return any(_pose_landmarker().detect(_mp_image(view)).pose_landmarks for view in views)


@dataclass
class FaceBox:
    """The most confident face, in displayed pixel coordinates of the image it was found in."""

    center_x: float
    center_y: float
    width: float
    height: float
    score: float


def largest_face(rgb, mask=None, detected=None):
    """The biggest detected face in `rgb` (uint8 H×W×3), or None. `detected`: the detector's boxes on the
    whole of `rgb` (`detected_faces`) when they are already known.

    The short-range detector sees the image squeezed into 128×128, so a face under about a seventh of the
    image's long side goes unseen (measured on grace_hopper.jpg pasted small into a 1024×768 photo: a 200-px
    face is found, a 100-px one is not; the full-range model, which 0.10.21's FaceDetector cannot run, went
    down to 53 px). So when the whole image shows no face and the person `mask` (float H×W) is given, the
    square at the top of the person, where a head is, is searched too (the same test: the 100-px face and a
    48-px one are found; smaller, the segmenter no longer sees the person whole).
    """
    faces = detected_faces(rgb) if detected is None else detected
    head = None if faces or mask is None else _head_square(mask)
    if head is not None:
        top, left, side = head
        faces = detected_faces(rgb[top:top + side, left:left + side], left=left, top=top)
    return max(faces, key=lambda face: face.width * face.height, default=None)


def _head_square(mask):
    """(top, left, side) of the square as wide as the person's box (or as tall, if shorter) at its top."""
    rows = np.flatnonzero(mask.max(axis=1) > 0.5)
    columns = np.flatnonzero(mask.max(axis=0) > 0.5)
    if rows.size == 0:
        return None
    side = int(min(rows[-1] - rows[0], columns[-1] - columns[0])) + 1
    if side < 16:
        return None
    left = int(np.clip((columns[0] + columns[-1] + 1) // 2 - side // 2, 0, mask.shape[1] - side))
    return int(rows[0]), left, side


def detected_faces(rgb, left=0, top=0):
    """The face detector's boxes in `rgb`, moved by (`left`, `top`) into the coordinates of a larger image."""
    with _lock:
        result = _face_detector().detect(_mp_image(rgb))
    return [
        FaceBox(
            center_x=left + detection.bounding_box.origin_x + detection.bounding_box.width / 2,
            center_y=top + detection.bounding_box.origin_y + detection.bounding_box.height / 2,
            width=float(detection.bounding_box.width),
            height=float(detection.bounding_box.height),
            score=float(detection.categories[0].score),
        )
        for detection in result.detections
    ]


def _overlap(a, b):
    """Intersection over union of two face boxes."""
    width = max(0.0, min(a.center_x + a.width / 2, b.center_x + b.width / 2)
                - max(a.center_x - a.width / 2, b.center_x - b.width / 2))
    height = max(0.0, min(a.center_y + a.height / 2, b.center_y + b.height / 2)
                 - max(a.center_y - a.height / 2, b.center_y - b.height / 2))
    shared = width * height
    return shared / (a.width * a.height + b.width * b.height - shared)


def _centre_inside(a, b):
    """Whether `a`'s centre lies in `b`'s box: a tile that cut a face in two finds half of it off-centre (a
    close-up of the astronaut: a 234 px "face" centred inside her 360 px one, overlapping it only 0.29)."""
    return abs(a.center_x - b.center_x) < b.width / 2 and abs(a.center_y - b.center_y) < b.height / 2


def _same_face(a, b):
    """Whether two boxes are one face found twice: overlapping, or either centred inside the other."""
    return _overlap(a, b) >= 0.3 or _centre_inside(a, b) or _centre_inside(b, a)


def _tile_starts(length, side):
    """Starts of tiles of `side` along `length`, overlapping by half, the last one flush with the end."""
    return sorted(set(range(0, max(1, length - side), max(1, side // 2))) | {max(0, length - side)})


def all_faces(rgb, fine=False, detected=None, is_face=None):
    """Every detected face in `rgb` (uint8 H×W×3), biggest first; `detected` as `largest_face` takes it.

    The short-range detector sees the image squeezed into a small square, so the faces of a group in a wide
    photo shrink below what it finds: square tiles along the long side (overlapping by half) are searched
    too, and a face found twice is kept once, as the whole image saw it (measured on the two-person 870×470
    test photo: the whole image finds one face, the tiles both; 12 ms instead of 2). `fine` also searches
    tiles of half the short side, for the back row of a group: faces down to about a sixteenth of the short
    side (a 31 px face in a 480×360 photo), at the price of more false faces (check them, e.g. with
    `face_landmarks.face_landmarks`). `is_face`, when given, is asked about each box before it is kept: a box
    it refuses is dropped, and hides only boxes the detector is less sure of than it. On the five men in a
    living room the whole image's 173 px false box (score 0.66) hid the front man's face, which three tiles
    found at 0.86-0.95, and his body went to his neighbours; a dog's refused box (0.61) still hides the
    dog's other box (0.55), which the landmark model would pass.
    """
    height, width = rgb.shape[:2]
    side = min(height, width)
    whole = sorted(detected_faces(rgb) if detected is None else detected, key=lambda face: face.score, reverse=True)
    tiled = []
    if max(height, width) > 1.2 * side:
        for start in _tile_starts(max(height, width), side):
            if width > height:
                tiled += detected_faces(rgb[:, start:start + side], left=start)
            else:
                tiled += detected_faces(rgb[start:start + side], top=start)
    if fine:
        small = side // 2
        for top in _tile_starts(height, small):
            for left in _tile_starts(width, small):
                tiled += detected_faces(rgb[top:top + small, left:left + small], left, top)
    kept, refused = [], []
    for index, face in enumerate(whole + sorted(tiled, key=lambda face: face.score, reverse=True)):
        if index < len(whole) and is_face is None:
            kept.append(face)  # the whole image's own boxes, which its detector already kept apart
        elif any(_same_face(face, other) for other in kept) or any(
                other.score >= face.score and _same_face(face, other) for other in refused):
            continue
        elif is_face is None or is_face(face):
            kept.append(face)
        else:
            refused.append(face)
    return sorted(kept, key=lambda face: face.width * face.height, reverse=True)
