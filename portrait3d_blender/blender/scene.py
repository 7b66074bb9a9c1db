"""Build and rebuild a 3D photo: `make_3d_photo` gives it a scene of its own and `build_3d_photo` fills a scene
with its collection (layer meshes, their materials and grade, the orbiting camera); `refine_3d_photo` rebuilds
the layers in place with new settings; `regrade_3d_photo` sets the grade alone."""

import contextlib
import uuid

import bpy

from ..core import pipeline
from ..core.errors import EditModeError
from . import camera as blender_camera
from . import grading as blender_grading
from . import material as blender_material
from . import mesh as blender_mesh
from . import photo3d
from . import render as blender_render
from .photo3d import LAYER_TAG, PHOTO_IMAGE_TAG, Photo3D


def _data_collection(datablock):
    return {
        bpy.types.Image: bpy.data.images,
        bpy.types.Material: bpy.data.materials,
        bpy.types.Mesh: bpy.data.meshes,
        bpy.types.Object: bpy.data.objects,
        bpy.types.Camera: bpy.data.cameras,
        bpy.types.Action: bpy.data.actions,
        bpy.types.Collection: bpy.data.collections,
        bpy.types.ShaderNodeTree: bpy.data.node_groups,
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


def _texture_key(analysis, settings):
    """What the photo's image must be for these settings: the file itself, or an upright copy within the limit."""
    if analysis.photo.texture_from_file(settings.max_texture_size):
        return photo3d.PHOTO_FILE_TEXTURE
    return f"upright, at most {settings.max_texture_size} px"


def _photo_image(analysis, name, settings):
    """The photo's image, tagged with its `_texture_key`, so a refine can tell it from the computed images
    beside it and know whether the texture limit now asks for another one."""
    image = blender_material.photo_image(analysis.photo, name, settings.max_texture_size)
    image[PHOTO_IMAGE_TAG] = _texture_key(analysis, settings)
    return image


def _current_photo_image(photo, analysis, settings):
    """The photo's image the layers show, when it still suits `settings`; else None."""
    image = photo.photo_image()
    return image if image is not None and image[PHOTO_IMAGE_TAG] == _texture_key(analysis, settings) else None


def _keyframe_plan(camera_object, plan):
    blender_camera.keyframe_path(
        camera_object, plan.camera_locations, plan.camera_rotations,
        loop=plan.camera_loops, lens_factors=plan.camera_lens_factors,
    )


def _layer_object(name, layer, photo_image, settings, use_photo_alpha, grade, created):
    """One mesh object for a `core.layers.Layer`: the photo's material in slot 0, the computed colours' in 1."""
    matte = None
    if layer.matte_rgba is not None:
        matte = blender_material.pixels_image(f"{name} Matte", layer.matte_rgba)
        created.append(matte)
    mesh = blender_mesh.new_mesh(name, layer.mesh)
    created.append(mesh)
    matte_uv_map = blender_mesh.computed_uv_name(mesh)
    material = blender_material.photo_material(
        name, photo_image, settings.lit, use_photo_alpha, matte, matte_uv_map, grade
    )
    created.append(material)
    mesh.materials.append(material)
    if layer.mesh.colors is not None:
        fill_material = blender_material.fill_material(f"{name} Fill", settings.lit, matte, matte_uv_map, grade)
        created.append(fill_material)
        mesh.materials.append(fill_material)
    layer_object = bpy.data.objects.new(name, mesh)
    created.append(layer_object)
    return layer_object


def _layer_tag(settings, layer):
    """What a layer object remembers: its layer, and what its materials were made for."""
    return {"layer": layer.name, "lit": settings.lit}


def _add_layer_objects(collection, analysis, plan, settings, photo_image, created):
    """One object per layer of `plan`, linked into `collection`, tagged with where the photo came from."""
    use_photo_alpha = analysis.photo.working_alpha is not None
    grade = _grade_group(collection, settings, plan.haze_start, created)
    layer_objects = []
    for layer in plan.layers:
        layer_name = collection.name if len(plan.layers) == 1 else f"{collection.name} {layer.name}"
        layer_object = _layer_object(layer_name, layer, photo_image, settings, use_photo_alpha, grade, created)
        layer_object[LAYER_TAG] = _layer_tag(settings, layer)
        collection.objects.link(layer_object)
        layer_objects.append(layer_object)
    return layer_objects


def _grade_group(collection, settings, haze_start, created):
    """The 3D photo's grade node group (made with the photo, kept by its collection), set to `settings`."""
    group = collection.get(blender_grading.GRADE_PROPERTY)
    if group is None:
        group = blender_grading.new_grade_group(f"{collection.name} Grade")
        created.append(group)
        collection[blender_grading.GRADE_PROPERTY] = group
    blender_grading.set_grade(group, settings, haze_start)
    return group


def regrade_3d_photo(photo, settings):
    """Apply `settings`' grade to a `Photo3D`: node values only, live. False when the photo has no grade yet."""
    group = photo.collection.get(blender_grading.GRADE_PROPERTY)
    if group is None:
        return False
    blender_grading.set_grade(group, settings)
    return True


def build_3d_photo(scene, analysis, plan, settings):
    """Create the 3D photo in `scene`; returns (its `Photo3D`, the render device line).

    Touches nothing that exists already except the scene's render settings, active camera and frame range:
    `make_3d_photo` gives each 3D photo a scene of its own.
    """
    name = f"3D Photo {analysis.photo.path.stem}"
    with _removed_on_failure(scene) as created:
        image = _photo_image(analysis, name, settings)
        created.append(image)
        collection = bpy.data.collections.new(name)
        created.append(collection)
        _add_layer_objects(collection, analysis, plan, settings, image, created)
        camera_data = blender_camera.new_camera(f"{name} Camera", plan.intrinsics, plan.focus_distance, plan.zoom)
        created.append(camera_data)
        camera_object = bpy.data.objects.new(f"{name} Camera", camera_data)
        created.append(camera_object)
        _keyframe_plan(camera_object, plan)
        created.append(camera_object.animation_data.action)
        collection.objects.link(camera_object)
        photo_id = uuid.uuid4().hex
        photo3d.mark_collection(collection, photo_id, analysis.photo, analysis.depth_source)
        scene.collection.children.link(collection)
        scene.camera = camera_object
        scene.frame_start, scene.frame_end = 1, settings.frames
        device = blender_render.configure_render(scene, (analysis.photo.width, analysis.photo.height), settings)
    photo3d.remember_analysis(photo_id, analysis)
    return Photo3D(collection), device


def _remove_layer_objects(collection):
    """Delete the collection's layer objects with the meshes, materials and computed images only they use."""
    for obj in [obj for obj in collection.objects if LAYER_TAG in obj]:
        mesh = obj.data
        materials = [slot.material for slot in obj.material_slots if slot.material]
        bpy.data.objects.remove(obj)
        if mesh.users == 0:
            bpy.data.meshes.remove(mesh)
        for material in materials:
            images = [node.image for node in material.node_tree.nodes if node.type == "TEX_IMAGE" and node.image]
            if material.users == 0:
                bpy.data.materials.remove(material)
            for image in images:
                if image.users == 0:
                    bpy.data.images.remove(image)


def _rekeyframe_camera(camera_object, plan):
    """Replace the camera's path and lens with the plan's (the move, frames or zoom may have changed)."""
    old_actions = {data.animation_data.action for data in (camera_object, camera_object.data)
                   if data.animation_data and data.animation_data.action}
    camera_object.animation_data_clear()
    camera_object.data.animation_data_clear()
    for action in old_actions:
        if action.users == 0:
            bpy.data.actions.remove(action)
    camera_object.data.lens = plan.intrinsics.lens_mm_on_36mm_sensor * plan.zoom
    _keyframe_plan(camera_object, plan)


def _geometry_only_change(layer_objects, plan, settings):
    """True when each layer object already has the materials `plan` needs, so only its mesh must change."""
    if len(layer_objects) != len(plan.layers):
        return False
    for layer_object, layer in zip(layer_objects, plan.layers):
        tag = layer_object[LAYER_TAG]
        mesh = layer_object.data
        slots = 2 if layer.mesh.colors is not None else 1
        same_uv_maps = (blender_mesh.DISPLAY_UV_NAME in mesh.uv_layers) == (layer.mesh.uvs is not layer.mesh.display_uvs)
        if (tag.get("layer") != layer.name or tag.get("lit") != settings.lit or mesh.users != 1 or not same_uv_maps
                or mesh.shape_keys is not None or len(mesh.materials) != slots or None in tuple(mesh.materials)):
            return False
    return True


def refine_3d_photo(scene, photo, settings):
    """Rebuild a 3D photo's layers with new settings (depth strength, resolution, tears, layering) in place.

    The networks' results are reused; the collection, its camera and the photo's image stay. When the layers
    and materials stay the same (a slider moved), only the meshes' geometry is rewritten, which is what makes
    a slider live; otherwise the layer objects are made again. Hand edits to the old layer meshes are
    replaced. Returns the layer objects.
    """
    collection = photo.collection
    layer_objects = photo.layers
    editing = [obj.name for obj in layer_objects if obj.data.is_editmode]
    if editing:  # Blender would write the edit-mode copy back over the rebuilt mesh on leaving Edit Mode
        raise EditModeError(f"Leave Edit Mode on '{editing[0]}' to update the 3D photo")
    analysis = photo.analysis()
    plan = pipeline.plan_scene(analysis, settings)
    photo_image = _current_photo_image(photo, analysis, settings)
    graded = blender_grading.GRADE_PROPERTY in collection  # a 3D photo made before grading gets new materials
    if photo_image is not None and graded and _geometry_only_change(layer_objects, plan, settings):
        for layer_object, layer in zip(layer_objects, plan.layers):
            blender_mesh.replace_geometry(layer_object.data, layer.mesh)
        _grade_group(collection, settings, plan.haze_start, [])
        new_objects = layer_objects
    else:
        new_objects = _remake_layer_objects(collection, analysis, plan, settings, photo_image)
    for camera_object in (obj for obj in collection.objects if obj.type == "CAMERA"):
        _rekeyframe_camera(camera_object, plan)
    scene.frame_start, scene.frame_end = 1, settings.frames
    return new_objects


def _remake_layer_objects(collection, analysis, plan, settings, photo_image):
    """New layer objects in place of the old; `photo_image` is kept for them, or made anew when None."""
    created = []
    if photo_image is None:
        photo_image = _photo_image(analysis, collection.name, settings)
        created.append(photo_image)
    photo_image.use_fake_user = True  # keep it while the old materials go
    try:
        _remove_layer_objects(collection)
        return _add_layer_objects(collection, analysis, plan, settings, photo_image, created)
    finally:
        photo_image.use_fake_user = False


def make_3d_photo(scene, photo_path, settings, progress=None, analysis=None, depth_source=None):
    """Photo file → a 3D photo in a new scene of its own: the one call the operator, the CLI and the tests make.

    The new scene (named as the 3D photo) shares `scene`'s world and nothing else, so the 3D photo never meets
    what is in the file already (the startup file's cube, another 3D photo), and has its own camera, frame
    range and render settings. Returns (the `Photo3D`, the render device line); `Photo3D.scene` is the new
    scene. Pass a previous `analysis` of the same photo to skip the networks; `depth_source` (a
    `core.depth_source.DepthSource`) gives the depth instead of the network.
    """
    if analysis is None:
        analysis = pipeline.analyse_photo(photo_path, progress=progress, depth_source=depth_source)
    plan = pipeline.plan_scene(analysis, settings)
    photo_scene = bpy.data.scenes.new(f"3D Photo {analysis.photo.path.stem}")
    try:
        photo_scene.world = scene.world
        photo, device = build_3d_photo(photo_scene, analysis, plan, settings)
    except BaseException:
        bpy.data.scenes.remove(photo_scene)
        raise
    photo_scene.name = photo.name  # "3D Photo astronaut.001" when the collection's name was taken
    return photo, device
