"""Render settings from the photo's aspect, the engine and device choice, and video output."""

import bpy

from ..core import output_files
from . import compat

GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "METAL", "ONEAPI")


def output_size(photo_size, long_side):
    """Render size with the photo's aspect (`photo_size` = (width, height)); even numbers, as H.264 needs."""
    return output_files.render_size(*photo_size, long_side)


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
    """Render Cycles on the first GPU backend that has a device, else the CPU."""
    scene.cycles.device = "CPU"
    if compute_device == "CPU":
        return
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
            return
    preferences.compute_device_type = "NONE"


def device_line(scene):
    """The engine and the device it renders `scene` on, as Blender is set up now, e.g. "Cycles on the CPU"."""
    if scene.render.engine == "CYCLES":
        preferences = bpy.context.preferences.addons["cycles"].preferences
        backend = preferences.compute_device_type
        gpus = [device.name for device in preferences.devices if device.use and device.type == backend]
        if scene.cycles.device == "GPU" and backend != "NONE" and gpus:
            return f"Cycles on the GPU ({backend}: {', '.join(gpus)})"
        return "Cycles on the CPU"
    import gpu

    try:
        renderer, device_type = gpu.platform.renderer_get(), gpu.platform.device_type_get()
    except SystemError:  # background mode before any render: no OpenGL context to ask yet
        return "Eevee on the OpenGL device Blender finds (a GPU, else software on the CPU)"
    if device_type == "SOFTWARE":
        return f"Eevee on the CPU (software OpenGL: {renderer}; no GPU found)"
    return f"Eevee on the GPU ({renderer})"


def render_size_and_samples(settings, photo_size):
    """(long side, samples) to render: the settings' own, or those of their `render_preset` for this photo."""
    if settings.render_preset != "CUSTOM":
        values = output_files.preset_settings(settings.render_preset.lower(), max(photo_size))
        return values["render_size"], values["render_samples"]
    return settings.render_size, settings.render_samples


def configure_render(scene, photo_size, settings):
    """Resolution (the photo's aspect, `photo_size` = (width, height)), frame rate, engine, samples and a view
    transform that shows the photo's colours unchanged. The frame range follows the camera path, not this.

    Returns `device_line(scene)`.
    """
    render = scene.render
    long_side, samples = render_size_and_samples(settings, photo_size)
    render.resolution_x, render.resolution_y = output_size(photo_size, long_side)
    render.resolution_percentage = 100
    render.fps = settings.fps
    render.fps_base = 1.0
    scene.view_settings.view_transform = "Standard"  # AgX/Filmic would tone-map the photo's colours
    scene.view_settings.look = "None"
    if settings.engine == "EEVEE":
        compat.use_eevee(render)
        scene.eevee.taa_render_samples = samples
    else:
        render.engine = "CYCLES"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = False  # an emissive photo has no noise to remove, only edges to keep
        scene.cycles.max_bounces = 0 if not settings.lit else 4
        use_cycles_device(scene, settings.compute_device)
    render.use_persistent_data = True  # the mesh stays put: build its BVH once, not every frame
    return device_line(scene)


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
