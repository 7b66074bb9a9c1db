"""The people of a photo, found once per analysis: the faces Face Mesh confirmed, kept on the Analysis for
everything that needs them (the depth's layout, All Faces focus)."""

import pytest

from models import heldout_photos
from portrait3d_blender.core import pipeline, segment
from tests.conftest import ASTRONAUT, save_rgb


def _centres(faces):
    return [(round(face.center_x), round(face.center_y)) for face in faces]


@pytest.fixture
def analysed(tmp_path):
    def analyse(name):
        return pipeline.analyse_photo(save_rgb(tmp_path / f"{name}.png", heldout_photos.load(name)))
    return analyse


def test_the_back_row_is_among_the_faces(analysed):
    """Hopper big in front, the astronaut small behind her: the whole-photo search sees Hopper alone."""
    analysis = analysed("composite_room_pair")
    assert len(analysis.faces) == 2
    (front_x, front_y), (back_x, back_y) = _centres(analysis.faces)
    assert abs(front_x - 154) < 15 and abs(back_x - 320) < 15 and back_y < front_y
    assert analysis.faces == [face for face, _ in analysis.people]  # the same people the depth was laid out by


def test_a_dog_is_not_among_the_faces(analysed):
    """On the courtyard composite the detector also fires on the dog below Hopper; Face Mesh drops it."""
    centres = sorted(_centres(analysed("composite_courtyard_pair").faces))
    assert len(centres) == 2
    assert abs(centres[0][0] - 142) < 15 and abs(centres[1][0] - 314) < 15  # Hopper's face, the astronaut's


def test_the_whole_photo_is_searched_for_faces_once(monkeypatch):
    detector, shapes = segment._face_detector(), []

    class Counting:
        def detect(self, image):
            shapes.append((image.height, image.width))
            return detector.detect(image)

    monkeypatch.setattr(segment, "_face_detector", Counting)
    analysis = pipeline.analyse_photo(ASTRONAUT)
    assert len(analysis.faces) == 1 and analysis.face == analysis.faces[0]
    assert shapes.count(analysis.photo.working_rgb.shape[:2]) == 1
    assert len(shapes) > 1  # the fine search's tiles were searched as well
