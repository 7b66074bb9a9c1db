import numpy as np

from portrait3d_blender.core import face_landmarks, image, segment
from tests.conftest import ASTRONAUT, CAMERAMAN, COFFEE, GRACE_HOPPER


def test_astronaut_mask_covers_the_person_not_the_background():
    rgb = image.load_photo(ASTRONAUT).working_rgb
    mask = segment.person_mask(rgb)
    assert mask.shape == rgb.shape[:2] and mask.dtype == np.float32
    assert 0.0 <= mask.min() and mask.max() <= 1.0
    assert mask[120, 220] > 0.9  # her face
    assert mask[300, 200] > 0.9  # the orange suit
    assert mask[60, 470] < 0.1  # the shuttle model behind her
    assert segment.has_person(mask)


def test_face_box_is_on_the_face():
    face = segment.largest_face(image.load_photo(GRACE_HOPPER).working_rgb)
    assert face is not None and face.score > 0.5
    assert 220 < face.center_x < 330 and 130 < face.center_y < 260
    assert 70 < face.width < 220


def test_a_small_face_is_found_at_the_top_of_the_person():
    # The short-range detector misses a 100-px face in a 1024×768 photo; the square at the top of the person's
    # mask holds it big enough.
    from PIL import Image

    portrait = Image.open(GRACE_HOPPER).convert("RGB")
    big = segment.largest_face(np.asarray(portrait))
    canvas = Image.new("RGB", (1024, 768), (128, 128, 128))
    canvas.paste(portrait.resize((portrait.width // 2, portrait.height // 2)), (100, 100))
    rgb = np.asarray(canvas)
    mask = segment.person_mask(rgb)
    assert segment.largest_face(rgb) is None
    face = segment.largest_face(rgb, mask)
    assert face is not None
    assert abs(face.center_x - (100 + big.center_x / 2)) < big.width / 8
    assert abs(face.center_y - (100 + big.center_y / 2)) < big.height / 8
    assert 0.8 < face.width / (big.width / 2) < 1.2


def test_a_face_close_up_is_found_once():
    """The astronaut's face filling the frame: a tile of the fine search sees half of it as a face of its own,
    off-centre in the real one (it would have placed half of her head farther back)."""
    import cv2

    rgb = image.load_photo(ASTRONAUT).working_rgb
    close_up = cv2.resize(np.ascontiguousarray(rgb[20:190, 150:300]), (512, 580), interpolation=cv2.INTER_CUBIC)
    faces = segment.all_faces(close_up, fine=True)
    assert len(faces) == 1 and faces[0].width > 300


def test_a_face_cut_by_the_frame_is_found():
    """Grace Hopper from the eyes to the chin, filling the frame: the detector misses the face as it is, and
    finds it set in a grey border; the photo is then a person's, not a scene without one."""
    import cv2

    from portrait3d_blender.core import pipeline

    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    close_up = cv2.resize(np.ascontiguousarray(rgb[200:330, 180:360]), (600, 433), interpolation=cv2.INTER_CUBIC)
    assert segment.detected_faces(close_up) == []
    faces = face_landmarks.photo_faces(close_up)
    assert len(faces) == 1 and faces[0].width > 400 and abs(faces[0].center_x - 300) < 60
    mask, _, people, found = pipeline.find_person(close_up)
    assert found and len(people) == 1 and (mask > 0.5).mean() > 0.6


def test_grayscale_photo_of_a_person():
    mask = segment.person_mask(image.load_photo(CAMERAMAN).working_rgb)
    assert segment.has_person(mask)
    assert mask[150, 250] > 0.5  # the cameraman's head


def test_photo_without_a_person():
    rgb = image.load_photo(COFFEE).working_rgb
    assert segment.largest_face(rgb) is None
    mask = segment.person_mask(rgb)
    assert segment.has_person(mask)  # the segmenter paints the cup as a person ...
    assert not segment.body_detected(rgb) and not segment.body_detected(rgb, mask)  # ... but it has no body


def test_a_small_body_is_found_framed_closer():
    """The cameraman (grey, seen in profile behind his camera) pasted 120 px tall into a bedroom: the pose
    detector finds no body in the whole photo, and finds his in the square around the mask."""
    from models import heldout_photos

    photo = heldout_photos.load("room_bed").astype(np.float32)
    heldout_photos.paste(photo, *heldout_photos.cutout(heldout_photos.portrait("camera"), 120), 240, 300)
    composite = (photo + 0.5).astype(np.uint8)
    mask = segment.person_mask(composite)
    assert not segment.body_detected(composite)
    assert segment.body_detected(composite, mask)


def test_people_are_detected_as_bodies():
    for path in (ASTRONAUT, CAMERAMAN, GRACE_HOPPER):
        assert segment.body_detected(image.load_photo(path).working_rgb), path.name


def test_analysis_of_a_photo_without_a_person_says_so():
    from portrait3d_blender.core import pipeline

    analysis = pipeline.analyse_photo(COFFEE)
    assert not analysis.person_found and analysis.face is None
    assert analysis.mask.max() == 0.0
    assert "No person" in analysis.notice
    assert analysis.nearness.shape == analysis.photo.working_rgb.shape[:2]


def test_body_landmarks_fall_on_the_person():
    # The pose bundle's normalisation metadata is ours (models/mediapipe_models.py): with the wrong one the
    # landmarker still "finds" bodies but puts them anywhere. The nose must land in the face box.
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    face = segment.largest_face(rgb)
    height, width = rgb.shape[:2]
    with segment._lock:
        result = segment._pose_landmarker().detect(segment._mp_image(rgb))
    nose = result.pose_landmarks[0][0]
    assert abs(nose.x * width - face.center_x) < face.width / 2
    assert abs(nose.y * height - face.center_y) < face.height / 2


def test_shipped_models_are_the_ones_the_script_makes(tmp_path):
    # The development venv's mediapipe 0.10.21 wheel holds the original files; the script must reproduce the
    # committed copies byte for byte (and nothing in the folder may be left over from an older run).
    from models import mediapipe_models

    made = mediapipe_models.write_models(tmp_path)
    shipped = sorted(p.name for p in segment.MODELS_DIR.iterdir() if p.name != "NOTICE")
    assert made == shipped
    for name in made:
        assert (tmp_path / name).read_bytes() == (segment.MODELS_DIR / name).read_bytes(), name


def test_a_far_person_is_segmented_again_on_a_crop_around_its_face(monkeypatch):
    """The astronaut, cut out and pasted 120 px tall into a courtyard (so the true silhouette is known): the
    whole photo's mask misses 3.3 % of her and with the crop around her face 1.5 %, while 0.8 % more of
    the courtyard is painted (both as shares of her silhouette)."""
    from models import heldout_photos
    from portrait3d_blender.core import pipeline

    photo = heldout_photos.load("courtyard_dog").astype(np.float32)
    rgb, alpha = heldout_photos.cutout(heldout_photos.portrait("astronaut"), 120)
    silhouette = np.zeros((*photo.shape[:2], 1), np.float32)
    heldout_photos.paste(photo, rgb, alpha, 240, 300)
    heldout_photos.paste(silhouette, np.ones((*alpha.shape, 1), np.float32), alpha, 240, 300)
    composite, silhouette = (photo + 0.5).astype(np.uint8), silhouette[..., 0] > 0.5

    def missed_and_spilled(mask):
        person = mask > 0.5
        return (silhouette & ~person).sum() / silhouette.sum(), (person & ~silhouette).sum() / silhouette.sum()

    mask, _, people, found = pipeline.find_person(composite)
    assert found and len(people) == 1
    monkeypatch.setattr(segment, "SMALL_FACE", 0.0)  # no crops: the whole photo's mask alone
    whole_photo_mask, _, _, _ = pipeline.find_person(composite)
    (missed, spilled), (missed_before, spilled_before) = missed_and_spilled(mask), missed_and_spilled(whole_photo_mask)
    assert missed < 0.6 * missed_before
    assert spilled < spilled_before + 0.02
    assert np.all(mask >= whole_photo_mask)  # the crops only add
