"""Add in Depth: a text or a sticker (an image with alpha) placed at the 3D cursor's spot of the photo, at a
depth between the nearest person and the wall behind that spot; its redo panel's slider moves it in depth.
A photo this session has not analysed yet (a .blend just opened) is analysed on the worker thread first."""

import bpy

from ..blender import in_depth
from ..blender.photo3d import Photo3D
from ..core import pipeline
from ..core.errors import USER_ERRORS, user_message
from .context import OVERWRITE_HINT, ImageFileBrowser, scene_settings
from .worker import PhotoAnalysisOperator, when_analysed


def _get_depth(obj):
    return obj.get(in_depth.IN_DEPTH_TAG, {}).get("share", 1.0)


def _set_depth(obj, share):
    """The panel's Depth slider on a text or sticker: the tag takes the value at once, and the object moves to it
    now, or once the worker thread has analysed a photo this session has not (a .blend just reopened). A
    property setter has no report, so an error goes to the panel as a live update's does; an object no longer
    in a 3D photo stays put."""
    photo = Photo3D.of_object(obj)
    if photo is None or in_depth.IN_DEPTH_TAG not in obj:
        return
    obj[in_depth.IN_DEPTH_TAG]["share"] = share
    name = obj.name
    when_analysed(bpy.context, photo, f"depth {name}", lambda photo, scene: _move_to_its_depth(name, photo, scene))


def _move_to_its_depth(name, photo, scene):
    """Move the text or sticker called `name` to the depth its tag gives, if it is still one of `photo`'s."""
    obj = bpy.data.objects.get(name)
    if obj is None or in_depth.IN_DEPTH_TAG not in obj or Photo3D.of_object(obj) != photo:
        return
    try:
        in_depth.move_in_depth(obj, photo, scene_settings(bpy.context, scene), _get_depth(obj))
    except USER_ERRORS as error:
        scene.portrait3d.live_update_error = user_message(error, OVERWRITE_HINT)


def _depth_slider(**options):
    """A 0-1 Depth slider: the operator's (redo panel) and `Object.portrait3d_depth` (the sub-panel's)."""
    return bpy.props.FloatProperty(
        name="Depth", description="Where it stands: 0 at the nearest person, 1 just in front of the wall behind",
        min=0.0, max=1.0, subtype="FACTOR", **options,
    )


def depth_property():
    """`Object.portrait3d_depth`: where a text or sticker stands, read from and written to its tag."""
    return _depth_slider(get=_get_depth, set=_set_depth)


class PORTRAIT3D_OT_add_in_depth(PhotoAnalysisOperator, ImageFileBrowser, bpy.types.Operator):
    """Add a text or a sticker at the 3D cursor's spot of the photo (Shift+Right-click it), facing the capture
    camera, just in front of the wall behind it; nearer layers hide it as the camera moves"""

    bl_idname = "portrait3d.add_in_depth"
    bl_label = "Add in Depth"
    bl_options = {"REGISTER", "UNDO"}

    kind: bpy.props.EnumProperty(
        name="Add", items=(("TEXT", "Text", "A line of text"), ("IMAGE", "Sticker", "An image, with its alpha")),
        default="TEXT",
    )
    text: bpy.props.StringProperty(name="Text", default="Hello")
    filter_image: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})  # any image Blender reads
    filter_folder: bpy.props.BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    depth: _depth_slider(default=1.0)
    size: bpy.props.FloatProperty(
        name="Size", description="Height in photo pixels (a text's font size)", default=120.0, min=1.0,
        soft_max=2000.0, subtype="PIXEL",
    )

    def invoke(self, context, event):
        if self.kind == "IMAGE" and not self.filepath:
            return self.browse(context)
        return self.execute(context)

    def _content(self):
        return self.text if self.kind == "TEXT" else bpy.path.abspath(self.filepath)

    def refuse_early(self, context, photo):
        in_depth.check_content(self.kind, self._content())

    def run(self, context, photo, analysis):
        settings = scene_settings(context)
        pixel = pipeline.photo_pixel(analysis, settings, context.scene.cursor.location)
        obj = in_depth.place_in_depth(photo, settings, self.kind, self._content(), pixel, self.depth, self.size)
        for selected in context.selected_objects:
            selected.select_set(False)
        obj.select_set(True)
        context.view_layer.objects.active = obj
        self.report({"INFO"}, f"Added '{obj.name}' at pixel {pixel[0]:.0f},{pixel[1]:.0f}")
        return {"FINISHED"}


CLASSES = (PORTRAIT3D_OT_add_in_depth,)
