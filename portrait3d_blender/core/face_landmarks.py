"""Face Mesh landmarks with relative depth: MediaPipe's face_landmark.tflite run by OpenCV's DNN module.

The model (shipped in `mediapipe_models/`, see `models/mediapipe_models.py` for why it does not go through
the Tasks API) maps a 192×192 RGB crop in [0, 1] around a face to 468 landmarks (x, y, z) in crop pixels,
z growing away from the camera on the scale of x. The crop is the face detector's box scaled by 1.5, as
MediaPipe's own Face Mesh graph takes it (without its roll correction: faces are taken upright).
"""

import functools
import threading

import numpy as np

from .segment import MODELS_DIR

MODEL_NAME = "face_landmark.tflite"
CROP_SIZE = 192
CROP_SCALE = 1.5  # crop side over the detector's box side
LANDMARK_COUNT = 468
_lock = threading.Lock()  # a cv2.dnn.Net holds its input: one face at a time


@functools.lru_cache(maxsize=1)
def _network():
    import cv2

    return cv2.dnn.readNetFromTFLite(str(MODELS_DIR / MODEL_NAME))


def face_landmarks(rgb, face):
    """The 468 landmarks of `face` (a segment.FaceBox) in `rgb` (uint8 H×W×3) as float32 468×3.

    Columns: x, y in the photo's pixels and z in the same pixels, larger = farther from the camera (relative
    to the face's own mid-plane). Returns None when the model says the crop holds no face.
    """
    import cv2

    side = CROP_SCALE * max(face.width, face.height)
    scale = CROP_SIZE / side
    left, top = face.center_x - side / 2, face.center_y - side / 2
    to_crop = np.array([[scale, 0, -left * scale], [0, scale, -top * scale]], np.float32)
    crop = cv2.warpAffine(rgb, to_crop, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)
    batch = (crop.astype(np.float32) * (1.0 / 255.0)).transpose(2, 0, 1)[None]
    with _lock:
        network = _network()
        network.setInput(batch)
        face_flag, landmarks = network.forward(["conv2d_31", "conv2d_21"])
    if float(face_flag.ravel()[0]) < 0.0:  # a logit: below 0 the model thinks there is no face
        return None
    points = landmarks.reshape(LANDMARK_COUNT, 3).astype(np.float32) / scale
    points[:, 0] += left
    points[:, 1] += top
    return points


def confirmed_faces(rgb, faces, limit=8):
    """The faces among the `limit` biggest of `faces` that the Face Mesh model also sees as faces, each with
    its landmarks: [(FaceBox, 468×3 float32)].

    The detector on small tiles (segment.all_faces(fine=True)) also fires on badges, patterns and pets; the
    landmark model's face flag tells them apart (measured on the held-out composites: real faces score 20 to
    23, a suit's badge -0.6, a dog -1.6).
    """
    biggest = sorted(faces, key=lambda face: face.width * face.height, reverse=True)[:limit]
    found = [(face, face_landmarks(rgb, face)) for face in biggest]
    return [(face, points) for face, points in found if points is not None]
