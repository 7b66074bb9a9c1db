"""Refine a 3D photo after creation: new depth strength, mesh resolution, tears or layering, no networks."""

import bpy
import numpy as np

from ..blender import scene as blender_scene
from . import preferences, properties
from .create import image_editor_areas


def active_photo_collection(context):
    """The 3D photo of the active object, else the one the scene's camera belongs to."""
    for candidate in (context.active_object, context.scene.camera):
        collection = blender_scene.photo_collection_of(candidate)
        if collection is not None:
            return collection
    return None


def _refine_with_scene_settings(context, collection):
    """The one rebuild the Update button and a live slider make; a success clears the last live error."""
    settings_group = context.scene.portrait3d
    settings = properties.core_settings(settings_group, preferences.compute_device(context))
    layer_objects = blender_scene.refine_3d_photo(context.scene, collection, settings)
    settings_group.live_update_error = ""
    return layer_objects


def refine_active_photo(context):
    """Rebuild the active 3D photo with the scene's Mesh settings, for a live slider: nothing when there is
    none, and an error goes to the panel (an update callback has no report) with the photo left as it was."""
    collection = active_photo_collection(context)
    if collection is None:
        return
    try:
        _refine_with_scene_settings(context, collection)
    except (OSError, ValueError) as error:
        context.scene.portrait3d.live_update_error = str(error)


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
        try:
            layer_objects = _refine_with_scene_settings(context, collection)
        except (OSError, ValueError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        faces = sum(len(obj.data.polygons) for obj in layer_objects)
        self.report({"INFO"}, f"Updated '{collection.name}': {len(layer_objects)} layer(s), {faces:,} faces")
        return {"FINISHED"}


def depth_map_image(collection, analysis):
    """A Blender image of the 3D photo's depth (white = near), made or refreshed; never packed or saved."""
    name = f"{collection.name} Depth"
    height, width = analysis.nearness.shape
    image = bpy.data.images.get(name)
    if image is None or tuple(image.size) != (width, height):
        if image is not None:
            bpy.data.images.remove(image)
        image = bpy.data.images.new(name, width, height, float_buffer=True, is_data=True)
    pixels = np.ones((height, width, 4), dtype=np.float32)
    pixels[..., :3] = analysis.nearness[::-1, :, None]  # Blender's rows go bottom-up
    image.pixels.foreach_set(pixels.ravel())
    return image


class PORTRAIT3D_OT_show_depth_map(bpy.types.Operator):
    """Show the active 3D photo's depth map (white = near) in an Image Editor"""

    bl_idname = "portrait3d.show_depth_map"
    bl_label = "Show Depth Map"

    @classmethod
    def poll(cls, context):
        return active_photo_collection(context) is not None

    def execute(self, context):
        collection = active_photo_collection(context)
        compute_device = preferences.compute_device(context)
        try:
            image = depth_map_image(collection, blender_scene.cached_analysis(collection, compute_device))
        except (OSError, ValueError) as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        editors = image_editor_areas(context)
        for area in editors:
            area.spaces.active.image = image
        where = "in the Image Editor" if editors else "as an image: open an Image Editor to see it"
        self.report({"INFO"}, f"Depth map '{image.name}' {where}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_refine_3d_photo, PORTRAIT3D_OT_show_depth_map)
