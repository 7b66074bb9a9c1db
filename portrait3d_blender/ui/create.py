"""Create 3D Photo: the networks run on a worker thread while the UI stays live; Esc cancels.

Called from a script or in background mode (the CLI, tests) it runs synchronously instead, so the result is
there when the call returns.
"""

from pathlib import Path

import bpy

from ..blender import scene as blender_scene
from ..core.depth import WeightsError
from ..core.image import PhotoError
from ..core.jobs import AnalysisJob
from ..core.pipeline import Cancelled
from . import preferences, properties

PHOTO_FILTER = "*.jpg;*.jpeg;*.png;*.webp;*.tif;*.tiff;*.bmp;*.gif"
USER_ERRORS = (PhotoError, WeightsError, OSError)


def image_editor_areas(context):
    """The open Image Editors of the current screen."""
    return [area for area in (context.screen.areas if context.screen else ()) if area.type == "IMAGE_EDITOR"]


def image_editor_photo(context):
    """Path of the image shown in an open Image Editor, when it is a file on disk."""
    for area in image_editor_areas(context):
        image = area.spaces.active.image
        if image is not None and image.source == "FILE" and image.filepath:
            path = Path(bpy.path.abspath(image.filepath, library=image.library))
            if path.is_file():
                return path
    return None


class PORTRAIT3D_OT_create_3d_photo(bpy.types.Operator):
    """Turn a photo of a person into a depth-displaced mesh with an orbiting camera"""

    bl_idname = "portrait3d.create_3d_photo"
    bl_label = "Create 3D Photo"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(name="Photo", subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: bpy.props.StringProperty(default=PHOTO_FILTER, options={"HIDDEN"})
    use_worker_thread: bpy.props.BoolProperty(options={"HIDDEN", "SKIP_SAVE"})

    def invoke(self, context, event):
        self.use_worker_thread = not bpy.app.background and context.window is not None
        if not self.filepath:
            editor_photo = image_editor_photo(context)
            if editor_photo is None:
                context.window_manager.fileselect_add(self)  # Blender calls execute() once a file is chosen
                return {"RUNNING_MODAL"}
            self.filepath = str(editor_photo)
        return self.execute(context)

    def execute(self, context):
        if not self.filepath:
            self.report({"ERROR"}, "No photo given: choose a photo file")
            return {"CANCELLED"}
        self._photo_path = bpy.path.abspath(self.filepath)
        self._settings = properties.core_settings(context.scene.portrait3d, preferences.compute_device(context))
        use_worker_thread, self.use_worker_thread = self.use_worker_thread, False  # a redo runs in place
        if use_worker_thread and context.window is not None:
            return self._start_worker(context)
        window_manager = context.window_manager
        window_manager.progress_begin(0, 100)
        try:
            result = blender_scene.make_3d_photo(
                context.scene, self._photo_path, self._settings,
                progress=lambda share, text: window_manager.progress_update(int(share * 100)),
            )
        except USER_ERRORS as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        finally:
            window_manager.progress_end()
        return self._report_created(*result)

    def _start_worker(self, context):
        self._job = AnalysisJob(self._photo_path, self._settings.compute_device).start()
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
        context.workspace.status_text_set(f"Portrait 3D: {job.stage}… (Esc to cancel)")
        if not job.done:
            return {"RUNNING_MODAL"}
        self._stop_worker_ui(context)
        if isinstance(job.error, Cancelled):
            self.report({"WARNING"}, "Create 3D Photo cancelled; nothing was changed")
            return {"CANCELLED"}
        if isinstance(job.error, USER_ERRORS):
            self.report({"ERROR"}, str(job.error))
            return {"CANCELLED"}
        if job.error is not None:
            raise job.error
        try:
            result = blender_scene.make_3d_photo(context.scene, self._photo_path, self._settings, analysis=job.result)
        except USER_ERRORS as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        return self._report_created(*result)

    def cancel(self, context):
        self._job.cancel()
        self._stop_worker_ui(context)

    def _report_created(self, analysis, collection, layer_objects, camera, device):
        notice = f" — {analysis.notice}" if analysis.notice else ""
        self.report({"INFO"}, f"Created '{collection.name}' ({device}){notice}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_create_3d_photo,)
