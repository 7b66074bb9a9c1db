"""Every face in focus: the focus point between the faces and the f-stop that keeps each within one pixel."""

import numpy as np
import pytest

from portrait3d_blender.core import depth_of_field

PIXEL_MM = 36.0 / 1000  # a 36 mm sensor over 1000 output pixels


def test_two_faces_are_focused_at_their_harmonic_mean_and_stopped_down_just_enough():
    faces = np.array([[0.1, 1.0, 0.0], [-0.3, 2.0, 0.1]])  # 1 m and 2 m from a camera looking along +Y
    result = depth_of_field.focus_on_all(faces, [[0, 0, 0]], [[0, 1, 0]], 50.0, PIXEL_MM, f_stop=2.8)
    assert result.point[1] == pytest.approx(4.0 / 3.0)  # 2 / (1/1 + 1/2)
    # (f² / N) · |1/d − 1/s| = 1 pixel at both faces: N = 0.05² · 0.25 / 0.036e-3
    assert result.f_stop == pytest.approx(0.05 ** 2 * 0.25 / 36e-6) and result.stopped_down
    np.testing.assert_allclose(result.blur_px, 1.0)
    wider = depth_of_field.blur_diameter_px(np.array([1.0, 2.0]), 4.0 / 3.0, 50.0, 0.99 * result.f_stop, PIXEL_MM)
    assert (wider > 1.0).all()  # any wider aperture blurs both faces past a pixel


def test_a_wide_enough_f_stop_is_kept_and_one_face_is_focused_on_itself():
    faces = np.array([[0.0, 1.5, 0.0], [0.2, 1.52, 0.0]])
    result = depth_of_field.focus_on_all(faces, [[0, 0, 0]], [[0, 1, 0]], 50.0, PIXEL_MM, f_stop=8.0)
    assert result.f_stop == 8.0 and not result.stopped_down and result.blur_px.max() < 1.0
    single = depth_of_field.focus_on_all(faces[:1], [[0, 0, 0]], [[0, 1, 0]], 50.0, PIXEL_MM, f_stop=1.4)
    np.testing.assert_allclose(single.point, faces[0])
    assert single.f_stop == 1.4 and single.blur_px.max() == 0.0


def test_every_frame_of_a_move_is_covered():
    faces = np.array([[0.0, 1.0, 0.0], [0.5, 2.5, 0.0]])
    angle = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    locations = np.stack([0.2 * np.cos(angle), -0.3 + 0.3 * np.sin(angle), np.zeros_like(angle)], axis=1)
    views = np.tile([0.0, 1.0, 0.0], (24, 1))
    lenses = np.linspace(50.0, 70.0, 24)  # a zoom during the move
    result = depth_of_field.focus_on_all(faces, locations, views, lenses, PIXEL_MM, f_stop=1.0)
    assert result.blur_px.shape == (24, 2)
    assert result.blur_px.max() == pytest.approx(1.0)  # the worst face in the worst frame is at one pixel
    static = depth_of_field.focus_on_all(faces, locations[:1], views[:1], lenses[:1], PIXEL_MM, f_stop=1.0)
    assert result.f_stop > static.f_stop  # the nearer camera and the longer lens need more
