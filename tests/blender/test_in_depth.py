"""Text and stickers in depth: where they go, their size in photo pixels, and a sticker behind a person hidden
by the person in a render."""

import functools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from PIL import Image  # noqa: E402

from portrait3d_blender.blender import focus, in_depth  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import geometry, pipeline  # noqa: E402
from portrait3d_blender.core.errors import InDepthError  # noqa: E402

SIZE = 96


@pytest.fixture
def red_sticker(tmp_path):
    path = tmp_path / "red.png"
    Image.new("RGBA", (40, 40), (255, 0, 0, 255)).save(path)
    return path


@pytest.fixture
def capture_view(empty_scene, astronaut_analysis):
    settings = pipeline.Settings(frames=2, orbit_size=0.0, mesh_resolution=96, render_size=SIZE, render_samples=4)
    plan = pipeline.plan_scene(astronaut_analysis, settings)
    photo, _ = blender_scene.build_3d_photo(empty_scene, astronaut_analysis, plan, settings)
    return photo, settings, plan


def _face_pixel(analysis):
    to_photo = analysis.photo.width / analysis.mask.shape[1]
    return analysis.face.center_x * to_photo, analysis.face.center_y * to_photo


def test_default_depth_is_just_in_front_of_the_wall_behind_the_person(astronaut_analysis):
    settings = pipeline.Settings()
    x, y = _face_pixel(astronaut_analysis)
    behind = pipeline.in_depth_placement(astronaut_analysis, settings, x, y)
    front = pipeline.in_depth_placement(astronaut_analysis, settings, x, y, share=0.0)
    assert behind.depth == pytest.approx(behind.background_depth * (1 - pipeline.IN_DEPTH_GAP))
    assert front.depth == pytest.approx(front.nearest_person_depth)
    face = pipeline.surface_point(astronaut_analysis, settings, x, y)
    frame = pipeline._frame(astronaut_analysis, settings.depth_strength)
    face_depth = face[1] - frame.capture_location[1]
    assert front.depth < face_depth * 1.01 < behind.depth  # the person stands between the two
    halfway = pipeline.in_depth_placement(astronaut_analysis, settings, x, y, share=0.5)
    assert halfway.depth == pytest.approx((front.depth + behind.depth) / 2)
    for placement in (front, halfway, behind):  # on the pixel's ray; one photo pixel = depth / focal
        pixel = geometry.project_to_pixels(placement.location, frame.intrinsics, frame.capture_location)
        np.testing.assert_allclose(pixel, (x, y), atol=1e-6)
        assert placement.metres_per_pixel == pytest.approx(placement.depth / frame.intrinsics.focal_px)


def _red(pixels):
    return (pixels[..., 0] > 0.8) & (pixels[..., 1] < 0.25) & (pixels[..., 2] < 0.25)


@pytest.mark.slow
def test_a_sticker_behind_the_person_is_hidden_by_them_in_a_render(capture_view, red_sticker, tmp_path):
    import cv2

    photo, settings, _ = capture_view
    analysis = photo.analysis()
    x, y = _face_pixel(analysis)
    scene = bpy.context.scene
    without = np.asarray(Image.open(focus.render_still(scene, tmp_path / "none.png", frame=1)), np.float32) / 255
    sticker = in_depth.place_in_depth(photo, settings, "IMAGE", str(red_sticker), (x, y), 1.0, 240.0)
    assert sticker.name in photo.collection.objects and sticker[in_depth.IN_DEPTH_TAG]["share"] == 1.0
    behind = np.asarray(Image.open(focus.render_still(scene, tmp_path / "behind.png", frame=1)), np.float32) / 255
    scale = SIZE / analysis.photo.width

    def square(margin):  # the sticker's pixels in the render (the capture view), `margin` pixels more each way
        inside, half = np.zeros((SIZE, SIZE), dtype=bool), 120.0 * scale + margin
        inside[round(y * scale - half):round(y * scale + half), round(x * scale - half):round(x * scale + half)] = 1
        return inside

    mask = cv2.resize(analysis.mask, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    kernel = np.ones((5, 5), np.uint8)
    person = cv2.erode((mask > 0.5).astype(np.uint8), kernel).astype(bool) & square(-2)
    wall = cv2.erode((mask < 0.5).astype(np.uint8), kernel).astype(bool) & square(-2)
    assert person.sum() > 200 and wall.sum() > 100
    red = _red(behind[..., :3])
    print(f"sticker behind: red on {red[person].mean():.1%} of the person, {red[wall].mean():.1%} of the wall")
    assert red[person].mean() < 0.02 and red[wall].mean() > 0.98
    outside = ~square(2)
    assert red[outside].sum() <= _red(without[..., :3])[outside].sum()  # nothing past its own square
    # The same sticker moved in front of everyone covers the face.
    bpy.data.objects.remove(sticker)
    in_depth.place_in_depth(photo, settings, "IMAGE", str(red_sticker), (x, y), 0.0, 240.0)
    front = np.asarray(Image.open(focus.render_still(scene, tmp_path / "front.png", frame=1)), np.float32) / 255
    assert _red(front[..., :3])[person].mean() > 0.95


def test_text_in_depth_is_sized_in_photo_pixels(capture_view):
    photo, settings, plan = capture_view
    text = in_depth.place_in_depth(photo, settings, "TEXT", "Hello", (400.0, 80.0), 1.0, 60.0)
    assert text.type == "FONT" and text.data.body == "Hello"
    depth = text.location.y - plan.capture_location[1]
    assert text.data.size * plan.intrinsics.focal_px / depth == pytest.approx(60.0)
    np.testing.assert_allclose(geometry.project_to_pixels(np.array(text.location), plan.intrinsics,
                                                          plan.capture_location), (400.0, 80.0), atol=1e-3)
    # It faces the capture camera: its normal (local +Z) points back along the view axis.
    bpy.context.view_layer.update()
    normal = np.array(text.matrix_world.to_3x3().col[2])
    np.testing.assert_allclose(normal, (0.0, -1.0, 0.0), atol=1e-6)
    # It is an ordinary object: keyframable.
    assert text.keyframe_insert("location", frame=1)


def test_add_in_depth_operator_uses_the_3d_cursor(capture_view, red_sticker):
    photo, settings, plan = capture_view
    scene = bpy.context.scene
    scene.cursor.location = pipeline.surface_point(photo.analysis(), settings, 100.0, 60.0)  # the wall
    bpy.context.view_layer.objects.active = photo.layers[0]
    assert bpy.ops.portrait3d.add_in_depth(kind="IMAGE", filepath=str(red_sticker), depth=0.5, size=50) == {"FINISHED"}
    sticker = bpy.context.view_layer.objects.active
    assert sticker.type == "MESH" and sticker.name.endswith("Sticker")
    np.testing.assert_allclose(sticker[in_depth.IN_DEPTH_TAG]["pixel"], (100.0, 60.0), atol=1e-3)
    before = len(bpy.data.objects)
    with pytest.raises(RuntimeError, match="Sticker image not found"):
        bpy.ops.portrait3d.add_in_depth(kind="IMAGE", filepath="/nonexistent.png")
    scene.cursor.location = (50.0, 0.0, 0.0)  # far off the photo
    with pytest.raises(RuntimeError, match="outside the photo"):
        bpy.ops.portrait3d.add_in_depth(kind="TEXT", text="Hi")
    assert len(bpy.data.objects) == before
    with pytest.raises(InDepthError, match="Give the text"):
        in_depth.place_in_depth(photo, settings, "TEXT", "  ", (10.0, 10.0), 1.0, 10.0)


def test_add_sticker_asks_for_its_image_in_the_file_browser(capture_view, red_sticker):
    """Clicked without an image, Add Sticker opens Blender's file browser on images and folders, and Blender runs
    `execute` with the file chosen, as a script passing `filepath=` does. A background Blender has no events to
    invoke with, so the real class's `invoke` is driven with a stand-in window manager."""
    from portrait3d_blender.ui.in_depth_operators import PORTRAIT3D_OT_add_in_depth as Operator

    photo, settings, _ = capture_view
    properties = bpy.ops.portrait3d.add_in_depth.get_rna_type().properties
    assert properties["filepath"].subtype == "FILE_PATH"
    assert all(properties[name].default and properties[name].is_hidden for name in ("filter_image", "filter_folder"))
    browsers, executed = [], []
    context = SimpleNamespace(window_manager=SimpleNamespace(fileselect_add=browsers.append))

    def clicked(**properties):
        operator = SimpleNamespace(execute=lambda context: executed.append(operator) or {"FINISHED"}, **properties)
        operator.browse = functools.partial(Operator.browse, operator)
        return operator, Operator.invoke(operator, context, None)

    sticker, result = clicked(kind="IMAGE", filepath="")
    assert result == {"RUNNING_MODAL"} and browsers == [sticker] and executed == []
    for properties in ({"kind": "TEXT", "filepath": ""}, {"kind": "IMAGE", "filepath": str(red_sticker)}):
        operator, result = clicked(**properties)  # a text, or a sticker whose image is given: no browser
        assert result == {"FINISHED"} and executed[-1] is operator and browsers == [sticker]
    bpy.context.scene.cursor.location = pipeline.surface_point(photo.analysis(), settings, 100.0, 60.0)
    bpy.context.view_layer.objects.active = photo.layers[0]
    assert bpy.ops.portrait3d.add_in_depth(kind="IMAGE", filepath=str(red_sticker)) == {"FINISHED"}  # the file chosen
    sticker = bpy.context.view_layer.objects.active
    images = [node.image for node in sticker.active_material.node_tree.nodes if node.type == "TEX_IMAGE"]
    assert sticker.name == f"{photo.name} Sticker" and [Path(image.filepath) for image in images] == [red_sticker]
    np.testing.assert_allclose(sticker[in_depth.IN_DEPTH_TAG]["pixel"], (100.0, 60.0), atol=1e-3)


def test_the_depth_slider_moves_a_sticker_and_keeps_its_size_in_pixels(capture_view, red_sticker):
    photo, settings, plan = capture_view
    sticker = in_depth.place_in_depth(photo, settings, "IMAGE", str(red_sticker), (100.0, 60.0), 1.0, 50.0)
    far_depth = sticker.location.y - plan.capture_location[1]
    assert sticker.portrait3d_depth == 1.0
    sticker.portrait3d_depth = 0.25
    near_depth = sticker.location.y - plan.capture_location[1]
    assert near_depth < far_depth and sticker.portrait3d_depth == pytest.approx(0.25)
    np.testing.assert_allclose(sticker.scale, near_depth / far_depth, rtol=1e-5)  # the same 50 photo pixels
    np.testing.assert_allclose(geometry.project_to_pixels(np.array(sticker.location), plan.intrinsics,
                                                          plan.capture_location), (100.0, 60.0), atol=1e-3)
