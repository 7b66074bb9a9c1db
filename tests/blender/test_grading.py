"""Depth-aware grading, measured on renders: the person's pixels against the background's, from the capture view."""

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from PIL import Image  # noqa: E402

from portrait3d_blender.blender import focus  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import grading, pipeline  # noqa: E402

SIZE = 96


def test_white_balance_gains_keep_grey_and_warm_below_6500():
    np.testing.assert_allclose(grading.white_balance_gains(6500), 1.0, atol=1e-12)
    warm, cool = grading.white_balance_gains(3200), grading.white_balance_gains(10000)
    assert warm[0] > warm[1] > warm[2] and cool[2] > cool[1] > cool[0]
    for gains in (warm, cool):
        assert float(grading.LUMINANCE @ gains) == pytest.approx(1.0)
    assert grading.haze_rate(2.0, 4.0) == -0.5


def _linear(path):
    srgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _regions(analysis, shape):
    """Render pixels well inside the person and well clear of them (the capture view: photo = render)."""
    import cv2

    mask = cv2.resize(analysis.mask, shape[::-1], interpolation=cv2.INTER_AREA)
    kernel = np.ones((5, 5), np.uint8)
    inside = cv2.erode((mask > 0.5).astype(np.uint8), kernel).astype(bool)
    outside = cv2.erode((mask < 0.5).astype(np.uint8), kernel).astype(bool)
    return inside, outside


@pytest.fixture
def capture_view(empty_scene, astronaut_analysis, tmp_path):
    """The astronaut's 3D photo seen from the capture camera, and a function rendering it under a grade."""
    settings = pipeline.Settings(frames=2, orbit_size=0.0, mesh_resolution=96, render_size=SIZE, render_samples=4)
    plan = pipeline.plan_scene(astronaut_analysis, settings)
    photo, _ = blender_scene.build_3d_photo(empty_scene, astronaut_analysis, plan, settings)
    camera = photo.camera
    np.testing.assert_allclose(camera.location, plan.capture_location, atol=1e-5)  # orbit size 0: no move

    def render(name, **grade):
        assert blender_scene.regrade_3d_photo(photo, pipeline.Settings(**grade))
        return _linear(focus.render_still(empty_scene, tmp_path / f"{name}.png", frame=1))

    return render, _regions(astronaut_analysis, (SIZE, SIZE))


def _face_centre(analysis):
    """The middle of the face box, in render pixels (the working image is the render's size times a factor)."""
    face, scale = analysis.face, SIZE / analysis.mask.shape[1]
    rows = slice(round((face.center_y - face.height / 4) * scale), round((face.center_y + face.height / 4) * scale))
    columns = slice(round((face.center_x - face.width / 4) * scale), round((face.center_x + face.width / 4) * scale))
    return rows, columns


def _ratio(graded, neutral, region):
    return float(graded[region].mean() / neutral[region].mean())


@pytest.mark.slow
def test_grading_ratios_inside_and_outside_the_person(capture_view):
    render, (inside, outside) = capture_view
    assert inside.sum() > 300 and outside.sum() > 1000
    neutral = render("neutral")
    darker_background = render("background", background_exposure=-1.5)
    ratios = _ratio(darker_background, neutral, inside), _ratio(darker_background, neutral, outside)
    print(f"background -1.5 EV: person ×{ratios[0]:.3f}, background ×{ratios[1]:.3f} (2^-1.5 = {2 ** -1.5:.3f})")
    assert ratios[0] == pytest.approx(1.0, abs=0.03)
    assert ratios[1] == pytest.approx(2 ** -1.5, rel=0.05)
    darker_person = render("person", foreground_exposure=-1.0)
    ratios = _ratio(darker_person, neutral, inside), _ratio(darker_person, neutral, outside)
    print(f"foreground -1 EV: person ×{ratios[0]:.3f}, background ×{ratios[1]:.3f}")
    assert ratios[0] == pytest.approx(0.5, rel=0.05) and ratios[1] == pytest.approx(1.0, abs=0.03)


def _chroma(rgb):
    return rgb.max(axis=-1) - rgb.min(axis=-1)


@pytest.mark.slow
def test_saturation_temperature_and_haze_by_depth(capture_view, astronaut_analysis):
    render, (inside, outside) = capture_view
    neutral = render("neutral")
    grey_background = render("grey", background_saturation=0.0)
    assert _chroma(grey_background)[outside].mean() < 0.1 * _chroma(neutral)[outside].mean()
    assert _chroma(grey_background)[inside].mean() == pytest.approx(_chroma(neutral)[inside].mean(), rel=0.03)
    warm_person = render("warm", foreground_temperature=3200.0)
    red_over_blue = [float(image[inside][:, 0].mean() / image[inside][:, 2].mean()) for image in (neutral, warm_person)]
    print(f"foreground 3200 K: red/blue on the person {red_over_blue[0]:.2f} → {red_over_blue[1]:.2f}")
    assert red_over_blue[1] > 2.0 * red_over_blue[0]
    assert _ratio(warm_person, neutral, outside) == pytest.approx(1.0, abs=0.03)
    hazy = render("haze", haze_density=3.0, haze_color=(1.0, 1.0, 1.0))
    # The haze starts behind the person: the face and body stay, the background turns toward the white haze.
    face = _face_centre(astronaut_analysis)
    on_face, on_person, behind = (hazy[face].mean() / neutral[face].mean(), _ratio(hazy, neutral, inside),
                                  _ratio(hazy, neutral, outside))
    print(f"haze 3: face ×{on_face:.3f}, person ×{on_person:.3f}, background ×{behind:.3f}")
    assert on_face == pytest.approx(1.0, abs=0.01) and on_person == pytest.approx(1.0, abs=0.03)
    assert behind > 1.3


def test_grade_sliders_are_live_and_remesh_nothing(empty_scene):
    from tests.conftest import ASTRONAUT

    panel = empty_scene.portrait3d
    panel.mesh_resolution = 32
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT)) == {"FINISHED"}
    panel = bpy.context.scene.portrait3d  # the 3D photo's own scene's
    collection = bpy.data.collections["3D Photo astronaut"]
    group = collection[blender_scene.blender_grading.GRADE_PROPERTY]
    layers = [obj for obj in collection.objects if obj.type == "MESH"]
    for obj in layers:  # every material of every layer goes through the one grade group
        for slot in obj.material_slots:
            assert [node.node_tree for node in slot.material.node_tree.nodes if node.type == "GROUP"] == [group]
    subject = next(obj for obj in layers if obj.name.endswith("Subject"))
    foreground = np.empty(len(subject.data.vertices), dtype=np.float32)
    subject.data.attributes["Foreground"].data.foreach_get("value", foreground)
    assert (foreground == 1.0).all()
    meshes = {obj.name: obj.data.as_pointer() for obj in layers}
    bpy.context.view_layer.objects.active = subject
    panel.background_exposure = -1.5
    panel.foreground_temperature = 4000.0
    panel.haze_density = 1.0
    assert group.nodes["Background Exposure"].outputs[0].default_value == pytest.approx(-1.5)
    gains = [socket.default_value for socket in group.nodes["Foreground Gains"].inputs]
    np.testing.assert_allclose(gains, grading.white_balance_gains(4000.0), rtol=1e-6)
    haze_start = group.nodes["Haze Start"].outputs[0].default_value
    focus_distance = bpy.data.cameras["3D Photo astronaut Camera"].dof.focus_distance  # the plan's, at creation
    assert focus_distance < haze_start < 3 * focus_distance  # behind the person, who stands around the face
    assert group.nodes["Haze Rate"].outputs[0].default_value == pytest.approx(-1.0 / haze_start)
    assert {obj.name: obj.data.as_pointer() for obj in layers} == meshes  # the same meshes: no rebuild
    # A mesh slider rebuilds the geometry and keeps the grade.
    panel.depth_strength = 1.4
    assert group.nodes["Background Exposure"].outputs[0].default_value == pytest.approx(-1.5)


def test_single_sheet_takes_its_foreground_from_the_mask(astronaut_analysis):
    plan = pipeline.plan_scene(astronaut_analysis, pipeline.Settings(layered=False, mesh_resolution=64))
    sheet = plan.layers[0].mesh
    assert sheet.foreground.shape == (len(sheet.vertices),)
    assert 0.05 < float((sheet.foreground > 0.5).mean()) < 0.8 and sheet.foreground.max() <= 1.0
