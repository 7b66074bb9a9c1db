"""Depth of field for the active 3D photo's camera: on the face, on every face (the photo analysed on the worker
thread first when this session has not yet), on the 3D cursor, or off."""

import bpy

from ..blender import focus
from ..blender.photo3d import Photo3D
from .context import active_photo_with_camera, scene_settings
from .worker import PhotoAnalysisOperator

_TARGETS = (
    ("FACE", "Face", "Focus the camera's depth of field on the face found in the photo, at the chosen f-stop"),
    ("ALL_FACES", "All Faces", "Focus between the faces and stop down as far as needed for every face in the "
     "photo to stay sharp (within one output pixel) through the whole move"),
    ("CURSOR", "3D Cursor", "Focus the camera's depth of field on the 3D cursor (Shift+Right-click the spot first)"),
    ("OFF", "Off", "Turn the camera's depth of field off"),
)


class PORTRAIT3D_OT_depth_of_field(PhotoAnalysisOperator, bpy.types.Operator):
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
        return active_photo_with_camera(context)

    def execute(self, context):
        if self.target == "ALL_FACES":  # the faces are the analysis's: found on the worker thread if need be
            return PhotoAnalysisOperator.execute(self, context)
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

    def run(self, context, photo, analysis):
        result = focus.all_faces_focus(context.scene, photo, scene_settings(context), context.scene.portrait3d.f_stop)
        focus.enable_depth_of_field(photo.camera_in(context.scene), result.f_stop, tuple(result.point))
        self.report({"INFO"}, focus.all_faces_line(result))
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_depth_of_field,)
