"""What the operators, the panel and the live sliders read from Blender's context: settings, Image Editors, the
file browser."""

from pathlib import Path

import bpy

from ..blender.photo3d import Photo3D
from ..core.depth_source import DepthSource
from ..core.image import PHOTO_SUFFIXES
from ..core.options import OPTIONS
from ..core.pipeline import Settings
from . import preferences

OVERWRITE_HINT = "enable Overwrite or choose another file"  # the UI's way of allowing an existing output
PHOTO_FILTER = ";".join(f"*{suffix}" for suffix in PHOTO_SUFFIXES)  # file browsers show photos only


class ImageFileBrowser:
    """Mixin for an operator that reads an image file, `filepath`, the way Blender's importers do: clicked
    without one, its `invoke` calls `browse`, Blender's file browser (showing what its `filter_*` properties
    say), and Blender calls `execute` once a file is chosen; a script passes `filepath=` to `execute`."""

    filepath: bpy.props.StringProperty(name="Image", subtype="FILE_PATH", options={"SKIP_SAVE"})

    def browse(self, context):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


def active_photo_with_camera(context):
    """Whether there is an active 3D photo with its camera: what rendering and focusing need."""
    photo = Photo3D.active(context)
    return photo is not None and photo.camera is not None


def scene_settings(context, scene=None):
    """`core.pipeline.Settings` from the scene's Portrait 3D settings and the add-on's compute device."""
    properties = (scene or context.scene).portrait3d
    values = {name: getattr(properties, name) for name in OPTIONS}
    values = {name: tuple(value) if isinstance(value, bpy.types.bpy_prop_array) else value
              for name, value in values.items()}  # a colour is a tuple in Settings
    return Settings(**values, compute_device=preferences.compute_device(context))


def store_settings(scene, settings):
    """The inverse of `scene_settings`: the scene's Portrait 3D settings set from `Settings` (the CLI's .blend).

    Live Update is held off meanwhile, so setting each value does not rebuild the 3D photo each time."""
    properties = scene.portrait3d
    live_update, properties.live_update = properties.live_update, False
    try:
        for name in OPTIONS:
            setattr(properties, name, getattr(settings, name))
    finally:
        properties.live_update = live_update


def scene_depth_source(context):
    """The depth source the panel asks Create 3D Photo to use, as the pipeline takes it."""
    properties = context.scene.portrait3d
    path = bpy.path.abspath(properties.depth_map_path) if properties.depth_source == "FILE" else ""
    return DepthSource(properties.depth_source, path, properties.depth_map_far_is_white)


def show_photo_scene(context, photo):
    """Carry the current scene's Portrait 3D settings over to the new 3D photo's own scene, and show it."""
    source, target = context.scene.portrait3d, photo.scene.portrait3d
    for name in source.bl_rna.properties.keys():
        if name != "rna_type" and not source.bl_rna.properties[name].is_readonly:
            setattr(target, name, getattr(source, name))
    if context.window is not None:
        context.window.scene = photo.scene


def image_editor_areas(context):
    """The open Image Editors of the current screen."""
    return [area for area in (context.screen.areas if context.screen else ()) if area.type == "IMAGE_EDITOR"]


def image_editor_photo(context):
    """Path of the image shown in an open Image Editor, when it is a file on disk."""
    for area in image_editor_areas(context):
        image = area.spaces.active.image
        if image is not None and image.source == "FILE" and image.filepath:
            path = Path(bpy.path.abspath(image.filepath, library=image.library))
            if path.is_file():
                return path
    return None
