"""The Blender layer on a real photo: mesh, UVs, material, camera, render settings, and a real render."""

import hashlib

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.blender.photo3d import Photo3D  # noqa: E402
from portrait3d_blender.core import pipeline  # noqa: E402
from tests import mesh_checks  # noqa: E402
from tests.conftest import ASTRONAUT  # noqa: E402


def _project_through_camera(scene, camera, points):
    """World points → render pixel coordinates (x right, y down) with the camera's real projection."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    render = scene.render
    projection = np.array(camera.calc_matrix_camera(depsgraph, x=render.resolution_x, y=render.resolution_y))
    view = np.array(camera.matrix_world.inverted())
    homogeneous = np.column_stack([points, np.ones(len(points))]) @ (projection @ view).T
    ndc = homogeneous[:, :2] / homogeneous[:, 3:4]
    return np.column_stack(
        [(ndc[:, 0] + 1) / 2 * render.resolution_x, (1 - ndc[:, 1]) / 2 * render.resolution_y]
    )


def _build(scene, analysis, **overrides):
    settings = pipeline.Settings(**overrides)
    photo, device = blender_scene.build_3d_photo(scene, analysis, pipeline.plan_scene(analysis, settings), settings)
    return photo.collection, photo.layers, photo.camera, device


@pytest.mark.parametrize("layered", [False, True])
def test_mesh_reprojects_through_the_blender_camera_onto_its_uvs(empty_scene, astronaut_analysis, layered):
    """Every vertex of every layer, back-fill patches included, lies on the ray of the pixel it shows."""
    collection, layer_objects, camera, _ = _build(
        empty_scene, astronaut_analysis, orbit_size=0.0, render_size=512, mesh_resolution=256, layered=layered
    )
    assert len(layer_objects) == (2 if layered else 1)
    empty_scene.frame_set(1)
    for layer_object in layer_objects:
        vertices = mesh_checks.read_vertices(layer_object.data)
        uvs, vertex_of_corner = mesh_checks.read_corner_uvs(layer_object.data)
        pixels = _project_through_camera(empty_scene, camera, vertices[vertex_of_corner])
        uv_pixels = np.column_stack([uvs[:, 0] * 512, (1 - uvs[:, 1]) * 512])
        assert np.abs(pixels - uv_pixels).max() < 0.5
        depth_along_view = vertices[:, 1] - camera.location.y
        assert depth_along_view.max() / depth_along_view.min() > 1.1  # displaced, not a flat card
    if not layered:
        mesh = layer_objects[0].data
        assert len(mesh.vertices) == 257 * 257 and len(mesh.polygons) == 256 * 256


def test_scene_contents(empty_scene, astronaut_analysis):
    before = hashlib.sha256(ASTRONAUT.read_bytes()).hexdigest()
    collection, layer_objects, camera, device = _build(empty_scene, astronaut_analysis, frames=12)
    assert collection.name in empty_scene.collection.children
    assert set(collection.objects) == {*layer_objects, camera}
    assert [obj.name for obj in layer_objects] == ["3D Photo astronaut Subject", "3D Photo astronaut Background"]
    assert empty_scene.camera == camera
    for layer_object in layer_objects:
        photo_material, fill_material = (slot.material for slot in layer_object.material_slots)
        textures = [node.image for node in photo_material.node_tree.nodes if node.type == "TEX_IMAGE"]
        assert textures[0].packed_file is not None and tuple(textures[0].size) == (512, 512)
        assert any(node.type == "EMISSION" for node in photo_material.node_tree.nodes)
        fills = [node.image for node in fill_material.node_tree.nodes if node.type == "TEX_IMAGE"]
        assert all(image.packed_file is not None for image in fills)
    subject_material = layer_objects[0].material_slots[0].material
    assert any(node.type == "BSDF_TRANSPARENT" for node in subject_material.node_tree.nodes)
    assert (empty_scene.render.resolution_x, empty_scene.render.resolution_y) == (1024, 1024)
    assert (empty_scene.frame_start, empty_scene.frame_end) == (1, 12)
    assert device.startswith("Cycles on")
    assert hashlib.sha256(ASTRONAUT.read_bytes()).hexdigest() == before  # the user's photo is untouched


def test_camera_loop_is_seamless(empty_scene, astronaut_analysis):
    _, _, camera, _ = _build(empty_scene, astronaut_analysis, frames=10)

    def pose_at(frame):
        empty_scene.frame_set(frame)
        return np.array(camera.matrix_world)

    first, second = pose_at(1), pose_at(2)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(pose_at(11), first, atol=1e-5)  # one frame past the end is the start again
    np.testing.assert_allclose(pose_at(12), second, atol=1e-5)


def test_lit_material_uses_principled(empty_scene, astronaut_analysis):
    _, layer_objects, _, _ = _build(empty_scene, astronaut_analysis, lit=True, engine="EEVEE")
    for layer_object in layer_objects:
        for slot in layer_object.material_slots:
            assert any(node.type == "BSDF_PRINCIPLED" for node in slot.material.node_tree.nodes)
    assert empty_scene.render.engine == "BLENDER_EEVEE"


def test_exif_rotated_photo_is_textured_upright(empty_scene, tmp_path):
    """Blender ignores EXIF orientation; the UVs carry it, so the capture view still shows the upright photo."""
    from PIL import Image

    upright = np.zeros((60, 40, 3), dtype=np.uint8)
    upright[:20] = (255, 0, 0)  # red top third in the displayed photo
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)  # what a camera writes...
    exif = stored.getexif()
    exif[0x0112] = 6  # ...with "rotate 90° clockwise to display"
    path = tmp_path / "rotated.jpg"
    stored.save(path, exif=exif, quality=95)
    analysis = pipeline.analyse_photo(path)
    collection, (photo,), _, _ = _build(empty_scene, analysis, mesh_resolution=30, layered=False)
    assert tuple(_photo_texture(photo).size) == (60, 40)  # the stored, un-rotated file
    _assert_top_is_red(photo)
    # A texture limit below the photo's size asks for an upright copy: the refined UVs must follow it.
    settings = pipeline.Settings(mesh_resolution=30, layered=False, max_texture_size=32)
    (photo,) = blender_scene.refine_3d_photo(empty_scene, Photo3D(collection), settings)
    assert tuple(_photo_texture(photo).size) == (21, 32)  # upright, scaled to the limit
    _assert_top_is_red(photo)


def _photo_texture(photo_object):
    return photo_object.active_material.node_tree.nodes["Image Texture"].image


def _assert_top_is_red(photo_object):
    """The corners at the top of the displayed photo sample red from the texture through the Photo UVs."""
    image = _photo_texture(photo_object)
    width, height = image.size
    pixels = np.array(image.pixels[:]).reshape(height, width, 4)[::-1]  # top row first
    uvs, vertex_of_corner = mesh_checks.read_corner_uvs(photo_object.data)
    vertices = mesh_checks.read_vertices(photo_object.data)[vertex_of_corner]
    top = vertices[:, 2] > np.percentile(vertices[:, 2], 90)
    columns = np.clip((uvs[top, 0] * width).astype(int), 0, width - 1)
    rows = np.clip(((1 - uvs[top, 1]) * height).astype(int), 0, height - 1)
    assert pixels[rows, columns, 0].mean() > 0.8 and pixels[rows, columns, 2].mean() < 0.2


@pytest.mark.slow
@pytest.mark.parametrize("layered", [False, True])
def test_capture_view_render_reproduces_the_photo(empty_scene, astronaut_analysis, tmp_path, layered):
    """From where the photo was taken, the render is the photo: exactly for one sheet; for layers, bar the
    one-quad tears that show their back-fill and the soft edge's inpainted background."""
    _build(empty_scene, astronaut_analysis, orbit_size=0.0, render_size=128, render_samples=4, layered=layered)
    empty_scene.render.image_settings.file_format = "PNG"
    empty_scene.render.filepath = str(tmp_path / "capture.png")
    bpy.ops.render.render(write_still=True)
    from PIL import Image

    rendered = np.asarray(Image.open(tmp_path / "capture.png").convert("RGB"), dtype=np.float32)
    expected = np.asarray(Image.open(ASTRONAUT).convert("RGB").resize((128, 128), Image.BOX), dtype=np.float32)
    error = np.abs(rendered - expected).mean(axis=2)  # out of 255
    assert np.median(error) < 3.0
    assert error.mean() < (6.0 if not layered else 10.0)
