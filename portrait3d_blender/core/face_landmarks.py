"""Face Mesh landmarks with relative depth: MediaPipe's face_landmark.tflite run by OpenCV's DNN module.

The model (shipped in `mediapipe_models/`, see `models/mediapipe_models.py` for why it does not go through
the Tasks API) maps a 192×192 RGB crop in [0, 1] around a face to 468 landmarks (x, y, z) in crop pixels,
z growing away from the camera on the scale of x. The crop is the face detector's box scaled by 1.5, turned
upright by the roll of the eyes, as MediaPipe's own Face Mesh graph takes it.
"""

import functools
import threading
from dataclasses import replace

import numpy as np

from . import segment

MODEL_NAME = "face_landmark.tflite"
CROP_SIZE = 192
CROP_SCALE = 1.5  # crop side over the detector's box side
LANDMARK_COUNT = 468
EYE_OUTER_CORNERS = (33, 263)  # the subject's right eye's outer corner (left in the photo), the left eye's
CLOSE_UP_BORDER = 0.25  # the grey border a close-up is set in for the face detector, as a share of its long side
MAX_UPRIGHT_ROLL = np.radians(8)  # a face tilted less is run upright only
_lock = threading.Lock()  # a cv2.dnn.Net holds its input: one face at a time


@functools.lru_cache(maxsize=1)
def _network():
    import cv2

    return cv2.dnn.readNetFromTFLite(str(segment.MODELS_DIR / MODEL_NAME))


def _landmarks_in_crop(rgb, face, roll):
    """One run of the model on the face's crop turned by `roll` (radians): (face logit, 468×3 in the photo's
    pixels, z on the same scale)."""
    import cv2

    side = CROP_SCALE * max(face.width, face.height)
    scale = CROP_SIZE / side
    cos, sin = np.cos(roll), np.sin(roll)
    # photo → crop: centre the face, turn it upright by -roll, scale to the crop
    turn = scale * np.array([[cos, sin], [-sin, cos]], np.float64)
    shift = CROP_SIZE / 2 - turn @ np.array([face.center_x, face.center_y])
    crop = cv2.warpAffine(rgb, np.hstack([turn, shift[:, None]]).astype(np.float32), (CROP_SIZE, CROP_SIZE),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    batch = (crop.astype(np.float32) * (1.0 / 255.0)).transpose(2, 0, 1)[None]
    with _lock:
        network = _network()
        network.setInput(batch)
        face_flag, landmarks = network.forward(["conv2d_31", "conv2d_21"])
    points = landmarks.reshape(LANDMARK_COUNT, 3).astype(np.float64)
    points[:, :2] = (points[:, :2] - shift) @ np.linalg.inv(turn).T
    points[:, 2] /= scale
    return float(face_flag.ravel()[0]), points.astype(np.float32)


def roll_of(points):
    """The face's roll (radians, clockwise in the image) from its eyes' outer corners."""
    dx, dy = points[EYE_OUTER_CORNERS[1], :2] - points[EYE_OUTER_CORNERS[0], :2]
    return float(np.arctan2(dy, dx))


def face_landmarks(rgb, face):
    """The 468 landmarks of `face` (a segment.FaceBox) in `rgb` (uint8 H×W×3) as float32 468×3.

    Columns: x, y in the photo's pixels and z in the same pixels, larger = farther from the camera (relative
    to the face's own mid-plane). Returns None when the model says the crop holds no face.

    The model wants the face upright, as MediaPipe's graph turns it: a head tilted 35° gives landmarks whose
    z keeps only 0.75 of its rank order (Spearman against the upright photo's). So a tilted face is run
    again on a crop turned by the roll its eyes show (twice at most).
    """
    flag, points = _landmarks_in_crop(rgb, face, 0.0)
    if flag < 0.0:  # a logit: below 0 the model thinks there is no face (searching tilted crops for one
        return None  # also "confirmed" the courtyard's dog)
    used_roll = 0.0
    for _ in range(2):  # a strong tilt is underestimated upright: a second turn takes up the rest
        roll = roll_of(points)
        if abs(roll - used_roll) <= MAX_UPRIGHT_ROLL:
            break
        turned_flag, turned = _landmarks_in_crop(rgb, face, roll)
        if turned_flag < 0.0:
            break
        points, used_roll = turned, roll
    return points


def photo_faces(rgb):
    """The face detector's boxes on the whole of `rgb`. A face that fills the frame and is cut by it (eyes to
    chin) is not found as it is; set in a grey border a quarter of the long side wide, it is (Grace Hopper
    cropped so: 0 faces, then her 573 px one), so that is tried when the photo alone shows none, and what it
    finds is kept only if the Face Mesh model sees a face there too (it also "finds" faces on cups and cats)."""
    import cv2

    faces = segment.detected_faces(rgb)
    if faces:
        return faces
    border = max(1, round(CLOSE_UP_BORDER * max(rgb.shape[:2])))
    framed = cv2.copyMakeBorder(np.ascontiguousarray(rgb), border, border, border, border, cv2.BORDER_CONSTANT,
                                value=(128, 128, 128))
    found = segment.detected_faces(framed)
    return [replace(face, center_x=face.center_x - border, center_y=face.center_y - border)
            for face in found if face_landmarks(framed, face) is not None]


def confirmed_faces(rgb, detected=None, limit=8):
    """The faces the fine search (`segment.all_faces(fine=True)`) finds in `rgb` that the Face Mesh model also
    sees as faces, the `limit` biggest, each with its landmarks: [(FaceBox, 468×3 float32)]. `detected`: the
    detector's boxes on the whole of `rgb`, if known.

    The detector on small tiles also fires on badges, patterns and pets; the landmark model's face flag tells
    them apart (measured on the held-out composites: real faces score 20 to 23, a suit's badge -0.6, a dog
    -1.6). Each box is checked before it is kept, so a false one hides no real face behind it.
    """
    found = {}  # id of a box → its landmarks, or None: each box goes through the landmark model once

    def is_face(face):
        found[id(face)] = face_landmarks(rgb, face)
        return found[id(face)] is not None

    faces = segment.all_faces(rgb, fine=True, detected=detected, is_face=is_face)
    return [(face, found[id(face)]) for face in faces[:limit]]


@functools.lru_cache(maxsize=1)
def mesh_triangles():
    """The Face Mesh surface as (T, 3) landmark indices: the triangles of MediaPipe's published tesselation
    (its edges, the same in 0.10.21 and 0.10.3x), found as the edges' 3-cliques."""
    from mediapipe.tasks.python.vision.face_landmarker import FaceLandmarksConnections

    edges = {(min(c.start, c.end), max(c.start, c.end)) for c in FaceLandmarksConnections.FACE_LANDMARKS_TESSELATION}
    neighbours = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    return np.array(sorted({tuple(sorted((a, b, c))) for a, b in edges for c in neighbours[a] & neighbours[b]}),
                    np.int32)


def front_surface(shape, points):
    """The z of the Face Mesh's front-most surface at each pixel of an H×W `shape`, and where it covers.

    `points` are landmarks (x, y, z) in that image's pixels, z larger = farther. A z-buffer: triangles are
    painted far to near with their index, so each pixel keeps the nearest triangle over it, whose corners' z
    are then interpolated at the pixel. In a profile the far cheek's landmarks fall on the near cheek's
    pixels; here they are hidden, as the camera sees them.
    """
    import cv2

    triangles = mesh_triangles()
    owner = np.full(shape, -1.0, np.float32)  # float32 holds the triangle indices exactly
    corners = np.round(points[:, :2] * 16).astype(np.int32)  # 4 bits of sub-pixel precision (shift=4)
    for index in np.argsort(-points[triangles, 2].mean(axis=1)):  # 854 small fills, far to near
        cv2.fillConvexPoly(owner, corners[triangles[index]], float(index), lineType=cv2.LINE_8, shift=4)
    covered = owner >= 0
    rows, columns = np.nonzero(covered)
    (ax, ay, az), (bx, by, bz), (cx, cy, cz) = (points[triangles[owner[covered].astype(np.int64), k]].T
                                                for k in range(3))
    area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
    area = np.where(np.abs(area) < 1e-9, 1e-9, area)
    w_b = np.clip(((columns - ax) * (cy - ay) - (cx - ax) * (rows - ay)) / area, 0.0, 1.0)
    w_c = np.clip(((bx - ax) * (rows - ay) - (columns - ax) * (by - ay)) / area, 0.0, 1.0 - w_b)
    z = np.zeros(shape, np.float32)
    z[rows, columns] = (1.0 - w_b - w_c) * az + w_b * bz + w_c * cz
    return z, covered
