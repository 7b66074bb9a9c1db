"""Mesh export of a 3D photo: only its meshes, texture embedded (glTF) or beside (OBJ), nothing clobbered."""

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import export  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.blender.photo3d import Photo3D  # noqa: E402
from portrait3d_blender.core.errors import OutputError, OutputExistsError  # noqa: E402
from portrait3d_blender.core import pipeline  # noqa: E402
from tests.conftest import ASTRONAUT  # noqa: E402


@pytest.fixture
def photo_scene(empty_scene, astronaut_analysis):
    """A small 3D photo beside a user's cube that is selected and active."""
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    cube.name = "User Cube"
    settings = pipeline.Settings(mesh_resolution=32, frames=4)
    plan = pipeline.plan_scene(astronaut_analysis, settings)
    photo, _ = blender_scene.build_3d_photo(empty_scene, astronaut_analysis, plan, settings)
    return photo, photo.mesh_objects, cube


def _glb_json(path):
    data = path.read_bytes()
    assert data[:4] == b"glTF"
    length = struct.unpack("<I", data[12:16])[0]
    return json.loads(data[20 : 20 + length])


def _glb_image(path, document, index):
    """Image `index` of a .glb, decoded: its bytes lie in the binary chunk, after the JSON chunk."""
    data = path.read_bytes()
    binary_start = 20 + struct.unpack("<I", data[12:16])[0] + 8
    view = document["bufferViews"][document["images"][index]["bufferView"]]
    start = binary_start + view.get("byteOffset", 0)
    return np.asarray(Image.open(io.BytesIO(data[start : start + view["byteLength"]])))


def _import_and_count(importer, path):
    """Import into a fresh empty file; {object name: vertex count} and the textures of its materials."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    importer(filepath=str(path))
    counts, images = {}, []
    for obj in bpy.context.scene.objects:
        if obj.type == "MESH":
            counts[obj.name] = len(obj.data.vertices)
            for slot in obj.material_slots:
                images += [node.image for node in slot.material.node_tree.nodes if node.type == "TEX_IMAGE"]
    return counts, images


def test_the_3d_photo_is_found_from_the_camera_or_a_layer(photo_scene):
    photo, objects, cube = photo_scene
    assert Photo3D.active(bpy.context) == photo  # the cube is active: the scene camera's photo
    bpy.context.view_layer.objects.active = objects[-1]
    assert Photo3D.active(bpy.context) == photo == Photo3D.of_object(photo.camera)
    assert Photo3D.of_object(cube) is None
    assert cube not in objects and all(obj.type == "MESH" for obj in objects)
    assert len(objects) == len([obj for obj in photo.collection.objects if obj.type == "MESH"]) >= 1


def test_glb_embeds_the_texture_unlit_and_reimports_with_the_same_vertices(photo_scene, tmp_path):
    photo, objects, cube = photo_scene
    expected = {obj.name: len(obj.data.vertices) for obj in objects}
    materials_before = [[slot.material for slot in obj.material_slots] for obj in objects]
    output = tmp_path / "photo.glb"
    assert export.export_meshes(bpy.context, photo, output) == [output]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photo.glb"]
    # The scene is as it was: materials back, the user's selection and active object restored.
    assert [[slot.material for slot in obj.material_slots] for obj in objects] == materials_before
    assert cube.select_get() and bpy.context.view_layer.objects.active == cube
    assert not any(obj.select_get() for obj in objects)

    document = _glb_json(output)
    assert "KHR_materials_unlit" in document["extensionsUsed"]
    assert document["images"] and all("bufferView" in image for image in document["images"])  # embedded
    assert {node["name"] for node in document["nodes"]} == set(expected)  # no camera, no cube
    # The computed fill (inpainted background, back-fill) travels as vertex colours on its own primitives.
    fills = {index for index, material in enumerate(document["materials"]) if " Fill" in material["name"]}
    primitives = [primitive for mesh in document["meshes"] for primitive in mesh["primitives"]]
    fill_primitives = [primitive for primitive in primitives if primitive.get("material") in fills]
    assert fill_primitives and all("COLOR_0" in primitive["attributes"] for primitive in fill_primitives)
    # The subject keeps its soft edge: the photo with the matte's alpha, blended.
    subject_name = next(obj.name for obj in objects if obj.name.endswith(" Subject"))
    (subject,) = [material for material in document["materials"] if material["name"].startswith(f"{subject_name}.")]
    assert subject["alphaMode"] == "BLEND" and "KHR_materials_unlit" in subject["extensions"]
    pixels = _glb_image(output, document, document["textures"][
        subject["pbrMetallicRoughness"]["baseColorTexture"]["index"]]["source"])
    assert pixels.shape == (512, 512, 4) and 0.2 < (pixels[..., 3] == 0).mean() and (pixels[..., 3] == 255).mean() > 0.2

    counts, images = _import_and_count(bpy.ops.import_scene.gltf, output)
    assert counts == expected
    assert images and all(image.packed_file is not None and image.size[0] > 0 for image in images)
    assert any(tuple(image.size) == (512, 512) for image in images)  # the photo itself


def test_obj_writes_its_mtl_and_textures_beside_it(photo_scene, tmp_path):
    photo, objects, _ = photo_scene
    expected = {obj.name.replace(" ", "_"): len(obj.data.vertices) for obj in objects}
    written = export.export_meshes(bpy.context, photo, tmp_path / "photo.obj")
    assert written[0] == tmp_path / "photo.obj" and tmp_path / "photo.mtl" in written
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)
    assert (tmp_path / "photo_0.png").read_bytes() == ASTRONAUT.read_bytes()  # the photo's own bytes
    mtl = (tmp_path / "photo.mtl").read_text()
    assert "map_Kd photo_0.png" in mtl
    assert "map_d photo_1.png" in mtl and (tmp_path / "photo_1.png") in written  # the subject's soft edge
    counts, images = _import_and_count(bpy.ops.wm.obj_import, tmp_path / "photo.obj")
    assert counts == expected and images


def test_ply_holds_every_vertex(photo_scene, tmp_path):
    photo, objects, _ = photo_scene
    total = sum(len(obj.data.vertices) for obj in objects)
    export.export_meshes(bpy.context, photo, tmp_path / "photo.ply")
    counts, _ = _import_and_count(bpy.ops.wm.ply_import, tmp_path / "photo.ply")
    assert sum(counts.values()) == total


def test_existing_files_are_kept_unless_overwrite(photo_scene, tmp_path):
    photo, _, _ = photo_scene
    (tmp_path / "photo.mtl").write_text("mine")
    with pytest.raises(OutputExistsError, match="Output exists: .*photo.mtl"):
        export.export_meshes(bpy.context, photo, tmp_path / "photo.obj")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photo.mtl"]  # nothing half-written
    export.export_meshes(bpy.context, photo, tmp_path / "photo.obj", overwrite=True)
    assert (tmp_path / "photo.mtl").read_text().startswith("#")


def test_a_texture_the_exporter_names_as_the_photo_never_replaces_it(empty_scene, tmp_path):
    """An OBJ's texture is written as `<stem>_0.png`: the photo `photo_0.png` beside `photo.obj` would be it."""
    import shutil

    photo_path = Path(shutil.copy(ASTRONAUT, tmp_path / "photo_0.png"))
    empty_scene.portrait3d.mesh_resolution = 16
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(photo_path)) == {"FINISHED"}
    photo = Photo3D.active(bpy.context)
    with pytest.raises(OutputError, match="Refusing to overwrite the input photo: .*photo_0.png"):
        export.export_meshes(bpy.context, photo, tmp_path / "photo.obj", overwrite=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photo_0.png"]
    assert photo_path.read_bytes() == ASTRONAUT.read_bytes()


def test_unknown_suffix(photo_scene, tmp_path):
    with pytest.raises(export.ExportError, match=".glb, .obj or .ply"):
        export.export_meshes(bpy.context, photo_scene[0], tmp_path / "photo.fbx")


def test_export_mesh_operator(photo_scene, tmp_path):
    output = tmp_path / "op.glb"
    assert bpy.ops.portrait3d.export_mesh(filepath=str(output)) == {"FINISHED"}
    assert output.is_file()
    with pytest.raises(RuntimeError, match="exists"):
        bpy.ops.portrait3d.export_mesh(filepath=str(output))


def test_export_depth_map_operator_writes_depth_and_mask(photo_scene, tmp_path, astronaut_analysis):
    import numpy as np
    from PIL import Image

    output = tmp_path / "astro_depth.png"
    assert bpy.ops.portrait3d.export_depth_map(filepath=str(output)) == {"FINISHED"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["astro_depth.png", "astro_mask.png"]
    with Image.open(output) as depth:
        assert depth.mode == "L" and depth.size == (512, 512)
        np.testing.assert_allclose(np.asarray(depth), np.round(astronaut_analysis.nearness * 255), atol=1)


@pytest.mark.parametrize("operator", ["export_depth_map", "export_mesh"])
def test_export_operators_without_a_path_report_one_line(photo_scene, operator):
    # From a script or F3 the file browser never opens, so there may be no path at all.
    with pytest.raises(RuntimeError) as raised:
        getattr(bpy.ops.portrait3d, operator)(filepath="")
    assert str(raised.value).strip().splitlines() == [
        f"Error: {'Export Depth Map' if operator == 'export_depth_map' else 'Export Mesh'}: no file path given; "
        "choose a file to write"
    ]


def test_a_full_export_folder_leaves_no_mesh_behind(photo_scene, tmp_path, monkeypatch):
    from portrait3d_blender.core import verify

    def cut_short(path, vertices):  # what a disk that fills up mid-file leaves
        path.write_bytes(path.read_bytes()[:1000])
        return real(path, vertices)

    real = verify.MESH_CHECKS[".ply"]
    monkeypatch.setitem(verify.MESH_CHECKS, ".ply", cut_short)
    photo, _, _ = photo_scene
    with pytest.raises(export.ExportError, match=r"mesh.ply was not written: mesh.ply (has|ends)"):
        export.export_meshes(bpy.context, photo, tmp_path / "mesh.ply")
    assert list(tmp_path.iterdir()) == []
