"""Export operators for the active 3D photo: its meshes (glTF/OBJ/PLY) and its depth map and person mask."""

from pathlib import Path

import bpy

from ..blender import export
from ..blender.photo3d import Photo3D
from ..core import output_files
from ..core.errors import USER_ERRORS, user_message
from .context import OVERWRITE_HINT
from .worker import PhotoAnalysisOperator


class _ExportToFile:
    """A file browser on invoke, defaulting beside the photo; `poll` needs a 3D photo."""

    filepath: bpy.props.StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return Photo3D.active(context) is not None

    def chosen_path(self):
        """The file to write, or OutputError when none was given (a script or F3 can run the operator without
        its file browser)."""
        if not self.filepath.strip():
            raise output_files.OutputError(f"{self.bl_label}: no file path given; choose a file to write")
        return Path(bpy.path.abspath(self.filepath))

    def invoke(self, context, event):
        if not self.filepath:
            self.filepath = str(Photo3D.active(context).default_output(self.default_suffix))
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class PORTRAIT3D_OT_export_mesh(_ExportToFile, bpy.types.Operator):
    """Export the active 3D photo's meshes as binary glTF (.glb, texture embedded), OBJ or PLY"""

    bl_idname = "portrait3d.export_mesh"
    bl_label = "Export Mesh"
    default_suffix = "_3d.glb"

    filter_glob: bpy.props.StringProperty(default="*.glb;*.obj;*.ply", options={"HIDDEN"})

    def execute(self, context):
        photo = Photo3D.active(context)
        overwrite = context.scene.portrait3d.overwrite
        try:
            output = self.chosen_path()
            output_files.check_mesh_export(output, photo.source, overwrite)
            written = export.export_meshes(context, photo, output, overwrite)
        except USER_ERRORS as error:
            self.report({"ERROR"}, user_message(error, OVERWRITE_HINT))
            return {"CANCELLED"}
        extra = f" (+{len(written) - 1} files beside it)" if len(written) > 1 else ""
        self.report({"INFO"}, f"Exported '{photo.name}' to {output}{extra}")
        return {"FINISHED"}


class PORTRAIT3D_OT_export_depth_map(PhotoAnalysisOperator, _ExportToFile, bpy.types.Operator):
    """Write the active 3D photo's depth map (8-bit PNG, white = near) and its person mask beside it"""

    bl_idname = "portrait3d.export_depth_map"
    bl_label = "Export Depth Map"
    default_suffix = output_files.DEPTH_MAP_SUFFIX

    filter_glob: bpy.props.StringProperty(default="*.png", options={"HIDDEN"})

    def _paths(self):
        depth_path = self.chosen_path().with_suffix(".png")
        return depth_path, output_files.mask_path_beside(depth_path)

    def refuse_early(self, context, photo):
        output_files.check_maps(*self._paths(), photo.source, context.scene.portrait3d.overwrite)

    def run(self, context, photo, analysis):
        depth_path, mask_path = self._paths()
        output_files.write_maps(analysis, depth_path, mask_path, bits=8)
        self.report({"INFO"}, f"Wrote {depth_path} and {mask_path.name}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_export_mesh, PORTRAIT3D_OT_export_depth_map)
