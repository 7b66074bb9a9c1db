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
from ..core.jobs import AnalysisJob
from .context import (OVERWRITE_HINT, PHOTO_FILTER, ImageFileBrowser, image_editor_areas, image_editor_photo,
                      scene_depth_source, scene_settings, show_photo_scene)
from .worker import AnalysisWorker, PhotoAnalysisOperator, ui_is_live, when_analysed



class PORTRAIT3D_OT_create_3d_photo(AnalysisWorker, ImageFileBrowser, bpy.types.Operator):
    """Turn a photo of a person into a depth-displaced mesh with an orbiting camera"""

    bl_idname = "portrait3d.create_3d_photo"
    bl_label = "Create 3D Photo"
    bl_options = {"REGISTER", "UNDO"}
    worker_label = "Create 3D Photo"

    filter_glob: bpy.props.StringProperty(default=PHOTO_FILTER, options={"HIDDEN"})
    use_worker_thread: bpy.props.BoolProperty(options={"HIDDEN", "SKIP_SAVE"})

    def invoke(self, context, event):
        self.use_worker_thread = ui_is_live(context)
        if not self.filepath:
            editor_photo = image_editor_photo(context)
            if editor_photo is None:
                return self.browse(context)
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
            return self._start_worker(context, AnalysisJob(self._photo_path, self._depth_source))
        window_manager = context.window_manager
        window_manager.progress_begin(0, 100)
        try:
            return self._make(context, depth_source=self._depth_source,
                              progress=lambda share, text: window_manager.progress_update(int(share * 100)))
        finally:
            window_manager.progress_end()

    def _analysed(self, context, analysis):
        return self._make(context, analysis=analysis)

    def _make(self, context, **how):
        """`make_3d_photo` of the chosen photo and settings (`how`: the analysis, or progress and depth source);
        a user error is reported and nothing is made."""
        try:
            result = blender_scene.make_3d_photo(context.scene, self._photo_path, self._settings, **how)
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        return self._created(context, *result)

    def _created(self, context, photo, device):
        """Show the new 3D photo's own scene, with the settings it was made with, and report."""
        show_photo_scene(context, photo)
        notice = photo.cached_analysis().notice
        notice = f" — {notice}" if notice else ""
        self.report({"INFO"}, f"Created '{photo.name}' ({device}){notice}")
        return {"FINISHED"}


def _rebuild(context, scene, photo):
    """The one rebuild the Update button and a live slider make; a success clears the last live error."""
    layer_objects = blender_scene.refine_3d_photo(scene, photo, scene_settings(context, scene))
    scene.portrait3d.live_update_error = ""
    return layer_objects


def _rebuild_live(context, scene, photo):
    """`_rebuild` for a live slider: an error goes to the panel (an update callback has no report) with the
    photo left as it was."""
    try:
        _rebuild(context, scene, photo)
    except USER_ERRORS as error:
        scene.portrait3d.live_update_error = user_message(error, OVERWRITE_HINT)


def refine_active_photo(context):
    """Rebuild the active 3D photo with the scene's Mesh settings, for a live slider; nothing when there is none.

    When this session has no analysis of the photo yet and the UI is live, the packed photo is analysed on a
    worker thread first, and the rebuild (with the settings as they are by then) follows from a timer."""
    photo = Photo3D.active(context)
    if photo is not None:
        when_analysed(context, photo, "mesh", lambda photo, scene: _rebuild_live(bpy.context, scene, photo))


def regrade_active_photo(context):
    """Give the active 3D photo the scene's Grade settings: node values only, so a slider is live."""
    photo = Photo3D.active(context)
    if photo is not None:
        blender_scene.regrade_3d_photo(photo, scene_settings(context))


class PORTRAIT3D_OT_refine_3d_photo(PhotoAnalysisOperator, bpy.types.Operator):
    """Rebuild the active 3D photo's mesh with the current Mesh settings (hand edits to it are replaced)"""

    bl_idname = "portrait3d.refine_3d_photo"
    bl_label = "Update 3D Photo"
    bl_options = {"REGISTER", "UNDO"}

    def run(self, context, photo, analysis):
        layer_objects = _rebuild(context, context.scene, photo)
        faces = sum(len(obj.data.polygons) for obj in layer_objects)
        self.report({"INFO"}, f"Updated '{photo.name}': {len(layer_objects)} layer(s), {faces:,} faces")
        return {"FINISHED"}


class PORTRAIT3D_OT_show_depth_map(PhotoAnalysisOperator, bpy.types.Operator):
    """Show the active 3D photo's depth map (white = near) in an Image Editor"""

    bl_idname = "portrait3d.show_depth_map"
    bl_label = "Show Depth Map"

    def run(self, context, photo, analysis):
        image = blender_material.depth_map_image(f"{photo.name} Depth", analysis.nearness)
        editors = image_editor_areas(context)
        for area in editors:
            area.spaces.active.image = image
        where = "in the Image Editor" if editors else "as an image: open an Image Editor to see it"
        self.report({"INFO"}, f"Depth map '{image.name}' {where}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_create_3d_photo, PORTRAIT3D_OT_refine_3d_photo, PORTRAIT3D_OT_show_depth_map)
