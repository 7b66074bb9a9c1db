"""Render settings from the photo's aspect, the engine and device choice, and video output."""

import bpy

from ..core import output_files
from . import compat

GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "METAL", "ONEAPI")


def output_size(intrinsics, long_side):
    """Render size with the photo's aspect; even numbers, because H.264 needs them."""
    return output_files.render_size(intrinsics.width, intrinsics.height, long_side)


def frame_size(scene):
    """The size of the frames the scene renders: twice as wide (or tall) for stereo side by side (top-bottom)."""
    render = scene.render
    width = round(render.resolution_x * render.resolution_percentage / 100)
    height = round(render.resolution_y * render.resolution_percentage / 100)
    if render.use_multiview and render.views_format == "STEREO_3D":
        stereo = render.image_settings.stereo_3d_format
        if stereo.display_mode == "SIDEBYSIDE" and not stereo.use_squeezed_frame:
            width *= 2
        elif stereo.display_mode == "TOPBOTTOM" and not stereo.use_squeezed_frame:
            height *= 2
    return width, height


def use_cycles_device(scene, compute_device="AUTO"):
    """Render Cycles on the first GPU backend that has a device, else the CPU; returns what was picked."""
    scene.cycles.device = "CPU"
    if compute_device == "CPU":
        return "CPU"
    preferences = bpy.context.preferences.addons["cycles"].preferences
    for backend in GPU_BACKENDS:
        try:
            preferences.compute_device_type = backend
        except TypeError:  # this build of Blender has no such backend
            continue
        preferences.refresh_devices()
        gpus = [device for device in preferences.devices if device.type == backend]
        if gpus:
            for device in gpus:
                device.use = True
            scene.cycles.device = "GPU"
            return f"GPU ({backend}: {', '.join(device.name for device in gpus)})"
    preferences.compute_device_type = "NONE"
    return "CPU"


def configure_render(scene, intrinsics, settings):
    """Resolution, frame range, engine and a view transform that shows the photo's colours unchanged.

    Returns a line naming the engine and the device it will use.
    """
    render = scene.render
    render.resolution_x, render.resolution_y = output_size(intrinsics, settings.render_size)
    render.resolution_percentage = 100
    render.fps = settings.fps
    render.fps_base = 1.0
    scene.frame_start = 1
    scene.frame_end = settings.frames
    scene.view_settings.view_transform = "Standard"  # AgX/Filmic would tone-map the photo's colours
    scene.view_settings.look = "None"
    if settings.engine == "EEVEE":
        compat.use_eevee(render)
    else:
        render.engine = "CYCLES"
    render.use_persistent_data = True  # the mesh stays put: build its BVH once, not every frame
    if settings.engine == "CYCLES":
        scene.cycles.samples = settings.render_samples
        scene.cycles.use_denoising = False  # an emissive photo has no noise to remove, only edges to keep
        scene.cycles.max_bounces = 0 if not settings.lit else 4
        return f"Cycles on {use_cycles_device(scene, settings.compute_device)}"
    scene.eevee.taa_render_samples = settings.render_samples
    return "Eevee on the GPU"


def configure_video(scene, filepath, container="MPEG4", codec="H264"):
    """Render the animation to one video file through Blender's own FFmpeg."""
    settings = scene.render.image_settings
    compat.set_media_type(settings, "VIDEO")
    settings.file_format = "FFMPEG"
    ffmpeg = scene.render.ffmpeg
    ffmpeg.format = container
    ffmpeg.codec = codec
    ffmpeg.constant_rate_factor = "HIGH"
    ffmpeg.ffmpeg_preset = "GOOD"
    ffmpeg.audio_codec = "NONE"
    scene.render.filepath = str(filepath)
    scene.render.use_file_extension = False
