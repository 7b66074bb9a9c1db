"""Operators that make and change a 3D photo: Create (the networks on a worker thread, Esc cancels), Update
(the mesh rebuilt with new settings, also live from the sliders) and Show Depth Map.

Called from a script or in background mode (the CLI, tests) Create runs synchronously instead, so the result is
there when the call returns.
"""

import bpy

from ..blender import material as blender_material
from ..blender import scene as blender_scene
from ..blender.photo3d import Photo3D
from ..core.errors import USER_ERRORS, user_message
from ..core.image import PHOTO_SUFFIXES
from ..core.jobs import AnalysisJob
from ..core.pipeline import Cancelled
from .context import OVERWRITE_HINT, image_editor_areas, image_editor_photo, scene_depth_source, scene_settings

PHOTO_FILTER = ";".join(f"*{suffix}" for suffix in PHOTO_SUFFIXES)


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
        self._settings = scene_settings(context)
        self._depth_source = scene_depth_source(context)
        use_worker_thread, self.use_worker_thread = self.use_worker_thread, False  # a redo runs in place
        if use_worker_thread and context.window is not None:
            return self._start_worker(context)
        window_manager = context.window_manager
        window_manager.progress_begin(0, 100)
        try:
            result = blender_scene.make_3d_photo(
                context.scene, self._photo_path, self._settings,
                progress=lambda share, text: window_manager.progress_update(int(share * 100)),
                depth_source=self._depth_source,
            )
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        finally:
            window_manager.progress_end()
        return self._report_created(*result)

    def _start_worker(self, context):
        self._job = AnalysisJob(self._photo_path, self._depth_source).start()
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
            self.report({"ERROR"}, user_message(job.error, OVERWRITE_HINT))
            return {"CANCELLED"}
        if job.error is not None:
            raise job.error
        try:
            result = blender_scene.make_3d_photo(context.scene, self._photo_path, self._settings, analysis=job.result)
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        return self._report_created(*result)

    def cancel(self, context):
        self._job.cancel()
        self._stop_worker_ui(context)

    def _report_created(self, photo, device):
        notice = photo.cached_analysis().notice
        notice = f" — {notice}" if notice else ""
        self.report({"INFO"}, f"Created '{photo.name}' ({device}){notice}")
        return {"FINISHED"}


def _rebuild(context, photo):
    """The one rebuild the Update button and a live slider make; a success clears the last live error."""
    layer_objects = blender_scene.refine_3d_photo(context.scene, photo, scene_settings(context))
    context.scene.portrait3d.live_update_error = ""
    return layer_objects


def refine_active_photo(context):
    """Rebuild the active 3D photo with the scene's Mesh settings, for a live slider: nothing when there is
    none, and an error goes to the panel (an update callback has no report) with the photo left as it was."""
    photo = Photo3D.active(context)
    if photo is None:
        return
    try:
        _rebuild(context, photo)
    except USER_ERRORS as error:
        context.scene.portrait3d.live_update_error = user_message(error, OVERWRITE_HINT)


def regrade_active_photo(context):
    """Give the active 3D photo the scene's Grade settings: node values only, so a slider is live."""
    photo = Photo3D.active(context)
    if photo is not None:
        blender_scene.regrade_3d_photo(photo, scene_settings(context))


class PORTRAIT3D_OT_refine_3d_photo(bpy.types.Operator):
    """Rebuild the active 3D photo's mesh with the current Mesh settings (hand edits to it are replaced)"""

    bl_idname = "portrait3d.refine_3d_photo"
    bl_label = "Update 3D Photo"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return Photo3D.active(context) is not None

    def execute(self, context):
        photo = Photo3D.active(context)
        try:
            layer_objects = _rebuild(context, photo)
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        faces = sum(len(obj.data.polygons) for obj in layer_objects)
        self.report({"INFO"}, f"Updated '{photo.name}': {len(layer_objects)} layer(s), {faces:,} faces")
        return {"FINISHED"}


class PORTRAIT3D_OT_show_depth_map(bpy.types.Operator):
    """Show the active 3D photo's depth map (white = near) in an Image Editor"""

    bl_idname = "portrait3d.show_depth_map"
    bl_label = "Show Depth Map"

    @classmethod
    def poll(cls, context):
        return Photo3D.active(context) is not None

    def execute(self, context):
        photo = Photo3D.active(context)
        try:
            analysis = photo.analysis()
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        image = blender_material.depth_map_image(f"{photo.name} Depth", analysis.nearness)
        editors = image_editor_areas(context)
        for area in editors:
            area.spaces.active.image = image
        where = "in the Image Editor" if editors else "as an image: open an Image Editor to see it"
        self.report({"INFO"}, f"Depth map '{image.name}' {where}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_create_3d_photo, PORTRAIT3D_OT_refine_3d_photo, PORTRAIT3D_OT_show_depth_map)
