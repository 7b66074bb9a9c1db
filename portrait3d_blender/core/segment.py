"""Person mask and face box with MediaPipe (the models ship inside the mediapipe 0.10.21 wheel)."""

import contextlib
import functools
import os
import sys
import threading
from dataclasses import dataclass

import numpy as np

# Below this share of the image, a mask is noise rather than a person.
MIN_PERSON_AREA = 0.005
_lock = threading.Lock()  # MediaPipe graphs are not re-entrant


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


def _started(graph):
    """Run a graph once on a blank image so its start-up happens (quietly) now, not on the user's photo."""
    with _native_stderr_silenced():
        graph.process(np.zeros((64, 64, 3), dtype=np.uint8))
    return graph


@functools.lru_cache(maxsize=None)
def _selfie_segmenter():
    from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation

    with _native_stderr_silenced():
        return _started(SelfieSegmentation(model_selection=0))


@functools.lru_cache(maxsize=None)
def _face_detector():
    from mediapipe.python.solutions.face_detection import FaceDetection

    # The full-range model finds faces from selfie distance to a few metres away.
    with _native_stderr_silenced():
        return _started(FaceDetection(model_selection=1, min_detection_confidence=0.5))


@functools.lru_cache(maxsize=None)
def _pose_detector():
    from mediapipe.python.solutions.pose import Pose

    # Complexity 1 is the pose model the wheel ships; 0 and 2 would be downloaded, which we never do.
    with _native_stderr_silenced():
        return _started(Pose(static_image_mode=True, model_complexity=1))


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
        result = _selfie_segmenter().process(square)
    if result.segmentation_mask is None:
        return np.zeros((height, width), dtype=np.float32)
    mask = result.segmentation_mask[top:top + height, left:left + width]
    return np.ascontiguousarray(np.clip(mask, 0.0, 1.0), dtype=np.float32)


def has_person(mask):
    return float((mask > 0.5).mean()) >= MIN_PERSON_AREA


def body_detected(rgb):
    """Whether MediaPipe Pose finds a body: a person seen from behind or too small for the face detector.

    The selfie segmenter alone also paints cats and coffee cups as people, so a mask needs this or a face.
    """
    with _lock:
        result = _pose_detector().process(np.ascontiguousarray(rgb))
    return result.pose_landmarks is not None


@dataclass
class FaceBox:
    """The most confident face, in displayed pixel coordinates of the image it was found in."""

    center_x: float
    center_y: float
    width: float
    height: float
    score: float


def largest_face(rgb):
    """The biggest detected face in `rgb` (uint8 H×W×3), or None."""
    height, width = rgb.shape[:2]
    with _lock:
        result = _face_detector().process(np.ascontiguousarray(rgb))
    faces = []
    for detection in result.detections or ():
        box = detection.location_data.relative_bounding_box
        faces.append(
            FaceBox(
                center_x=(box.xmin + box.width / 2) * width,
                center_y=(box.ymin + box.height / 2) * height,
                width=box.width * width,
                height=box.height * height,
                score=float(detection.score[0]),
            )
        )
    return max(faces, key=lambda face: face.width * face.height, default=None)
