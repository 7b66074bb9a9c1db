"""Depth of field for the active 3D photo's camera: on the face, on the 3D cursor, or off."""

import bpy

from ..blender import focus
from ..blender.photo3d import Photo3D

_TARGETS = (
    ("FACE", "Face", "Focus the camera's depth of field on the face found in the photo, at the chosen f-stop"),
    ("CURSOR", "3D Cursor", "Focus the camera's depth of field on the 3D cursor (Shift+Right-click the spot first)"),
    ("OFF", "Off", "Turn the camera's depth of field off"),
)


class PORTRAIT3D_OT_depth_of_field(bpy.types.Operator):
    """Set the active 3D photo camera's depth of field: focused on the face or the 3D cursor, or off"""

    bl_idname = "portrait3d.depth_of_field"
    bl_label = "Depth of Field"
    bl_options = {"REGISTER", "UNDO"}

    target: bpy.props.EnumProperty(name="Focus On", items=_TARGETS, default="FACE", options={"SKIP_SAVE"})

    @classmethod
    def description(cls, context, properties):
        return next(description for key, _, description in _TARGETS if key == properties.target)

    @classmethod
    def poll(cls, context):
        photo = Photo3D.active(context)
        return photo is not None and photo.camera is not None

    def execute(self, context):
        camera = Photo3D.active(context).camera_in(context.scene)
        if self.target == "OFF":
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


CLASSES = (PORTRAIT3D_OT_depth_of_field,)
