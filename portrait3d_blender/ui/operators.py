"""Create a 3D photo and render its animation: thin operators over `blender.scene` and `blender.render`."""

from pathlib import Path

import bpy

from ..blender import render as blender_render
from ..blender import scene as blender_scene
from ..core.depth import WeightsError
from ..core.image import PhotoError
from . import preferences, properties

PHOTO_FILTER = "*.jpg;*.jpeg;*.png;*.webp;*.tif;*.tiff;*.bmp;*.gif;*.heic"
USER_ERRORS = (PhotoError, WeightsError, OSError)


def image_editor_photo(context):
    """Path of the image shown in an open Image Editor, when it is a file on disk."""
    for area in context.screen.areas if context.screen else ():
        if area.type == "IMAGE_EDITOR":
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

    def invoke(self, context, event):
        if not self.filepath:
            editor_photo = image_editor_photo(context)
            if editor_photo is None:
                context.window_manager.fileselect_add(self)
                return {"RUNNING_MODAL"}
            self.filepath = str(editor_photo)
        return self.execute(context)

    def execute(self, context):
        if not self.filepath:
            self.report({"ERROR"}, "No photo given: choose a photo file")
            return {"CANCELLED"}
        settings = properties.core_settings(context.scene.portrait3d, preferences.compute_device(context))
        window_manager = context.window_manager
        window_manager.progress_begin(0, 100)
        try:
            analysis, collection, _, _, device = blender_scene.make_3d_photo(
                context.scene,
                bpy.path.abspath(self.filepath),
                settings,
                progress=lambda share, text: window_manager.progress_update(int(share * 100)),
            )
        except USER_ERRORS as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        finally:
            window_manager.progress_end()
        notice = f" — {analysis.notice}" if analysis.notice else ""
        self.report({"INFO"}, f"Created '{collection.name}' ({device}){notice}")
        return {"FINISHED"}


def default_video_path(scene):
    """Beside the photo of the active 3D photo, named after it; else beside the .blend."""
    camera = scene.camera
    for obj in camera.users_collection[0].objects if camera and camera.users_collection else ():
        source = obj.get(blender_scene.PHOTO_PROPERTY, {}).get("source")
        if source:
            source = Path(source)
            return source.with_name(f"{source.stem}_3d.mp4")
    return Path(bpy.path.abspath("//portrait3d.mp4"))


class PORTRAIT3D_OT_render_animation(bpy.types.Operator):
    """Render the camera loop to an H.264 video with the chosen engine"""

    bl_idname = "portrait3d.render_animation"
    bl_label = "Render Animation"

    @classmethod
    def poll(cls, context):
        return context.scene.camera is not None

    def execute(self, context):
        scene = context.scene
        settings = scene.portrait3d
        output = Path(bpy.path.abspath(settings.output_path)) if settings.output_path else default_video_path(scene)
        if output.suffix.lower() != ".mp4":
            output = output.with_suffix(".mp4")
        if output.exists() and not settings.overwrite:
            self.report({"ERROR"}, f"{output} exists: enable Overwrite or choose another output")
            return {"CANCELLED"}
        output.parent.mkdir(parents=True, exist_ok=True)
        blender_render.configure_video(scene, output)
        invoke = "EXEC_DEFAULT" if bpy.app.background else "INVOKE_DEFAULT"
        bpy.ops.render.render(invoke, animation=True)
        self.report({"INFO"}, f"Rendering to {output}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_create_3d_photo, PORTRAIT3D_OT_render_animation)
