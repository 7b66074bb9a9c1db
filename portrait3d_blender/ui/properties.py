"""The scene's Portrait 3D settings (a PropertyGroup); `context.scene_settings` turns them into `Settings`."""

import bpy

from ..core.pipeline import Settings
from .photo_operators import refine_active_photo, regrade_active_photo

_DEFAULTS = Settings()


def _refine_live(settings, context):
    """A Mesh setting changed: with Live Update on, rebuild the active 3D photo now (it takes ~0.1 s).

    Only for the scene on screen: a new 3D photo's scene is given its settings before it is shown."""
    if settings.live_update and settings.id_data == context.scene:
        refine_active_photo(context)


def _grade_live(settings, context):
    """A Grade setting changed: the active 3D photo's grade nodes take it now (no re-meshing)."""
    regrade_active_photo(context)


def _exposure(layer):
    return bpy.props.FloatProperty(
        name=f"{layer} Exposure", description=f"Brighten (+) or darken (−) the {layer.lower()}, in stops",
        default=0.0, soft_min=-4.0, soft_max=4.0, step=10, update=_grade_live,
    )


def _saturation(layer):
    return bpy.props.FloatProperty(
        name=f"{layer} Saturation", description=f"Colour of the {layer.lower()}: 0 grey, 1 as shot, more is vivid",
        default=1.0, min=0.0, soft_max=2.0, update=_grade_live,
    )


def _temperature(layer):
    return bpy.props.FloatProperty(
        name=f"{layer} Temperature",
        description=f"Colour of the light on the {layer.lower()} in kelvin: 6500 as shot, lower warmer, higher cooler",
        default=_DEFAULTS.foreground_temperature, min=1000.0, soft_min=2000.0, soft_max=12000.0, max=40000.0,
        step=1000, precision=0, update=_grade_live,
    )


class PORTRAIT3D_PG_settings(bpy.types.PropertyGroup):
    mesh_resolution: bpy.props.IntProperty(
        name="Mesh Resolution",
        description="Quads along the photo's long side",
        default=_DEFAULTS.mesh_resolution,
        min=8,
        soft_max=1024,
        max=4096,
        update=_refine_live,
    )
    depth_strength: bpy.props.FloatProperty(
        name="Depth Strength",
        description="0 is a flat photo, 1 a natural relief, more exaggerates it",
        default=_DEFAULTS.depth_strength,
        min=0.0,
        soft_max=3.0,
        update=_refine_live,
    )
    layered: bpy.props.BoolProperty(
        name="Layered",
        description="Tear the mesh at depth edges and fill in what lies behind, instead of one stretched sheet",
        default=_DEFAULTS.layered,
        update=_refine_live,
    )
    tear_threshold: bpy.props.FloatProperty(
        name="Tear Threshold",
        description="Depth step, as a share of the distance, where the mesh tears; lower tears more",
        default=_DEFAULTS.tear_threshold,
        min=0.002,
        soft_max=0.2,
        precision=3,
        update=_refine_live,
    )
    live_update: bpy.props.BoolProperty(
        name="Live Update",
        description="Rebuild the active 3D photo as soon as a Mesh setting changes, without clicking Update",
        default=True,
    )
    live_update_error: bpy.props.StringProperty(
        name="Live Update Error",
        description="Why the last live update could not rebuild the 3D photo",
        options={"SKIP_SAVE"},
    )
    depth_source: bpy.props.EnumProperty(
        name="Depth Source",
        description="Where Create 3D Photo takes the photo's depth from",
        items=(
            ("NETWORK", "Network", "Estimate the depth with the add-on's own network"),
            ("FILE", "File", "A depth map: 16/8-bit PNG, JPEG, float TIFF or EXR, stretched to the photo"),
            ("EMBEDDED", "Embedded", "PHOTO_depth.jpg beside the photo, else the depth a phone stored in it "
             "(Google Camera portrait)"),
        ),
        default="NETWORK",
    )
    depth_map_path: bpy.props.StringProperty(
        name="Depth Map", description="The depth map file, white = near unless Far Is White", subtype="FILE_PATH"
    )
    depth_map_far_is_white: bpy.props.BoolProperty(
        name="Far Is White", description="The depth map is white far away (a float map then holds distances)"
    )
    foreground_exposure: _exposure("Foreground")
    background_exposure: _exposure("Background")
    foreground_saturation: _saturation("Foreground")
    background_saturation: _saturation("Background")
    foreground_temperature: _temperature("Foreground")
    background_temperature: _temperature("Background")
    haze_density: bpy.props.FloatProperty(
        name="Haze", description="Distance haze behind the people: how thick the air is, per distance to them",
        default=_DEFAULTS.haze_density, min=0.0, soft_max=4.0, update=_grade_live,
    )
    haze_color: bpy.props.FloatVectorProperty(
        name="Haze Color", subtype="COLOR", size=3, min=0.0, max=1.0, default=_DEFAULTS.haze_color,
        update=_grade_live,
    )
    max_texture_size: bpy.props.IntProperty(
        name="Texture Limit",
        description="Photos larger than this on their long side are scaled down for the texture (memory)",
        default=_DEFAULTS.max_texture_size,
        min=256,
        max=32768,
        subtype="PIXEL",
    )
    frames: bpy.props.IntProperty(
        name="Frames", description="Length of the camera loop", default=_DEFAULTS.frames, min=2, soft_max=600
    )
    fps: bpy.props.IntProperty(name="Frame Rate", default=_DEFAULTS.fps, min=1, max=120)
    orbit_size: bpy.props.FloatProperty(
        name="Orbit Size",
        description="Radius of the camera's circle, relative to the distance to the subject",
        default=_DEFAULTS.orbit_size,
        min=0.0,
        soft_max=0.2,
        subtype="FACTOR",
    )
    camera_move: bpy.props.EnumProperty(
        name="Camera Move",
        description="How the camera moves; Orbit Size sets how far",
        items=(
            ("ORBIT", "Orbit", "Circle around the capture point, the subject held still"),
            ("SWING", "Swing", "Sway from side to side, the subject held still"),
            ("VERTICAL", "Vertical", "Sway up and down, the subject held still"),
            ("DOLLY", "Dolly", "Move toward the subject"),
            ("DOLLY_ZOOM", "Dolly Zoom", "Move back while zooming in: the face keeps its size, the background grows"),
            ("KEN_BURNS", "Ken Burns", "Zoom in while panning toward the subject"),
        ),
        default=_DEFAULTS.camera_move,
    )
    camera_easing: bpy.props.EnumProperty(
        name="Easing",
        items=(
            ("EASE", "Ease In and Out", "Slow at the turning points (sinusoidal)"),
            ("LINEAR", "Linear", "Constant speed"),
        ),
        default=_DEFAULTS.camera_easing,
    )
    camera_loop: bpy.props.BoolProperty(
        name="Loop",
        description="Go there and back for a seamless loop; off: one way (an orbit always loops)",
        default=_DEFAULTS.camera_loop,
    )
    engine: bpy.props.EnumProperty(
        name="Engine",
        items=(
            ("EEVEE", "Eevee", "Fast GPU rasteriser"),
            ("CYCLES", "Cycles", "Path tracer; uses a GPU when one is available"),
        ),
        default=_DEFAULTS.engine,
    )
    lit: bpy.props.BoolProperty(
        name="Lit by Scene",
        description="Shade the photo with the scene's lights instead of showing its colours unchanged",
        default=_DEFAULTS.lit,
    )
    render_preset: bpy.props.EnumProperty(
        name="Quality",
        description="How Render Animation renders: a quick preview, the final quality, or your own size and samples",
        items=(
            ("PREVIEW", "Preview", "Small and quick, to judge the move: 384 px on the long side, 4 samples"),
            ("FINAL", "Final", "The photo's own resolution (up to 4096 px), 64 samples"),
            ("CUSTOM", "Custom", "Render Size and Samples as set below"),
        ),
        default="PREVIEW",
    )
    render_size: bpy.props.IntProperty(
        name="Render Size", description="Long side of the rendered frames in pixels", default=_DEFAULTS.render_size,
        min=16, max=8192, subtype="PIXEL",
    )
    render_samples: bpy.props.IntProperty(
        name="Samples", description="Samples per pixel: more is smoother and slower",
        default=_DEFAULTS.render_samples, min=1, soft_max=256, max=4096,
    )
    f_stop: bpy.props.FloatProperty(
        name="F-Stop",
        description="Aperture for Focus on Face: lower blurs more of what is nearer or farther than the face",
        default=2.8,
        min=0.05,
        soft_min=0.5,
        soft_max=22.0,
        step=10,
        precision=1,
    )
    stereo_mode: bpy.props.EnumProperty(
        name="Stereo",
        description="Render left and right eye views, converging on the face",
        items=(
            ("NONE", "Off", "One view"),
            ("SIDE_BY_SIDE", "Side by Side", "Left and right views next to each other (twice as wide)"),
            ("ANAGLYPH", "Anaglyph", "Red/cyan glasses"),
        ),
        default="NONE",
    )
    output_format: bpy.props.EnumProperty(
        name="Format",
        description="What Render Animation writes",
        items=(
            ("MP4", "MP4", "H.264 video"),
            ("WEBM", "WebM", "VP9 video, for the web"),
            ("GIF", "GIF", "Animated GIF that loops forever (256 colours)"),
            ("PNG", "PNG Frames", "A folder of numbered PNG frames"),
        ),
        default="MP4",
    )
    output_path: bpy.props.StringProperty(
        name="Output",
        description="File (or folder, for PNG frames) to render; its suffix follows the format. "
        "Empty: beside the photo, named after it",
        subtype="FILE_PATH",
        default="",
    )
    overwrite: bpy.props.BoolProperty(
        name="Overwrite", description="Replace an existing output of the same name", default=False
    )


CLASSES = (PORTRAIT3D_PG_settings,)
