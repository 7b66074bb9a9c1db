"""The network's depth composed with MediaPipe geometry (core/depth_prior.py), on real photos."""

import json
from pathlib import Path

import numpy as np
import pytest

from models import evaluate, heldout_photos
from portrait3d_blender.core import depth, depth_prior, face_landmarks, image, segment
from tests.conftest import ASTRONAUT, CAMERAMAN, GRACE_HOPPER

REPO = Path(__file__).resolve().parents[2]


def _shipped_nearness(rgb):
    mask, people = evaluate.analyse(rgb)
    return depth.estimate_nearness(rgb, mask, people), mask


def _median_around(values, x, y, radius=4):
    return float(np.median(values[y - radius:y + radius + 1, x - radius:x + radius + 1]))


def test_face_landmarks_put_the_nose_in_front_of_the_ears():
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    face = segment.largest_face(rgb)
    points = face_landmarks.face_landmarks(rgb, face)
    assert points.shape == (468, 3)
    nose_tip, ears = points[1], points[[234, 454]]
    assert abs(nose_tip[0] - face.center_x) < face.width / 4 and abs(nose_tip[1] - face.center_y) < face.height / 3
    assert (nose_tip[2] < ears[:, 2] - face.width / 5).all()  # z grows away from the camera


@pytest.mark.parametrize("degrees", [35, -30])
def test_a_tilted_face_gets_the_landmarks_of_the_upright_one(degrees):
    """Grace Hopper turned by `degrees`: the landmarks follow the turn and keep their depth order (a crop taken
    upright kept 0.75 of it at 35°)."""
    import cv2

    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    upright = face_landmarks.face_landmarks(rgb, segment.largest_face(rgb))
    height, width = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    tilted_rgb = cv2.warpAffine(rgb, turn, (width, height), borderMode=cv2.BORDER_REFLECT)
    face = segment.largest_face(tilted_rgb)
    tilted = face_landmarks.face_landmarks(tilted_rgb, face)
    expected = np.column_stack([upright[:, :2], np.ones(len(upright))]) @ turn.T
    assert np.median(np.hypot(*(tilted[:, :2] - expected).T)) < 0.03 * face.width
    assert evaluate.spearman(tilted[:, 2], upright[:, 2]) > 0.95
    assert abs(np.degrees(face_landmarks.roll_of(tilted)) + degrees) < 5  # the image's y points down


def test_false_faces_of_the_fine_search_are_dropped():
    """On the courtyard composite the small tiles also "find" the dog and a badge on the suit."""
    rgb = heldout_photos.load("composite_courtyard_pair")
    found = segment.all_faces(rgb, fine=True)
    confirmed = [face for face, _ in face_landmarks.confirmed_faces(rgb)]
    assert len(found) > len(confirmed) == 2
    centres = sorted((round(face.center_x), round(face.center_y)) for face in confirmed)
    assert abs(centres[0][0] - 142) < 15 and abs(centres[1][0] - 314) < 15  # Hopper's face, the astronaut's


def test_a_false_box_the_landmark_model_refuses_hides_no_face_the_detector_is_surer_of():
    """A false box of the whole image (score 0.6, twice a face's size, centred below it) over Hopper's face on
    the courtyard composite: it hid her face, which the tiles find at 0.93, until it was refused first."""
    from dataclasses import replace

    rgb = heldout_photos.load("composite_courtyard_pair")
    hopper = min((face for face, _ in face_landmarks.confirmed_faces(rgb)), key=lambda face: face.center_x)
    false_box = replace(hopper, center_x=hopper.center_x + 0.3 * hopper.width, center_y=hopper.center_y + 0.4 * hopper.width,
                        width=2.1 * hopper.width, height=2.1 * hopper.height, score=0.6)
    assert face_landmarks.face_landmarks(rgb, false_box) is None
    unchecked = segment.all_faces(rgb, fine=True, detected=[false_box])
    assert false_box in unchecked and not any(abs(face.center_x - hopper.center_x) < 10 for face in unchecked)
    confirmed = [face for face, _ in face_landmarks.confirmed_faces(rgb, detected=[false_box])]
    assert false_box not in confirmed and len(confirmed) == 2
    assert any(abs(face.center_x - hopper.center_x) < 10 and abs(face.center_y - hopper.center_y) < 10 for face in confirmed)


def test_the_back_row_of_a_group_is_behind_the_front_row_and_the_wall_behind_both():
    """Hopper pasted big in front, the astronaut small behind her, in a real hotel room."""
    rgb = heldout_photos.load("composite_room_pair")
    nearness, _ = _shipped_nearness(rgb)
    front, back, wall = (_median_around(nearness, x, y) for x, y in ((150, 180), (320, 130), (245, 30)))
    assert front > back + 0.1 and back > wall + 0.1
    assert _median_around(nearness, 240, 330) > _median_around(nearness, 320, 200)  # her jacket, his suit


def test_astronaut_is_in_front_of_the_background_at_the_annotated_pairs():
    pairs = [p for p in json.loads((REPO / "models" / "ordinal_pairs.json").read_text())["pairs"]
             if p["image"] == "astronaut"]
    nearness, _ = _shipped_nearness(image.load_photo(ASTRONAUT).working_rgb)
    assert len(pairs) >= 10
    for pair in pairs:
        (nx, ny), (fx, fy) = pair["near"], pair["far"]
        assert nearness[ny, nx] > nearness[fy, fx], pair


@pytest.mark.parametrize("path", [ASTRONAUT, GRACE_HOPPER, CAMERAMAN], ids=["astronaut", "grace_hopper", "profile"])
def test_face_relief_follows_the_face_mesh_where_the_camera_sees_it(path):
    """The cameraman's profile is half hidden behind his camera: the far cheek's landmarks fall on the near
    cheek's pixels, so only the seen ones can be matched (0.77 when all of them were splatted together)."""
    rgb = image.load_photo(path).working_rgb
    nearness, _ = _shipped_nearness(rgb)
    face = segment.largest_face(rgb)
    points = face_landmarks.face_landmarks(rgb, face)
    seen = evaluate.visible_landmarks(points, evaluate.VISIBLE_TOLERANCE * face.width)
    assert seen.sum() >= 300
    x, y = np.round(points[seen, 0]).astype(int), np.round(points[seen, 1]).astype(int)
    shipped = evaluate.spearman(nearness[y, x], -points[seen, 2])
    network = depth.network_nearness(rgb, segment.person_mask(rgb))
    assert shipped >= max(0.95, evaluate.spearman(network[y, x], -points[seen, 2]))  # never less than the network's


def test_the_face_mesh_front_surface_hides_what_is_behind_it():
    """Grace Hopper's landmarks with the right half of the face folded behind the left half, 30 px farther
    back: on the left half's pixels the front surface is the left half's, and the folded landmarks are hidden."""
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    points = face_landmarks.face_landmarks(rgb, segment.largest_face(rgb))
    nose_x = points[1, 0]
    right = points[:, 0] > nose_x + 5
    folded = points.copy()
    folded[right, 0] = 2 * nose_x - points[right, 0]
    folded[right, 2] += 30
    height, width = rgb.shape[:2]
    z, covered = face_landmarks.front_surface((height, width), folded)
    left = points[:, 0] < nose_x - 15
    x, y = np.round(points[left, 0]).astype(int), np.round(points[left, 1]).astype(int)
    assert covered[y, x].mean() > 0.95  # a few on the mesh's rim or the eyes' edges fall just outside it
    assert np.percentile(np.abs(z[y, x] - points[left, 2])[covered[y, x]], 90) < 3  # the near half, not 30 px behind
    seen = evaluate.visible_landmarks(folded, 5)
    assert seen[left].mean() > 0.95 and seen[right].mean() < 0.2


def test_the_face_relief_does_not_tear_the_neck_under_the_chin():
    """The Face Mesh relief fades into the network's over a wide band: a narrow one tore the mesh at the jaw's
    corners, and the orbit showed white slivers of the collar's back-fill on the neck (2.6 % of quads torn
    there; 1.0 % before the composition, 0.71 % now)."""
    import cv2

    from portrait3d_blender.core import layers, pipeline

    analysis = pipeline.analyse_photo(GRACE_HOPPER)
    settings = pipeline.Settings()
    depth_map = pipeline._frame(analysis, settings.depth_strength).to_depth(analysis.nearness)
    torn = layers.torn_quads(depth_map, settings.tear_threshold, min_tear=1)
    inside = cv2.erode((analysis.mask > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)[:-1, :-1]
    face = analysis.face
    under_chin = (slice(int(face.center_y + 0.3 * face.height), int(face.center_y + 0.9 * face.height)),
                  slice(int(face.center_x - 0.6 * face.width), int(face.center_x + 0.6 * face.width)))
    assert (torn & inside)[under_chin].sum() <= 0.015 * inside[under_chin].sum()


def test_off_the_face_mesh_the_network_keeps_its_slope():
    """Past the chin the Face Mesh relief carries on as a shift of the network's depth, not as the chin's own
    value: a neck that goes back keeps going back (flattened, the MakeHuman validation heads scored 0.0535
    person AbsRel instead of 0.0471)."""
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    face = segment.largest_face(rgb)
    points = face_landmarks.face_landmarks(rgb, face)
    height, width = rgb.shape[:2]
    slope = 0.002  # disparity per row: farther down the neck
    network = (1.0 - slope * np.arange(height, dtype=np.float32))[:, None].repeat(width, axis=1)
    blended = depth_prior.blend_face_relief(network, np.ones((height, width), bool), face, points, level=1.0,
                                            focal=float(max(height, width)))
    chin = int(points[:, 1].max())
    rows = np.arange(chin + 3, chin + int(face.width / 8))  # full weight of the Face Mesh still, off the mesh
    columns = slice(int(points[152, 0]) - 5, int(points[152, 0]) + 6)  # under landmark 152, the chin's tip
    gradient = np.polyfit(rows, blended[rows, columns].mean(axis=1), 1)[0]
    assert -1.1 * slope < gradient < -0.66 * slope  # 73 % of the slope (5 % carrying the chin's value)


def test_a_table_in_front_of_people_is_nearer_than_they_are():
    """Grace Hopper twice, at two distances, behind a desk top pasted in front of them in a real room: their
    lowest pixels rest on the desk, so the desk comes before them; the wall stays behind (the desk was put
    behind the farthest person before, like the wall)."""
    from models import heldout_photos2

    view = heldout_photos2.COMPOSITES_2["composite_room_table"][0]
    people = (("grace_hopper", 200, 450, 330), ("grace_hopper", 330, 220, 400))  # back row first
    photo, layers = heldout_photos2.composite_layers(view, people, (((40, 330), (600, 330), (680, 400), (-40, 400)), 60))
    nearness, _ = _shipped_nearness(photo)
    table, wall = _median_around(nearness, 320, 440, 10), _median_around(nearness, 600, 60, 10)
    front, back = _median_around(nearness, 220, 300, 10), _median_around(nearness, 450, 280, 10)
    assert (layers[430:451, 310:331] == 3).all() and (layers[290:311, 210:231] == 2).all()
    assert (layers[270:291, 440:461] == 1).all()
    assert table > front + 0.05 and front > back + 0.2 and back > wall + 0.1


def test_nothing_comes_before_a_person_the_frame_cuts_off():
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    mask, people = evaluate.analyse(rgb)
    labels = depth_prior.person_labels(mask > 0.5, [face for face, _ in people])
    assert depth_prior.ground_before_people(np.ones(mask.shape, np.float32), labels, [face for face, _ in people]) is None


def test_a_photo_without_a_person_is_laid_out_like_the_ground():
    """Middlebury's motorcycle (real depth): no person, so lower in the frame is nearer, with the network's detail."""
    from skimage.data import stereo_motorcycle

    left, _, disparity = stereo_motorcycle()
    nearness, mask = _shipped_nearness(left)
    assert mask.max() == 0.0
    valid = np.isfinite(disparity) & (disparity > 0)
    abs_rel, _ = evaluate.aligned_depth_metrics(nearness, disparity, valid)
    ramp_abs_rel, _ = evaluate.aligned_depth_metrics(evaluate.ramp_disparity(left, mask, []), disparity, valid)
    assert abs_rel <= 0.30 and abs_rel <= ramp_abs_rel + 1e-3  # the ramp is the layout, the network adds nothing


def test_people_are_labelled_by_the_face_whose_body_they_hold():
    person = np.zeros((100, 200), bool)
    person[20:100, 10:90] = person[30:100, 80:190] = True  # two overlapping bodies
    near = segment.FaceBox(center_x=50, center_y=35, width=20, height=20, score=1.0)
    far = segment.FaceBox(center_x=140, center_y=45, width=12, height=12, score=1.0)
    labels = depth_prior.person_labels(person, [far, near])
    assert labels[60, 50] == 1 and labels[60, 150] == 0  # each body its own face
    assert labels[60, 85] == 1  # both claim it: the nearer (bigger) face covers the other
    assert labels[95, 140] == 0  # far below a face is still that face's body
    assert labels[35, 187] == 0  # claimed by none: the face of the nearest claimed pixel
    assert (labels[~person] == -1).all()


def test_a_face_on_another_bodys_chest_is_in_front_of_it():
    """Rows of a squad, faces about 25 px: the back row's measured bigger than the front row's below them, which
    put the front row behind the bodies it hides. A face peeking over a shoulder, beside the chest, is not moved."""
    back = segment.FaceBox(center_x=214, center_y=90, width=27, height=27, score=1.0)
    front = segment.FaceBox(center_x=203, center_y=143, width=26, height=26, score=1.0)  # two faces lower
    peeking = segment.FaceBox(center_x=250, center_y=112, width=20, height=20, score=1.0)  # beside back's shoulder
    sizes = depth_prior.on_chests([back, front, peeking], [25.3, 20.1, 15.0])
    assert sizes[1] >= depth_prior.CHEST_STEP * sizes[0] and sizes[0] == 25.3 and sizes[2] == 15.0
    person = np.ones((200, 300), bool)
    labels = depth_prior.person_labels(person, [back, front, peeking], nearness=sizes)
    assert labels[170, 203] == 1  # below the front face, its own body, not the back row's it stands before


def test_a_face_keeps_its_head_inside_a_bigger_neighbours_shoulders():
    """The back row's head beside a front-row shoulder: it was the shoulder's, and the back row's face lost its
    Face Mesh relief (the seaside group's boy: Spearman 0.10 at his landmarks)."""
    person = np.ones((120, 200), bool)
    front = segment.FaceBox(center_x=60, center_y=30, width=40, height=40, score=1.0)
    back = segment.FaceBox(center_x=110, center_y=62, width=20, height=20, score=1.0)
    labels = depth_prior.person_labels(person, [front, back])
    assert labels[62, 110] == 1 and labels[62, 122] == 1 and labels[50, 110] == 1  # its face, to the box's edges
    assert labels[90, 100] == 0 and labels[100, 60] == 0  # below its head, the front person's shoulder and body


def test_a_face_keeps_its_own_skin_where_a_bigger_neighbours_head_leans_on_it():
    """Two heads leant together: the bigger one's head seed reached over the smaller face's cheek and eye, which
    then took the neighbour's depth instead of their own Face Mesh relief."""
    person = np.ones((120, 220), bool)
    big = segment.FaceBox(center_x=70, center_y=50, width=60, height=60, score=1.0)
    small = segment.FaceBox(center_x=130, center_y=50, width=50, height=50, score=1.0)
    angles = np.linspace(0, 2 * np.pi, 468, endpoint=False)
    def oval(face):  # stand-in landmarks: an oval inside the box, as Face Mesh's outline lies
        return np.stack([face.center_x + 0.4 * face.width * np.cos(angles),
                         face.center_y + 0.5 * face.height * np.sin(angles), np.zeros(468)], 1).astype(np.float32)
    cheek = (50, 112)  # inside the small face's outline and inside the big face's head seed
    assert depth_prior.person_labels(person, [big, small])[cheek] == 0  # the box rule alone: the bigger wins
    labels = depth_prior.person_labels(person, [big, small], [oval(big), oval(small)])
    assert labels[cheek] == 1 and labels[50, 70] == 0 and labels[50, 130] == 1
    assert labels[50, 97] == 0  # between the two outlines the bigger head still wins


def test_a_face_is_sized_by_its_landmarks_the_same_however_it_is_found():
    """The detector's box of one face changes with the search that finds it; the landmarks' spread does not."""
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    face = segment.largest_face(rgb)
    points = face_landmarks.face_landmarks(rgb, face)
    bigger_box = segment.FaceBox(face.center_x, face.center_y, face.width * 1.3, face.height * 1.3, face.score)
    again = face_landmarks.face_landmarks(rgb, bigger_box)
    assert depth_prior.face_size(face, points) == pytest.approx(depth_prior.face_size(bigger_box, again), rel=0.05)
    assert depth_prior.face_size(face, points) == pytest.approx(face.width, rel=0.1)  # a portrait's box, roughly
    assert depth_prior.face_size(bigger_box) == bigger_box.width  # no landmarks: the box


def test_a_cat_is_not_a_person():
    """The segmenter paints skimage's cat as a person and the detector's head search finds a "face" on it;
    the Face Mesh check keeps the photo person-free, so its depth is the ground ramp."""
    from portrait3d_blender.core import pipeline

    analysis = pipeline.analyse_photo(Path(__import__("skimage").__file__).parent / "data" / "chelsea.png")
    assert not analysis.person_found and analysis.mask.max() == 0.0
    rows = analysis.nearness.mean(axis=1)
    assert rows[-1] > rows[len(rows) // 2] > rows[0]
