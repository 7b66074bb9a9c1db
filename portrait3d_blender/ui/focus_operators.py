"""Depth of field on the face and the refocus still, for the active 3D photo."""

from pathlib import Path

import bpy

from ..blender import export, focus
from ..core import output_files
from .export_operators import OVERWRITE_HINT, _photo_source


def _photo_camera(context):
    """The camera of the active 3D photo (the scene's camera when it belongs to one)."""
    collection = export.photo_collection(context.scene, context.active_object)
    if collection is None:
        return None, None
    cameras = [obj for obj in collection.objects if obj.type == "CAMERA"]
    camera = context.scene.camera if context.scene.camera in cameras else (cameras[0] if cameras else None)
    return collection, camera


class PORTRAIT3D_OT_focus_on_face(bpy.types.Operator):
    """Turn on the camera's depth of field, focused on the face or the 3D cursor, at the chosen f-stop (or turn
    it off)"""

    bl_idname = "portrait3d.focus_on_face"
    bl_label = "Focus on Face"
    bl_options = {"REGISTER", "UNDO"}

    enable: bpy.props.BoolProperty(name="Enable", default=True, options={"SKIP_SAVE"})
    target: bpy.props.EnumProperty(
        name="Focus On",
        items=(
            ("FACE", "Face", "The face found in the photo (the 3D photo's origin)"),
            ("CURSOR", "3D Cursor", "The 3D cursor: Shift+Right-click a spot on the photo to put it there"),
        ),
        default="FACE",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def description(cls, context, properties):
        if properties.target == "CURSOR":
            return "Focus the camera's depth of field on the 3D cursor (Shift+Right-click the spot first)"
        return "Focus the camera's depth of field on the face, at the chosen f-stop"

    @classmethod
    def poll(cls, context):
        return _photo_camera(context)[1] is not None

    def execute(self, context):
        _, camera = _photo_camera(context)
        if not self.enable:
            focus.disable_depth_of_field(camera)
            self.report({"INFO"}, "Depth of field off")
            return {"FINISHED"}
        f_stop = context.scene.portrait3d.f_stop
        point, where = (0.0, 0.0, 0.0), "the face"
        if self.target == "CURSOR":
            point, where = tuple(context.scene.cursor.location), "the 3D cursor"
        focus.enable_depth_of_field(camera, f_stop, point)
        self.report({"INFO"}, f"Focused on {where} at f/{f_stop:g}, {camera.data.dof.focus_distance:.2f} m")
        return {"FINISHED"}


class PORTRAIT3D_OT_render_refocus(bpy.types.Operator):
    """Render the current frame, focused where the camera focuses (the face unless moved), at the chosen f-stop,
    to a PNG beside the photo"""

    bl_idname = "portrait3d.render_refocus"
    bl_label = "Render Refocus Still"

    filepath: bpy.props.StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return _photo_camera(context)[1] is not None

    def execute(self, context):
        scene = context.scene
        collection, camera = _photo_camera(context)
        source = _photo_source(collection)
        if self.filepath:
            output = Path(bpy.path.abspath(self.filepath)).with_suffix(".png")
        elif source is not None:
            output = source.with_name(f"{source.stem}_refocus.png")
        else:
            output = Path(bpy.path.abspath("//portrait3d_refocus.png"))
        previous_camera = scene.camera
        try:
            output_files.check_output(output, source, scene.portrait3d.overwrite, OVERWRITE_HINT, fmt="FILE")
            point = focus.current_focus_point(camera)
            focus.enable_depth_of_field(camera, scene.portrait3d.f_stop, point)
            focus.configure_stereo(
                scene, camera, scene.portrait3d.stereo_mode, export.photo_mesh_objects(collection), point
            )
            scene.camera = camera
            focus.render_still(scene, output)
        except (output_files.OutputError, OSError, RuntimeError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        finally:
            scene.camera = previous_camera
        self.report({"INFO"}, f"Wrote {output}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_focus_on_face, PORTRAIT3D_OT_render_refocus)
