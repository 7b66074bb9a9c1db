"""Render a 3D photo's animation: thin operators over `blender.outputs`."""

from pathlib import Path

import bpy

from ..blender import export, focus, outputs
from ..blender import scene as blender_scene
from ..core import output_files


def active_photo_object(scene):
    """The mesh object carrying the photo's ID property in the collection of the scene's camera, if any."""
    camera = scene.camera
    for obj in camera.users_collection[0].objects if camera and camera.users_collection else ():
        if obj.type == "MESH" and obj.get(blender_scene.PHOTO_PROPERTY, {}).get("source"):
            return obj
    return None


def photo_source(scene):
    """Path of the photo the active 3D photo was made from, or None."""
    obj = active_photo_object(scene)
    return Path(obj[blender_scene.PHOTO_PROPERTY]["source"]) if obj is not None else None


def default_output_path(scene, fmt="MP4"):
    """Beside the photo of the active 3D photo, named after it; else beside the .blend. Folder for PNG frames."""
    source = photo_source(scene)
    base = source.with_name(f"{source.stem}_3d") if source else Path(bpy.path.abspath("//portrait3d"))
    return output_files.with_format(base.with_suffix(".mp4"), fmt)


class PORTRAIT3D_OT_render_animation(bpy.types.Operator):
    """Render the camera loop to a video (MP4, WebM), an animated GIF or PNG frames, with the chosen engine"""

    bl_idname = "portrait3d.render_animation"
    bl_label = "Render Animation"

    @classmethod
    def poll(cls, context):
        return context.scene.camera is not None

    def execute(self, context):
        scene = context.scene
        settings = scene.portrait3d
        fmt = settings.output_format
        if settings.output_path:
            output = output_files.with_format(Path(bpy.path.abspath(settings.output_path)), fmt)
        else:
            output = default_output_path(scene, fmt)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output_files.check_output(
                output, photo_source(scene), settings.overwrite, hint="enable Overwrite or choose another output"
            )
            collection = export.photo_collection(scene)
            if collection is not None or settings.stereo_mode != "NONE":
                objects = export.photo_mesh_objects(collection) if collection else []
                focus.configure_stereo(scene, scene.camera, settings.stereo_mode, objects)
            pending = outputs.start_render_job(scene, output, fmt, on_finished=_report_finished)
        except (output_files.OutputError, OSError, ValueError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        if pending.error:  # background mode: the render has already finished
            self.report({"ERROR"}, pending.error)
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {output}" if bpy.app.background else f"Rendering to {output}")
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


CLASSES = (PORTRAIT3D_OT_render_animation,)
