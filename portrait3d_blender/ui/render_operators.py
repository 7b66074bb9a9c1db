"""Render the active 3D photo: its animation (video, GIF, PNG frames) and a refocus still."""

from pathlib import Path

import bpy

from ..blender import focus, outputs
from ..blender import render as blender_render
from ..blender.photo3d import Photo3D
from ..core import output_files
from ..core.errors import USER_ERRORS, user_message
from .context import OVERWRITE_HINT, active_photo_with_camera, scene_settings


class PORTRAIT3D_OT_render_animation(bpy.types.Operator):
    """Render the active 3D photo's camera loop to a video (MP4, WebM), an animated GIF or PNG frames"""

    bl_idname = "portrait3d.render_animation"
    bl_label = "Render Animation"

    @classmethod
    def poll(cls, context):
        return active_photo_with_camera(context)

    def execute(self, context):
        scene = context.scene
        settings = scene.portrait3d
        photo = Photo3D.active(context)
        fmt = settings.output_format
        if settings.output_path:
            output = output_files.with_format(Path(bpy.path.abspath(settings.output_path)), fmt)
        else:
            output = output_files.with_format(photo.default_output("_3d.mp4"), fmt)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output_files.check_output(output, photo.source, settings.overwrite)
            device = blender_render.configure_render(scene, photo.size, scene_settings(context))
            focus.set_up_camera(scene, photo, settings.stereo_mode)
            pending = outputs.start_render_job(scene, output, fmt, on_finished=_report_finished)
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        if pending.error:  # background mode: the render has already finished
            self.report({"ERROR"}, pending.error)
            return {"CANCELLED"}
        if bpy.app.background:
            self.report({"INFO"}, f"Wrote {output} with {blender_render.device_line(scene)}")
        else:
            self.report({"INFO"}, f"Rendering to {output} with {device} (Esc cancels)")
        return {"FINISHED"}


def _report_finished(message, is_error):
    """The end of a render job, after the operator has returned: the console and the status bar."""
    print(f"Portrait 3D: {message}")
    window_manager = bpy.context.window_manager
    if window_manager is not None and not bpy.app.background:
        window_manager.popup_menu(
            lambda menu, _context: menu.layout.label(text=message),
            title="Portrait 3D",
            icon="ERROR" if is_error else "INFO",
        )


class PORTRAIT3D_OT_render_refocus(bpy.types.Operator):
    """Render the current frame, focused where the camera focuses (the face unless moved), at the chosen f-stop,
    to a PNG beside the photo"""

    bl_idname = "portrait3d.render_refocus"
    bl_label = "Render Refocus Still"

    filepath: bpy.props.StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return active_photo_with_camera(context)

    def execute(self, context):
        scene = context.scene
        photo = Photo3D.active(context)
        if self.filepath:
            output = Path(bpy.path.abspath(self.filepath)).with_suffix(".png")
        else:
            output = photo.default_output("_refocus.png")
        try:
            output_files.check_output(output, photo.source, scene.portrait3d.overwrite, fmt="FILE")
            blender_render.configure_render(scene, photo.size, scene_settings(context))
            focus.set_up_camera(scene, photo, scene.portrait3d.stereo_mode, f_stop=scene.portrait3d.f_stop)
            focus.render_still(scene, output)
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {output} with {blender_render.device_line(scene)}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_render_animation, PORTRAIT3D_OT_render_refocus)
