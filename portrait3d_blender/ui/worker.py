"""Operators and live sliders whose work needs a photo analysed: the networks run on a worker thread while the
UI stays live.

Progress shows in the status bar and Esc cancels; only the main thread touches Blender data, from the modal
timer (an operator's) or `bpy.app.timers` (a slider's), once the arrays are ready. In background mode (the CLI,
tests) they analyse synchronously instead.
"""

import bpy

from ..blender.photo3d import Photo3D
from ..core.errors import USER_ERRORS, user_message
from ..core.pipeline import Cancelled
from .context import OVERWRITE_HINT


def ui_is_live(context):
    """Whether there is a UI to keep live (else work synchronously, as scripts and tests expect)."""
    return not bpy.app.background and context.window is not None


_LIVE_JOBS = {}  # 3D photo name → the AnalysisJob reading its packed photo for live sliders, and what waits on it


def when_analysed(context, photo, key, then):
    """A live slider's change that needs `photo`'s analysis: `then(photo, scene)` now when this session has it (or
    there is no UI to keep live), else once the packed photo is analysed on a worker thread, from a timer, with
    the photo and the scene looked up again. Sliders waiting on one analysis each get it; a slider dragged
    meanwhile (the same `key`) is applied once, with its last `then`. A property update has no report, so the
    wait and an error are one line in the scene's panel."""
    scene = context.scene
    if photo.cached_analysis() is not None or not ui_is_live(context):
        then(photo, scene)
        return
    scene.portrait3d.live_update_error = "Reading the depth packed in the .blend; the change follows in seconds"
    if photo.name in _LIVE_JOBS:
        _LIVE_JOBS[photo.name][1][key] = then
        return
    try:
        job = photo.analysis_job().start()
    except USER_ERRORS as error:
        scene.portrait3d.live_update_error = user_message(error, OVERWRITE_HINT)
        return
    _LIVE_JOBS[photo.name] = job, {key: then}
    photo_name, scene_name = photo.name, scene.name

    def finish():
        if not job.done:
            return 0.2
        _, waiting = _LIVE_JOBS.pop(photo_name)
        photo, scene = Photo3D.named(photo_name), bpy.data.scenes.get(scene_name)
        if photo is None or scene is None:
            return None
        if isinstance(job.error, USER_ERRORS):
            scene.portrait3d.live_update_error = user_message(job.error, OVERWRITE_HINT)
        elif job.error is not None:
            raise job.error
        else:
            photo.remember(job.result)
            scene.portrait3d.live_update_error = ""
            for then in waiting.values():
                then(photo, scene)
        return None

    bpy.app.timers.register(finish, first_interval=0.2)


class AnalysisWorker:
    """Mixin: `_start_worker(context, job)` runs a `core.jobs.AnalysisJob` and, once it is done, hands its
    result to the operator's `_analysed(context, analysis)` on the main thread (its return is the operator's)."""

    worker_label = "Portrait 3D"  # what the status bar and a cancel report call the work

    def _start_worker(self, context, job):
        self._job = job.start()
        window_manager = context.window_manager
        self._timer = window_manager.event_timer_add(0.1, window=context.window)
        window_manager.modal_handler_add(self)
        window_manager.progress_begin(0, 100)
        return {"RUNNING_MODAL"}

    def _stop_worker_ui(self, context):
        window_manager = context.window_manager
        window_manager.event_timer_remove(self._timer)
        window_manager.progress_end()
        context.workspace.status_text_set(None)

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._job.cancel()
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        job = self._job
        context.window_manager.progress_update(int(job.progress * 100))
        context.workspace.status_text_set(f"{self.worker_label}: {job.stage}… (Esc to cancel)")
        if not job.done:
            return {"RUNNING_MODAL"}
        self._stop_worker_ui(context)
        if isinstance(job.error, Cancelled):
            self.report({"WARNING"}, f"{self.worker_label} cancelled; nothing was changed")
            return {"CANCELLED"}
        if isinstance(job.error, USER_ERRORS):
            self.report({"ERROR"}, user_message(job.error, OVERWRITE_HINT))
            return {"CANCELLED"}
        if job.error is not None:
            raise job.error
        return self._analysed(context, job.result)

    def cancel(self, context):
        self._job.cancel()
        self._stop_worker_ui(context)


class PhotoAnalysisOperator(AnalysisWorker):
    """Mixin for operators on the active 3D photo that need its analysis: `poll` needs a 3D photo, `execute`
    calls `refuse_early(context, photo)`, then `run(context, photo, analysis)`; either may raise USER_ERRORS.

    When this session has no analysis of the photo yet (a .blend just opened), the photo packed in the .blend
    is analysed first, on the worker thread while the UI is live."""

    worker_label = "Reading the 3D photo's depth"

    @classmethod
    def poll(cls, context):
        return Photo3D.active(context) is not None

    def refuse_early(self, context, photo):
        """Refuse early, before any analysis (outputs that may not be written)."""

    def execute(self, context):
        photo = Photo3D.named(getattr(self, "_photo_name", "")) or Photo3D.active(context)
        try:
            self.refuse_early(context, photo)
            if photo.cached_analysis() is None and ui_is_live(context):
                self._photo_name = photo.name
                return self._start_worker(context, photo.analysis_job())
            return self.run(context, photo, photo.analysis())
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}

    def _analysed(self, context, analysis):
        photo = Photo3D.named(self._photo_name)
        if photo is None:
            self.report({"ERROR"}, f"'{self._photo_name}' is gone: it was deleted or renamed meanwhile")
            return {"CANCELLED"}
        photo.remember(analysis)
        return self.execute(context)
