"""Export operators for the active 3D photo: its meshes (glTF/OBJ/PLY) and its depth map and person mask."""

from pathlib import Path

import bpy

from ..blender import export
from ..blender import scene as blender_scene
from ..core import output_files
from ..core.depth import WeightsError
from ..core.image import PhotoError
from . import preferences

OVERWRITE_HINT = "enable Overwrite or choose another file"


def _photo_source(collection):
    for obj in collection.all_objects:
        source = obj.get(blender_scene.PHOTO_PROPERTY, {}).get("source")
        if source:
            return Path(source)
    return None


def _default_path(context, suffix):
    collection = export.photo_collection(context.scene, context.active_object)
    source = _photo_source(collection) if collection else None
    if source is None:
        return str(Path(bpy.path.abspath("//")) / f"portrait3d{suffix}")
    return str(source.with_name(f"{source.stem}{suffix}"))


def analysis_of(collection, compute_device):
    """The networks' results for a 3D photo: this session's cached analysis, else the photo analysed again."""
    try:
        return blender_scene.cached_analysis(collection, compute_device)
    except ValueError as error:
        raise PhotoError(str(error)) from None


class _ExportToFile:
    """A file browser on invoke, defaulting beside the photo; `poll` needs a 3D photo."""

    filepath: bpy.props.StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        return export.photo_collection(context.scene, context.active_object) is not None

    def invoke(self, context, event):
        if not self.filepath:
            self.filepath = _default_path(context, self.default_suffix)
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class PORTRAIT3D_OT_export_mesh(_ExportToFile, bpy.types.Operator):
    """Export the active 3D photo's meshes as binary glTF (.glb, texture embedded), OBJ or PLY"""

    bl_idname = "portrait3d.export_mesh"
    bl_label = "Export Mesh"
    default_suffix = "_3d.glb"

    filter_glob: bpy.props.StringProperty(default="*.glb;*.obj;*.ply", options={"HIDDEN"})

    def execute(self, context):
        collection = export.photo_collection(context.scene, context.active_object)
        output = Path(bpy.path.abspath(self.filepath))
        overwrite = context.scene.portrait3d.overwrite
        try:
            for path in [output, *export.companion_files(output)]:
                output_files.check_output(path, _photo_source(collection), overwrite, OVERWRITE_HINT, fmt="FILE")
            written = export.export_meshes(context, export.photo_mesh_objects(collection), output, overwrite)
        except (export.ExportError, output_files.OutputError, OSError) as error:
            self.report({"ERROR"}, str(error).replace("pass --overwrite to replace it", OVERWRITE_HINT))
            return {"CANCELLED"}
        extra = f" (+{len(written) - 1} files beside it)" if len(written) > 1 else ""
        self.report({"INFO"}, f"Exported '{collection.name}' to {output}{extra}")
        return {"FINISHED"}


class PORTRAIT3D_OT_export_depth_map(_ExportToFile, bpy.types.Operator):
    """Write the active 3D photo's depth map (8-bit PNG, white = near) and its person mask beside it"""

    bl_idname = "portrait3d.export_depth_map"
    bl_label = "Export Depth Map"
    default_suffix = "_depth.png"

    filter_glob: bpy.props.StringProperty(default="*.png", options={"HIDDEN"})

    def execute(self, context):
        collection = export.photo_collection(context.scene, context.active_object)
        depth_path = Path(bpy.path.abspath(self.filepath)).with_suffix(".png")
        mask_path = depth_path.with_name(f"{depth_path.stem.removesuffix('_depth')}_mask.png")
        overwrite = context.scene.portrait3d.overwrite
        try:
            for path in (depth_path, mask_path):
                output_files.check_output(path, _photo_source(collection), overwrite, OVERWRITE_HINT, fmt="FILE")
            analysis = analysis_of(collection, preferences.compute_device(context))
            output_files.write_maps(analysis, depth_path, mask_path, bits=8)
        except (output_files.OutputError, PhotoError, WeightsError, OSError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {depth_path} and {mask_path.name}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_export_mesh, PORTRAIT3D_OT_export_depth_map)
