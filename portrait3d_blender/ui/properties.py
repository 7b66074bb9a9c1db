"""The scene's Portrait 3D settings (a PropertyGroup); `context.scene_settings` turns them into `Settings`.

The properties for `pipeline.Settings` are made from `core.options` (label, tooltip, limits, choices, defaults),
so the panel, the CLI and the pipeline cannot drift apart; the rest belong to the panel only.
"""

import bpy

from ..core import depth_source
from ..core.options import OPTIONS
from ..core.pipeline import Settings
from .photo_operators import refine_active_photo, regrade_active_photo

_DEFAULTS = Settings()
_DEPTH_SOURCES = {
    "NETWORK": ("Network", "Estimate the depth with the add-on's own network"),
    "FILE": ("File", "A depth map: 16/8-bit PNG, JPEG, float TIFF or EXR, stretched to the photo"),
    "EMBEDDED": ("Embedded", "PHOTO_depth.jpg beside the photo, else the depth a phone stored in it "
                 "(Google Camera, iPhone portrait)"),
}
_LIMITS = ("min", "max", "soft_min", "soft_max", "step", "precision", "subtype")


def _refine_live(settings, context):
    """A Mesh setting changed: with Live Update on, rebuild the active 3D photo now (it takes ~0.1 s).

    Only for the scene on screen: a new 3D photo's scene is given its settings before it is shown."""
    if settings.live_update and settings.id_data == context.scene:
        refine_active_photo(context)


def _grade_live(settings, context):
    """A Grade setting changed: the active 3D photo's grade nodes take it now (no re-meshing)."""
    if settings.id_data == context.scene:
        regrade_active_photo(context)


_LIVE_UPDATES = {"MESH": _refine_live, "GRADE": _grade_live}


def _property(name, option):
    """The bpy property for one `pipeline.Settings` field, as `core.options` describes it."""
    default = option.panel_default if option.panel_default is not None else getattr(_DEFAULTS, name)
    common = {"name": option.label, "description": option.description, "default": default}
    if option.live:
        common["update"] = _LIVE_UPDATES[option.live]
    if option.choices:
        return bpy.props.EnumProperty(items=option.choices, **common)
    if isinstance(default, bool):
        return bpy.props.BoolProperty(**common)
    limits = {key: getattr(option, key) for key in _LIMITS if getattr(option, key) is not None}
    if isinstance(default, tuple):
        return bpy.props.FloatVectorProperty(size=len(default), **common, **limits)
    if isinstance(default, int):
        return bpy.props.IntProperty(**common, **limits)
    return bpy.props.FloatProperty(**common, **limits)


class PORTRAIT3D_PG_settings(bpy.types.PropertyGroup):
    __annotations__ = {
        **{name: _property(name, option) for name, option in OPTIONS.items()},
        "live_update": bpy.props.BoolProperty(
            name="Live Update",
            description="Rebuild the active 3D photo as soon as a Mesh setting changes, without clicking Update",
            default=True,
        ),
        "live_update_error": bpy.props.StringProperty(
            name="Live Update Error",
            description="Why the last live update could not rebuild the 3D photo",
            options={"SKIP_SAVE"},
        ),
        "depth_source": bpy.props.EnumProperty(
            name="Depth Source",
            description="Where Create 3D Photo takes the photo's depth from",
            items=tuple((kind, *_DEPTH_SOURCES[kind]) for kind in depth_source.KINDS),
            default="NETWORK",
        ),
        "depth_map_path": bpy.props.StringProperty(
            name="Depth Map", description="The depth map file, white = near unless Far Is White", subtype="FILE_PATH"
        ),
        "depth_map_far_is_white": bpy.props.BoolProperty(
            name="Far Is White", description="The depth map is white far away (a float map then holds distances)"
        ),
        "f_stop": bpy.props.FloatProperty(
            name="F-Stop",
            description="Aperture for depth of field: lower blurs more of what is nearer or farther than the focus",
            default=2.8, min=0.05, max=128.0, soft_min=0.5, soft_max=22.0, step=10, precision=1,
        ),
        "stereo_mode": bpy.props.EnumProperty(
            name="Stereo",
            description="Render left and right eye views, converging on the face",
            items=(
                ("NONE", "Off", "One view"),
                ("SIDE_BY_SIDE", "Side by Side", "Left and right views next to each other (twice as wide)"),
                ("ANAGLYPH", "Anaglyph", "Red/cyan glasses"),
            ),
            default="NONE",
        ),
        "output_format": bpy.props.EnumProperty(
            name="Format",
            description="What Render Animation writes",
            items=(
                ("MP4", "MP4", "H.264 video"),
                ("WEBM", "WebM", "VP9 video, for the web"),
                ("GIF", "GIF", "Animated GIF that loops forever (256 colours)"),
                ("PNG", "PNG Frames", "A folder of numbered PNG frames"),
            ),
            default="MP4",
        ),
        "output_path": bpy.props.StringProperty(
            name="Output",
            description="File (or folder, for PNG frames) to render; its suffix follows the format. "
            "Empty: beside the photo, named after it",
            subtype="FILE_PATH",
            default="",
        ),
        "overwrite": bpy.props.BoolProperty(
            name="Overwrite", description="Replace an existing output of the same name", default=False
        ),
    }


CLASSES = (PORTRAIT3D_PG_settings,)
