"""Assemble one 3D photo in the scene: a new collection with the mesh, its material, and the orbiting camera."""

import contextlib

import bpy
import numpy as np

from ..core import pipeline
from . import camera as blender_camera
from . import material as blender_material
from . import mesh as blender_mesh
from . import render as blender_render

PHOTO_PROPERTY = "portrait3d"  # ID property on the mesh object: where it came from and its scale


def _data_collection(datablock):
    return {
        bpy.types.Image: bpy.data.images,
        bpy.types.Material: bpy.data.materials,
        bpy.types.Mesh: bpy.data.meshes,
        bpy.types.Object: bpy.data.objects,
        bpy.types.Camera: bpy.data.cameras,
        bpy.types.Action: bpy.data.actions,
        bpy.types.Collection: bpy.data.collections,
    }[type(datablock)]


@contextlib.contextmanager
def _removed_on_failure(scene):
    """Collect new data-blocks; if the block fails, remove them and restore the scene's camera."""
    created = []
    previous_camera = scene.camera
    try:
        yield created
    except BaseException:
        for datablock in reversed(created):
            with contextlib.suppress(ReferenceError):
                _data_collection(datablock).remove(datablock)
        scene.camera = previous_camera
        raise


def _layer_object(name, layer, photo_image, settings, use_photo_alpha, created):
    """One mesh object for a `core.layers.Layer`, with its photo and fill materials in slots 0 and 1."""
    matte = None
    if layer.matte_rgba is not None:
        matte = blender_material.pixels_image(f"{name} Matte", layer.matte_rgba)
        created.append(matte)
    mesh = blender_mesh.new_mesh(name, layer.mesh)
    created.append(mesh)
    material = blender_material.photo_material(name, photo_image, settings.lit, use_photo_alpha, matte)
    created.append(material)
    mesh.materials.append(material)
    if layer.fill_rgb is not None:
        fill = blender_material.pixels_image(f"{name} Fill", layer.fill_rgb.astype(np.float32) / 255.0)
        created.append(fill)
        fill_material = blender_material.fill_material(f"{name} Fill", fill, settings.lit, matte)
        created.append(fill_material)
        mesh.materials.append(fill_material)
    layer_object = bpy.data.objects.new(name, mesh)
    created.append(layer_object)
    return layer_object


def build_3d_photo(scene, analysis, plan, settings):
    """Create the 3D photo in `scene`; returns (collection, mesh objects front to back, camera, device line).

    Touches nothing that exists already except the scene's render settings, active camera and frame range.
    """
    name = f"3D Photo {analysis.photo.path.stem}"
    with _removed_on_failure(scene) as created:
        image = blender_material.photo_image(analysis.photo, name, settings.max_texture_size)
        created.append(image)
        collection = bpy.data.collections.new(name)
        created.append(collection)
        use_photo_alpha = analysis.photo.working_alpha is not None
        layer_objects = []
        for layer in plan.layers:
            layer_name = name if len(plan.layers) == 1 else f"{name} {layer.name}"
            layer_object = _layer_object(layer_name, layer, image, settings, use_photo_alpha, created)
            collection.objects.link(layer_object)
            layer_objects.append(layer_object)
        camera_data = blender_camera.new_camera(f"{name} Camera", plan.intrinsics, plan.focus_distance, plan.zoom)
        created.append(camera_data)
        camera_object = bpy.data.objects.new(f"{name} Camera", camera_data)
        created.append(camera_object)
        blender_camera.keyframe_path(camera_object, plan.camera_locations, plan.camera_rotations)
        created.append(camera_object.animation_data.action)
        collection.objects.link(camera_object)
        for layer_object in layer_objects:
            layer_object[PHOTO_PROPERTY] = {
                "source": str(analysis.photo.path),
                "focus_distance": plan.focus_distance,
                "person_found": analysis.person_found,
            }
        scene.collection.children.link(collection)
        scene.camera = camera_object
        device = blender_render.configure_render(scene, plan.intrinsics, settings)
    return collection, layer_objects, camera_object, device


def make_3d_photo(scene, photo_path, settings, progress=None, analysis=None):
    """Photo file → 3D photo in `scene`: the one call the operator, the CLI and the tests make.

    Returns (analysis, collection, mesh object, camera object, render device line). Pass a previous
    `analysis` of the same photo to skip the networks.
    """
    if analysis is None:
        analysis = pipeline.analyse_photo(photo_path, settings.compute_device, progress=progress)
    plan = pipeline.plan_scene(analysis, settings)
    return (analysis,) + build_3d_photo(scene, analysis, plan, settings)
