"""Refine a 3D photo after creation: new depth strength, mesh resolution, tears or layering, no networks."""

import bpy

from ..blender import scene as blender_scene
from . import preferences, properties


def active_photo_collection(context):
    """The 3D photo of the active object, else the one the scene's camera belongs to."""
    for candidate in (context.active_object, context.scene.camera):
        collection = blender_scene.photo_collection_of(candidate)
        if collection is not None:
            return collection
    return None


class PORTRAIT3D_OT_refine_3d_photo(bpy.types.Operator):
    """Rebuild the active 3D photo's mesh with the current Mesh settings (hand edits to it are replaced)"""

    bl_idname = "portrait3d.refine_3d_photo"
    bl_label = "Update 3D Photo"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return active_photo_collection(context) is not None

    def execute(self, context):
        collection = active_photo_collection(context)
        settings = properties.core_settings(context.scene.portrait3d, preferences.compute_device(context))
        try:
            layer_objects = blender_scene.refine_3d_photo(context.scene, collection, settings)
        except (OSError, ValueError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        faces = sum(len(obj.data.polygons) for obj in layer_objects)
        self.report({"INFO"}, f"Updated '{collection.name}': {len(layer_objects)} layer(s), {faces:,} faces")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_refine_3d_photo,)
