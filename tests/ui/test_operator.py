"""The operator as a user runs it: scene built, errors leave everything as it was, one undo step."""

from types import SimpleNamespace

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from tests import mesh_checks  # noqa: E402
from tests.conftest import ASTRONAUT  # noqa: E402


def _snapshot():
    return {
        "objects": sorted(obj.name for obj in bpy.data.objects),
        "meshes": sorted(mesh.name for mesh in bpy.data.meshes),
        "images": sorted(image.name for image in bpy.data.images),
        "materials": sorted(material.name for material in bpy.data.materials),
        "collections": sorted(collection.name for collection in bpy.data.collections),
        "camera": bpy.context.scene.camera.name if bpy.context.scene.camera else None,
    }


def _user_scene():
    """Something of the user's that must survive: an object, a material and an active camera."""
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    cube.name = "User Cube"
    cube.data.materials.append(bpy.data.materials.new("User Material"))
    camera = bpy.data.objects.new("User Camera", bpy.data.cameras.new("User Camera"))
    bpy.context.scene.collection.objects.link(camera)
    bpy.context.scene.camera = camera


def test_operator_builds_a_3d_photo_collection(empty_scene):
    _user_scene()
    before = _snapshot()
    bpy.context.scene.portrait3d.mesh_resolution = 64
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT)) == {"FINISHED"}
    new_collections = set(_snapshot()["collections"]) - set(before["collections"])
    assert new_collections == {"3D Photo astronaut"}
    collection = bpy.data.collections["3D Photo astronaut"]
    mesh_objects = [obj for obj in collection.objects if obj.type == "MESH"]
    assert len(mesh_objects) == 2  # the person and the background behind
    assert sum(len(obj.data.polygons) for obj in mesh_objects) >= 0.5 * 64 * 64
    # The 3D photo has a scene of its own, shown now, with only the photo in it and its settings.
    photo_scene = bpy.context.scene
    assert photo_scene.name == "3D Photo astronaut" and photo_scene != empty_scene
    assert set(photo_scene.objects) == set(collection.objects) and photo_scene.camera.name == "3D Photo astronaut Camera"
    assert photo_scene.portrait3d.mesh_resolution == 64 and photo_scene.world == empty_scene.world
    # The user's things are untouched: their scene, its camera, its objects.
    assert empty_scene.camera.name == "User Camera" and "3D Photo astronaut" not in empty_scene.collection.children
    assert bpy.data.objects["User Cube"].active_material.name == "User Material"
    # Running it again adds a second 3D photo in a third scene and renames nothing.
    assert bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT)) == {"FINISHED"}
    assert {"3D Photo astronaut", "3D Photo astronaut.001"} <= set(_snapshot()["collections"])
    assert [scene.name for scene in bpy.data.scenes] == ["3D Photo astronaut", "3D Photo astronaut.001", "Scene"]
    assert "User Cube" in bpy.data.objects


@pytest.mark.parametrize("bad_path", ["does-not-exist.jpg", "", "folder"])
def test_failure_leaves_the_scene_exactly_as_it_was(empty_scene, tmp_path, bad_path):
    _user_scene()
    before = _snapshot()
    if bad_path == "folder":
        bad_path = str(tmp_path)
    elif bad_path:
        bad_path = str(tmp_path / bad_path)
    with pytest.raises(RuntimeError, match="Error"):
        bpy.ops.portrait3d.create_3d_photo(filepath=bad_path)
    assert _snapshot() == before


def test_a_damaged_depth_model_is_one_error_line_and_changes_nothing(empty_scene, tmp_path, monkeypatch):
    from portrait3d_blender.core import depth

    for size in depth.NETWORK_SIZES:
        shipped = (depth.default_model_dir() / depth.model_file_name(size)).read_bytes()
        (tmp_path / depth.model_file_name(size)).write_bytes(shipped[: len(shipped) // 3])
    monkeypatch.setattr(depth, "default_model_dir", lambda: tmp_path)
    _user_scene()
    before = _snapshot()
    with pytest.raises(RuntimeError) as refused:
        bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    message = str(refused.value).strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    assert str(tmp_path) in message and "is not an ONNX model or is truncated" in message
    assert _snapshot() == before


def test_undo_removes_the_3d_photo_in_one_step(empty_scene):
    """Background Blender skips operators' undo pushes, so the test pushes where the UI would."""
    assert {"REGISTER", "UNDO"} <= bpy.types.PORTRAIT3D_OT_create_3d_photo.bl_options
    _user_scene()
    bpy.ops.ed.undo_push(message="file loaded")
    bpy.ops.ed.undo_push(message="user's work")
    before = _snapshot()
    bpy.context.scene.portrait3d.mesh_resolution = 32
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    bpy.ops.ed.undo_push(message="Create 3D Photo")
    assert _snapshot() != before
    bpy.ops.ed.undo()
    assert _snapshot() == before


def test_refine_changes_the_3d_photo_in_place_without_the_networks(empty_scene, monkeypatch):
    from portrait3d_blender.core import pipeline

    _user_scene()
    bpy.context.scene.portrait3d.mesh_resolution = 48
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    collection = bpy.data.collections["3D Photo astronaut"]
    bpy.context.view_layer.objects.active = collection.objects[0]
    layers_before = sorted(obj.name for obj in collection.objects if obj.type == "MESH")
    images_before = len(bpy.data.images)

    def networks_must_not_run(*args, **kwargs):
        raise AssertionError("refining ran the networks again")

    monkeypatch.setattr(pipeline, "analyse_photo", networks_must_not_run)
    bpy.context.scene.portrait3d.layered = False
    bpy.context.scene.portrait3d.mesh_resolution = 24
    assert bpy.ops.portrait3d.refine_3d_photo() == {"FINISHED"}
    meshes = [obj for obj in collection.objects if obj.type == "MESH"]
    assert [obj.name for obj in meshes] == ["3D Photo astronaut"] and len(layers_before) == 2
    assert len(meshes[0].data.polygons) == 24 * 24
    assert len(bpy.data.images) == images_before - 1  # the subject's matte went, the photo stayed
    assert bpy.data.images["3D Photo astronaut"].packed_file is not None
    bpy.context.scene.portrait3d.layered = True
    bpy.context.scene.portrait3d.depth_strength = 2.0
    assert bpy.ops.portrait3d.refine_3d_photo() == {"FINISHED"}
    assert sorted(obj.name for obj in collection.objects if obj.type == "MESH") == layers_before
    assert "User Cube" in bpy.data.objects and len(bpy.data.collections) == 1


def test_show_depth_map_makes_a_depth_image(empty_scene, astronaut_analysis):
    bpy.context.scene.portrait3d.mesh_resolution = 32
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    bpy.context.view_layer.objects.active = bpy.data.collections["3D Photo astronaut"].objects[0]
    assert bpy.ops.portrait3d.show_depth_map() == {"FINISHED"}
    image = bpy.data.images["3D Photo astronaut Depth"]
    assert tuple(image.size) == (512, 512)
    pixels = np.array(image.pixels[:]).reshape(512, 512, 4)[::-1]
    np.testing.assert_allclose(pixels[..., 0], astronaut_analysis.nearness, atol=1e-6)


def test_texture_limit_setting_caps_the_packed_photo(empty_scene):
    bpy.context.scene.portrait3d.mesh_resolution = 16
    bpy.context.scene.portrait3d.max_texture_size = 256  # the smallest it allows
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    photo_images = [image for image in bpy.data.images if image.name == "3D Photo astronaut"]
    assert len(photo_images) == 1
    assert tuple(photo_images[0].size) == (256, 256) and photo_images[0].packed_file is not None


def _modal_stand_in(scene, job, Operator=None, **fields):
    """Window manager, workspace and operator stand-ins, to drive the modal (worker-thread) path headless,
    where Blender has no event loop to do it. `fields` are the operator's state when the worker started."""
    import functools

    from portrait3d_blender.ui.photo_operators import PORTRAIT3D_OT_create_3d_photo

    Operator = Operator or PORTRAIT3D_OT_create_3d_photo
    window_manager = SimpleNamespace(
        progress=[], event_timer_add=lambda step, window: None, event_timer_remove=lambda timer: None,
        modal_handler_add=lambda operator: None, progress_begin=lambda low, high: None, progress_end=lambda: None,
    )
    window_manager.progress_update = window_manager.progress.append
    context = SimpleNamespace(
        window_manager=window_manager, scene=scene, window=bpy.context.window, preferences=bpy.context.preferences,
        view_layer=bpy.context.view_layer, workspace=SimpleNamespace(status_text_set=lambda text: None),
    )
    operator = SimpleNamespace(_job=job, _timer=None, reports=[], worker_label=Operator.worker_label, **fields)
    operator.report = lambda kind, message: operator.reports.append((kind, message))
    for name in ("_start_worker", "_stop_worker_ui", "_analysed", "_make", "_created", "execute", "refuse_early",
                 "run", "_content"):
        if hasattr(Operator, name):
            setattr(operator, name, functools.partial(getattr(Operator, name), operator))
    return Operator, operator, context


def _run_modal(Operator, operator, context, first_event="TIMER"):
    import time

    events = [SimpleNamespace(type=first_event, value="PRESS")]
    for _ in range(600):
        event = events.pop() if events else SimpleNamespace(type="TIMER", value="NOTHING")
        result = Operator.modal(operator, context, event)
        if result != {"RUNNING_MODAL"}:
            return result
        time.sleep(0.05)
    raise AssertionError("the modal operator never finished")


def test_worker_thread_path_builds_the_scene_when_the_job_is_done(empty_scene):
    from portrait3d_blender.core import pipeline
    from portrait3d_blender.core.jobs import AnalysisJob

    job = AnalysisJob(ASTRONAUT).start()
    Operator, operator, context = _modal_stand_in(
        empty_scene, job, _photo_path=str(ASTRONAUT), _settings=pipeline.Settings(mesh_resolution=16)
    )
    assert _run_modal(Operator, operator, context) == {"FINISHED"}
    assert "3D Photo astronaut" in bpy.data.collections
    assert context.window_manager.progress[-1] == 100
    assert operator.reports[-1][0] == {"INFO"}


def test_escape_cancels_the_worker_and_changes_nothing(empty_scene):
    from portrait3d_blender.core import pipeline
    from portrait3d_blender.core.jobs import AnalysisJob

    _user_scene()
    before = _snapshot()
    job = AnalysisJob(ASTRONAUT)
    Operator, operator, context = _modal_stand_in(
        empty_scene, job, _photo_path=str(ASTRONAUT), _settings=pipeline.Settings(mesh_resolution=16)
    )
    assert Operator.modal(operator, context, SimpleNamespace(type="ESC", value="PRESS")) == {"RUNNING_MODAL"}
    job.start()  # cancelled before its first stage: it stops there
    assert _run_modal(Operator, operator, context) == {"CANCELLED"}
    assert operator.reports[-1][0] == {"WARNING"}
    assert _snapshot() == before


def _layer_vertices(collection):

    return {obj.name: mesh_checks.read_vertices(obj.data) for obj in collection.objects if obj.type == "MESH"}


def test_mesh_sliders_rebuild_the_active_3d_photo_live(empty_scene, monkeypatch):
    from portrait3d_blender.blender.photo3d import Photo3D
    from portrait3d_blender.core import pipeline

    empty_scene.portrait3d.mesh_resolution = 32
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    settings = bpy.context.scene.portrait3d  # the 3D photo's own scene's
    collection = bpy.data.collections["3D Photo astronaut"]
    bpy.context.view_layer.objects.active = collection.objects[0]
    before = _layer_vertices(collection)
    monkeypatch.setattr(pipeline, "analyse_photo", lambda *args, **kwargs: pytest.fail("networks ran again"))

    settings.depth_strength = 2.0  # as a slider does: no operator, no Update click
    changed = _layer_vertices(collection)
    assert changed.keys() == before.keys() and settings.live_update_error == ""
    assert any(not np.array_equal(before[name], changed[name]) for name in before)
    settings.mesh_resolution = 16
    assert max(len(obj.data.polygons) for obj in collection.objects if obj.type == "MESH") <= 2 * 16 * 16

    settings.live_update = False
    held = _layer_vertices(collection)
    settings.depth_strength = 0.5
    assert all(np.array_equal(held[name], vertices) for name, vertices in _layer_vertices(collection).items())

    # A failure leaves the photo as it was and says why in the panel; the next good update clears it.
    settings.live_update = True
    monkeypatch.setattr(Photo3D, "analysis", _raises(OSError("Photo not found: astronaut.png")))
    settings.depth_strength = 1.5
    assert settings.live_update_error == "Photo not found: astronaut.png"
    assert all(np.array_equal(held[name], vertices) for name, vertices in _layer_vertices(collection).items())
    monkeypatch.undo()
    settings.depth_strength = 1.2
    assert settings.live_update_error == ""
    settings.live_update_error = "stale"
    assert bpy.ops.portrait3d.refine_3d_photo() == {"FINISHED"}
    assert settings.live_update_error == ""  # the Update button's success clears it too


def _raises(error):
    def function(*args, **kwargs):
        raise error

    return function


def test_slider_without_a_3d_photo_changes_nothing(empty_scene):
    _user_scene()
    before = _snapshot()
    bpy.context.scene.portrait3d.depth_strength = 1.7
    bpy.context.scene.portrait3d.layered = False
    assert _snapshot() == before and bpy.context.scene.portrait3d.live_update_error == ""


def test_update_in_edit_mode_is_refused_and_changes_nothing(empty_scene):
    bpy.context.scene.portrait3d.mesh_resolution = 24
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    collection = bpy.data.collections["3D Photo astronaut"]
    layer = next(obj for obj in collection.objects if obj.type == "MESH")
    bpy.context.view_layer.objects.active = layer
    before = _layer_vertices(collection)
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        bpy.context.scene.portrait3d.depth_strength = 2.0  # live
        assert bpy.context.scene.portrait3d.live_update_error == f"Leave Edit Mode on '{layer.name}' to update the 3D photo"
        with pytest.raises(RuntimeError, match="Leave Edit Mode"):
            bpy.ops.portrait3d.refine_3d_photo()
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    assert all(np.array_equal(before[name], vertices) for name, vertices in _layer_vertices(collection).items())
