"""Add in Depth and All Faces focus on a 3D photo this session has not analysed (a .blend just reopened): the
packed photo is analysed on the worker thread, never on the main one, and bad input is refused before that."""

import threading
import time

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.blender import in_depth, photo3d  # noqa: E402
from portrait3d_blender.core import pipeline  # noqa: E402
from portrait3d_blender.ui import worker  # noqa: E402
from portrait3d_blender.ui.context import scene_settings  # noqa: E402
from portrait3d_blender.ui.focus_operators import PORTRAIT3D_OT_depth_of_field  # noqa: E402
from portrait3d_blender.ui.in_depth_operators import PORTRAIT3D_OT_add_in_depth  # noqa: E402
from tests.conftest import ASTRONAUT  # noqa: E402
from tests.ui.test_operator import _modal_stand_in, _run_modal  # noqa: E402
from tests.ui.test_photo3d import _create, _tiny, _vertices  # noqa: E402


@pytest.fixture
def reopened(empty_scene, monkeypatch):
    """A 3D photo whose analysis this session has forgotten, a live UI, and the threads analyses run on."""
    _tiny(empty_scene.portrait3d)
    photo = _create(ASTRONAUT)
    photo3d.forget_analyses()
    on_main_thread, analyse = [], pipeline.analyse_photo

    def recording(*args, **kwargs):
        on_main_thread.append(threading.current_thread() is threading.main_thread())
        return analyse(*args, **kwargs)

    monkeypatch.setattr(pipeline, "analyse_photo", recording)
    monkeypatch.setattr(worker, "ui_is_live", lambda context: True)
    return photo, on_main_thread


def _run_on_the_worker(Operator, **properties):
    Operator, operator, context = _modal_stand_in(bpy.context.scene, None, Operator, **properties)
    context.selected_objects = list(bpy.context.selected_objects)
    assert Operator.execute(operator, context) == {"RUNNING_MODAL"}  # the worker started; the UI stays live
    assert _run_modal(Operator, operator, context) == {"FINISHED"}
    return operator


def test_add_in_depth_analyses_on_the_worker_thread(reopened):
    photo, on_main_thread = reopened
    operator = _run_on_the_worker(PORTRAIT3D_OT_add_in_depth, kind="TEXT", text="Hi", filepath="", depth=1.0,
                                  size=40.0)
    assert on_main_thread == [False]
    assert operator.reports[-1][1].startswith(f"Added '{photo.name} Text' at pixel")
    assert f"{photo.name} Text" in photo.collection.objects


def test_all_faces_focus_analyses_on_the_worker_thread(reopened):
    photo, on_main_thread = reopened
    operator = _run_on_the_worker(PORTRAIT3D_OT_depth_of_field, target="ALL_FACES")
    assert on_main_thread == [False]
    assert operator.reports[-1][1].startswith("Focused on the face at f/")
    assert photo.camera.data.dof.use_dof


def test_depth_slider_waits_for_the_worker_thread_and_keeps_its_value(reopened, monkeypatch):
    """The Depth slider of a text, moved in a reopened .blend: the analysis runs on the worker thread, once for it
    and a Mesh slider moved meanwhile; the slider shows the user's value at once, and the text moves to it (and
    the mesh is rebuilt) when the analysis is in, from a timer on the main thread."""
    photo, on_main_thread = reopened
    scene = bpy.context.scene
    text = in_depth.place_in_depth(photo, scene_settings(bpy.context), "TEXT", "Hi", (100.0, 60.0), 1.0, 40.0)
    photo3d.forget_analyses()  # the .blend reopened, its text in it
    on_main_thread.clear()
    timers = []
    monkeypatch.setattr(bpy.app.timers, "register", lambda function, first_interval: timers.append(function))
    where, layers = tuple(text.location), _vertices(photo)

    def rebuilt():
        now = _vertices(photo)
        assert now.keys() == layers.keys()
        return not all(np.array_equal(layers[name], vertices) for name, vertices in now.items())

    text.portrait3d_depth = 0.25
    text.portrait3d_depth = 0.5  # dragged on
    scene.portrait3d.depth_strength = 1.3  # a Mesh slider
    assert text.portrait3d_depth == 0.5 and tuple(text.location) == where and not rebuilt()
    assert scene.portrait3d.live_update_error.startswith("Reading the depth packed in the .blend")
    (finish,) = timers
    while (interval := finish()) is not None:
        time.sleep(interval)
    assert on_main_thread == [False]
    placement = pipeline.in_depth_placement(photo.cached_analysis(), scene_settings(bpy.context), 100.0, 60.0,
                                            0.5, 40.0)
    np.testing.assert_allclose(text.location, placement.location, rtol=1e-6)
    assert text.portrait3d_depth == 0.5 and scene.portrait3d.live_update_error == ""
    assert rebuilt()


@pytest.mark.parametrize("kind, text, filepath, message", [
    ("TEXT", "  ", "", "Give the text to add"),
    ("IMAGE", "", "no_such_sticker.png", "Sticker image not found"),
], ids=["empty text", "missing sticker"])
def test_bad_input_is_refused_before_any_analysis(reopened, tmp_path, kind, text, filepath, message):
    photo, on_main_thread = reopened
    with pytest.raises(RuntimeError, match=message):
        bpy.ops.portrait3d.add_in_depth(kind=kind, text=text, filepath=str(tmp_path / filepath) if filepath else "")
    assert on_main_thread == [] and photo.cached_analysis() is None
