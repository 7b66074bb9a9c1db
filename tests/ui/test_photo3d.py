"""Which 3D photo a button acts on, a .blend that carries its photo, and renders that show only the photo."""

import json
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import photo3d  # noqa: E402
from portrait3d_blender.blender.photo3d import Photo3D  # noqa: E402
from tests.conftest import ASTRONAUT, GRACE_HOPPER  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _tiny(settings, output_format="PNG"):
    """Small, quick settings for a scene's 3D photos and renders."""
    settings.mesh_resolution, settings.frames = 16, 2
    settings.render_preset, settings.render_size, settings.render_samples = "CUSTOM", 32, 1
    settings.output_format = output_format


def _create(path):
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(path)) == {"FINISHED"}
    return Photo3D.active(bpy.context)


def _vertices(photo):
    return {obj.name: np.array([vertex.co[:] for vertex in obj.data.vertices]) for obj in photo.layers}


def _glb_node_names(path):
    data = path.read_bytes()
    length = struct.unpack("<I", data[12:16])[0]
    return {node["name"] for node in json.loads(data[20:20 + length])["nodes"]}


def test_every_button_acts_on_the_selected_3d_photo(empty_scene, tmp_path):
    """Two 3D photos in one scene, the second's camera the scene's, the first's layer selected: Focus, Render,
    Update, Export and Show Depth Map all act on the first (the issue's scenario)."""
    astronaut, hopper = (Path(shutil.copy(path, tmp_path)) for path in (ASTRONAUT, GRACE_HOPPER))
    _tiny(empty_scene.portrait3d)
    first = _create(astronaut)
    scene = bpy.context.scene
    second = _create(hopper)
    bpy.context.window.scene = scene
    scene.collection.children.link(second.collection)
    scene.camera = second.camera
    bpy.context.view_layer.update()
    bpy.context.view_layer.objects.active = first.layers[0]
    assert Photo3D.active(bpy.context) == first

    assert bpy.ops.portrait3d.depth_of_field(target="FACE") == {"FINISHED"}
    assert first.camera.data.dof.use_dof and not second.camera.data.dof.use_dof

    assert bpy.ops.portrait3d.render_animation() == {"FINISHED"}
    assert scene.camera == first.camera  # the photo's camera rendered, and stays the scene's
    assert sorted(path.name for path in (tmp_path / "astronaut_3d").iterdir()) == ["frame_0001.png", "frame_0002.png"]
    assert not (tmp_path / "grace_hopper_3d").exists()

    scene.portrait3d.live_update = False
    before_first, before_second = _vertices(first), _vertices(second)
    scene.portrait3d.depth_strength = 2.5
    assert bpy.ops.portrait3d.refine_3d_photo() == {"FINISHED"}
    assert any(not np.array_equal(before_first[name], vertices) for name, vertices in _vertices(first).items())
    assert all(np.array_equal(before_second[name], vertices) for name, vertices in _vertices(second).items())

    assert bpy.ops.portrait3d.export_mesh(filepath=str(tmp_path / "mesh.glb")) == {"FINISHED"}
    assert _glb_node_names(tmp_path / "mesh.glb") == {obj.name for obj in first.mesh_objects}

    assert bpy.ops.portrait3d.show_depth_map() == {"FINISHED"}
    assert f"{first.name} Depth" in bpy.data.images and f"{second.name} Depth" not in bpy.data.images

    bpy.context.view_layer.objects.active = second.layers[-1]  # now the second one's
    assert bpy.ops.portrait3d.depth_of_field(target="FACE") == {"FINISHED"} and second.camera.data.dof.use_dof


@pytest.mark.slow
def test_first_render_in_the_factory_startup_file_shows_only_the_photo(addon, tmp_path):
    """Create in Blender's startup file (Cube, Light, Camera), then Render: not one pixel changes when the
    Cube is deleted, and the user's scene is as it was."""
    bpy.ops.wm.read_homefile(app_template="")
    user_scene = bpy.context.scene
    cube = bpy.data.objects["Cube"]
    assert {obj.name for obj in user_scene.objects} == {"Cube", "Light", "Camera"}
    _tiny(user_scene.portrait3d)
    user_scene.portrait3d.render_size, user_scene.portrait3d.render_samples = 64, 4
    photo = _create(Path(shutil.copy(GRACE_HOPPER, tmp_path)))
    assert bpy.context.scene != user_scene and "Cube" not in bpy.context.scene.objects
    assert tuple(cube.location) == (0.0, 0.0, 0.0) and user_scene.camera.name == "Camera"
    assert {obj.name for obj in user_scene.objects} == {"Cube", "Light", "Camera"}

    def render():
        assert bpy.ops.portrait3d.render_animation() == {"FINISHED"}
        from PIL import Image

        return np.asarray(Image.open(tmp_path / "grace_hopper_3d" / "frame_0001.png")).astype(int)

    with_cube = render()
    bpy.data.objects.remove(cube)
    bpy.context.scene.portrait3d.overwrite = True
    without_cube = render()
    assert with_cube.shape == (64, 54, 3) and photo.name == "3D Photo grace_hopper"
    assert np.abs(with_cube - without_cube).max() == 0


@pytest.mark.slow
def test_render_uses_size_engine_and_fps_changed_after_create(empty_scene, tmp_path):
    settings = empty_scene.portrait3d
    _tiny(settings, output_format="GIF")
    settings.engine = "EEVEE"
    _create(Path(shutil.copy(ASTRONAUT, tmp_path)))
    scene = bpy.context.scene
    assert scene.render.engine == "BLENDER_EEVEE" and scene.render.fps == 30
    scene.portrait3d.engine, scene.portrait3d.render_size, scene.portrait3d.fps = "CYCLES", 48, 12
    assert bpy.ops.portrait3d.render_animation() == {"FINISHED"}
    assert scene.render.engine == "CYCLES" and scene.render.fps == 12 and scene.cycles.samples == 1
    from PIL import Image

    with Image.open(tmp_path / "astronaut_3d.gif") as gif:
        assert gif.size == (48, 48) and abs(gif.info["duration"] - 1000 / 12) < 10 and gif.n_frames == 2
    scene.portrait3d.render_preset = "PREVIEW"  # the default: 384 px, 4 samples, whatever Render Size says
    scene.portrait3d.overwrite = True
    assert bpy.ops.portrait3d.render_animation() == {"FINISHED"}
    with Image.open(tmp_path / "astronaut_3d.gif") as gif:
        assert gif.size == (384, 384) and scene.cycles.samples == 4


def test_analysis_is_read_from_the_packed_photo_when_the_file_has_moved(empty_scene, tmp_path, astronaut_analysis):
    photo_path = Path(shutil.copy(ASTRONAUT, tmp_path))
    _tiny(empty_scene.portrait3d)
    photo = _create(photo_path)
    photo_path.unlink()
    photo3d.forget_analyses()  # as in a new session
    analysis = photo.analysis()
    np.testing.assert_array_equal(analysis.nearness, astronaut_analysis.nearness)
    np.testing.assert_array_equal(analysis.mask, astronaut_analysis.mask)
    assert analysis.photo.path == photo_path and (analysis.photo.width, analysis.photo.height) == (512, 512)


def test_update_runs_the_analysis_of_the_packed_photo_on_the_worker_thread(empty_scene, tmp_path):
    from portrait3d_blender.ui.photo_operators import PORTRAIT3D_OT_refine_3d_photo
    from tests.ui.test_operator import _modal_stand_in, _run_modal

    photo_path = Path(shutil.copy(ASTRONAUT, tmp_path))
    _tiny(empty_scene.portrait3d)
    photo = _create(photo_path)
    bpy.context.scene.portrait3d.live_update = False
    bpy.context.scene.portrait3d.layered = False
    photo_path.unlink()
    photo3d.forget_analyses()
    job = photo.analysis_job().start()  # as Update starts it, when this session has no analysis
    Operator, operator, context = _modal_stand_in(
        bpy.context.scene, job, PORTRAIT3D_OT_refine_3d_photo, _photo_name=photo.name
    )
    assert _run_modal(Operator, operator, context) == {"FINISHED"}
    assert photo.cached_analysis() is not None and len(photo.layers) == 1
    assert operator.reports[-1] == ({"INFO"}, f"Updated '{photo.name}': 1 layer(s), 256 faces")


def test_a_failing_analysis_during_a_live_slider_is_one_line_in_the_panel(empty_scene, monkeypatch, capfd):
    from portrait3d_blender.core import depth
    from portrait3d_blender.core.errors import WeightsError

    _tiny(empty_scene.portrait3d)
    photo = _create(ASTRONAUT)
    photo3d.forget_analyses()
    message = "Depth model file is damaged: models/portrait_depth.pt (reinstall the add-on)"

    def damaged(*args, **kwargs):
        raise WeightsError(message)

    monkeypatch.setattr(depth, "estimate_nearness", damaged)
    before = _vertices(photo)
    capfd.readouterr()
    bpy.context.scene.portrait3d.depth_strength = 2.0  # the slider: an update callback
    assert bpy.context.scene.portrait3d.live_update_error == message
    with pytest.raises(RuntimeError) as refused:
        bpy.ops.portrait3d.refine_3d_photo()
    assert str(refused.value).strip() == f"Error: {message}"
    assert "Traceback" not in capfd.readouterr().err
    assert all(np.array_equal(before[name], vertices) for name, vertices in _vertices(photo).items())


@pytest.mark.slow
def test_update_in_a_fresh_process_after_the_photo_file_moved(empty_scene, tmp_path):
    """A .blend is self-contained: saved, its photo moved away, reopened in a new Blender, Update works."""
    photo_path = Path(shutil.copy(ASTRONAUT, tmp_path))
    _tiny(empty_scene.portrait3d)
    photo = _create(photo_path)
    blend = tmp_path / "portrait.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    photo_path.rename(tmp_path / "moved.png")
    script = textwrap.dedent(f"""
        import bpy
        import portrait3d_blender
        portrait3d_blender.register()
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})
        settings = bpy.context.scene.portrait3d
        settings.live_update = False
        settings.mesh_resolution = 24
        print("RESULT", bpy.ops.portrait3d.refine_3d_photo())
        print("FACES", sum(len(obj.data.polygons) for obj in bpy.data.collections[{photo.name!r}].objects
                           if obj.type == "MESH"))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "RESULT {'FINISHED'}" in result.stdout, result.stdout + result.stderr
    faces = int(result.stdout.split("FACES ")[1].split()[0])
    assert faces > 24 * 24 // 2 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_blend_from_the_cli_opens_with_its_settings_and_updates(tmp_path):
    from tests.test_cli import run_cli

    blend = tmp_path / "made.blend"
    made = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.gif", "--frames", 2, "--width", 32, "--samples", 1,
                   "--mesh-resolution", 24, "--depth-strength", 2.0, "--move", "swing", "--blend", blend)
    assert made.returncode == 0, made.stderr
    script = textwrap.dedent(f"""
        import bpy
        import portrait3d_blender
        from portrait3d_blender.blender.photo3d import Photo3D
        portrait3d_blender.register()
        bpy.ops.wm.open_mainfile(filepath={str(blend)!r})
        settings = bpy.context.scene.portrait3d
        print("SCENES", [scene.name for scene in bpy.data.scenes])
        print("SETTINGS", settings.mesh_resolution, settings.depth_strength, settings.camera_move,
              settings.render_preset, settings.render_samples)
        faces = lambda: sum(len(obj.data.polygons) for obj in Photo3D.active(bpy.context).layers)
        before = faces()
        print("UPDATE", bpy.ops.portrait3d.refine_3d_photo(), faces() == before)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in result.stdout.splitlines()
             if line.startswith(("SCENES", "SETTINGS", "UPDATE"))}
    assert lines == {"SCENES": "['3D Photo astronaut']", "SETTINGS": "24 2.0 SWING CUSTOM 1",
                     "UPDATE": "{'FINISHED'} True"}, result.stdout + result.stderr
