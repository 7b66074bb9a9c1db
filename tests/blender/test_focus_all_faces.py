"""Every face in focus on a real group photo: the blur circle at each face, frame by frame, from Blender's own
camera after the focus is set."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from models import heldout_photos  # noqa: E402
from portrait3d_blender.blender import focus  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import pipeline, segment  # noqa: E402
from tests.conftest import GRACE_HOPPER, make_group_photo, save_rgb  # noqa: E402

SETTINGS = pipeline.Settings(frames=12, mesh_resolution=32, render_size=200, render_samples=1, orbit_size=0.08)


@pytest.fixture(scope="module")
def group_analysis(tmp_path_factory):
    return pipeline.analyse_photo(make_group_photo(tmp_path_factory.mktemp("group")))


def test_every_face_of_the_group_photo_is_found(group_analysis):
    faces = group_analysis.faces
    assert len(faces) == 2 and group_analysis.face == segment.largest_face(group_analysis.photo.working_rgb)
    assert faces[0].center_x < 400 < faces[1].center_x  # Hopper on the left, the astronaut on the right


def _blur_at_faces(scene, camera, points):
    """Each frame's blur circle (output pixels) at each face, from the camera as Blender animates it."""
    dof, blurs = camera.data.dof, []
    pixel_mm = camera.data.sensor_width / max(scene.render.resolution_x, scene.render.resolution_y)
    for frame in range(scene.frame_start, scene.frame_end + 1):
        scene.frame_set(frame)
        matrix = np.array(camera.matrix_world)
        view = -matrix[:3, 2]
        focus_distance = (np.array(dof.focus_object.matrix_world.translation) - matrix[:3, 3]) @ view
        depths = (np.asarray(points) - matrix[:3, 3]) @ view
        focal_m = camera.data.lens / 1000.0
        blurs.append(focal_m ** 2 / dof.aperture_fstop * np.abs(1 / depths - 1 / focus_distance) * 1000 / pixel_mm)
    return np.array(blurs)


def test_all_faces_stay_within_one_pixel_in_every_frame(empty_scene, group_analysis):
    plan = pipeline.plan_scene(group_analysis, SETTINGS)
    photo, _ = blender_scene.build_3d_photo(empty_scene, group_analysis, plan, SETTINGS)
    to_photo = group_analysis.photo.width / group_analysis.mask.shape[1]
    points = [pipeline.surface_point(group_analysis, SETTINGS, face.center_x * to_photo, face.center_y * to_photo)
              for face in group_analysis.faces]
    depths = [point[1] - plan.capture_location[1] for point in points]
    assert abs(depths[0] / depths[1] - 1) > 0.05  # the two faces are at different depths: a real test
    result = focus.all_faces_focus(empty_scene, photo, SETTINGS, f_stop=0.5)
    camera = photo.camera
    focus.enable_depth_of_field(camera, result.f_stop, tuple(result.point))
    blur = _blur_at_faces(empty_scene, camera, points)
    print(f"all faces: f/{result.f_stop:.2f} (asked f/0.5), blur per face, worst frame: {blur.max(axis=0).round(3)}")
    assert result.stopped_down and blur.shape == (SETTINGS.frames, 2)
    assert blur.max() <= 1.0 + 1e-4 and blur.max() > 0.99  # within one pixel, and no smaller an aperture
    # Focused on one face at f/0.5 instead, the other would blur over several pixels.
    focus.enable_depth_of_field(camera, 0.5, tuple(points[0]))
    assert _blur_at_faces(empty_scene, camera, points)[:, 1].max() > 2.0


def test_the_back_row_stays_in_focus_too(empty_scene, tmp_path):
    """Hopper big in front, the astronaut small behind her: the faces the depth was laid out by, both."""
    analysis = pipeline.analyse_photo(save_rgb(tmp_path / "room.png", heldout_photos.load("composite_room_pair")))
    photo, _ = blender_scene.build_3d_photo(empty_scene, analysis, pipeline.plan_scene(analysis, SETTINGS), SETTINGS)
    result = focus.all_faces_focus(empty_scene, photo, SETTINGS, f_stop=0.5)
    assert result.blur_px.shape == (SETTINGS.frames, 2) and result.stopped_down
    assert focus.all_faces_line(result).startswith("Focused on all 2 faces")


def test_operator_and_a_photo_with_one_face(empty_scene):
    panel = empty_scene.portrait3d
    panel.mesh_resolution = 32
    panel.f_stop = 1.2
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(GRACE_HOPPER)) == {"FINISHED"}
    assert bpy.ops.portrait3d.depth_of_field(target="ALL_FACES") == {"FINISHED"}
    dof = bpy.context.scene.camera.data.dof  # the 3D photo's own scene's camera
    assert dof.use_dof and dof.aperture_fstop == pytest.approx(1.2)  # one face: focused on it, as asked
    np.testing.assert_allclose(dof.focus_object.location, 0.0, atol=1e-6)  # the face is the world origin
