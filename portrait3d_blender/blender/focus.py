"""Depth of field focused on the face, a 'refocus' still render, and stereo (side-by-side or anaglyph) output.

`plan_scene` puts the face (the focus point) at the world origin. Depth of field focuses on an Empty there, so
the focus follows the face through any camera move, and a user can move the Empty to refocus. Stereo uses
Blender's multiview with an off-axis camera pair converging on the face, its baseline from the depth range.
"""

import contextlib
from pathlib import Path

import bpy
import numpy as np

from ..core import camera_path, depth_of_field, output_files, pipeline, verify
from ..core.errors import NoFaceError
from . import compat
from . import render as blender_render

FOCUS_SUFFIX = " Focus"
STEREO_MODES = {"SIDE_BY_SIDE": "SIDEBYSIDE", "ANAGLYPH": "ANAGLYPH"}


def face_depth(camera_object, point=(0.0, 0.0, 0.0)):
    """Distance from the camera to the plane through `point` facing it (what a lens focuses at), now."""
    matrix = np.array(camera_object.matrix_world)
    return float(np.dot(matrix[:3, 3] - np.asarray(point), matrix[:3, 2]))  # along the backward (+Z) axis


def enable_depth_of_field(camera_object, f_stop, point=(0.0, 0.0, 0.0)):
    """Focus `camera_object` on an Empty at `point` (the face), at aperture `f_stop`; returns the Empty.

    The Empty is made once per camera, beside it in its collections. `focus_distance` is also set to the face's
    depth from the current pose, for anything that ignores the focus object.
    """
    name = f"{camera_object.name}{FOCUS_SUFFIX}"
    empty = bpy.data.objects.get(name)
    if empty is None or empty.type != "EMPTY":
        empty = bpy.data.objects.new(name, None)
        empty.empty_display_type = "SPHERE"
        for collection in camera_object.users_collection:
            collection.objects.link(empty)
    empty.empty_display_size = 0.02 * max(face_depth(camera_object, point), 1e-3)
    empty.location = point
    dof = camera_object.data.dof
    dof.use_dof = True
    dof.focus_object = empty
    dof.focus_distance = face_depth(camera_object, point)
    dof.aperture_fstop = f_stop
    return empty


def current_focus_point(camera_object):
    """Where the camera focuses: its focus object (the face, or wherever the user moved or put it), else the face."""
    focus_object = camera_object.data.dof.focus_object
    return tuple(focus_object.matrix_world.translation) if focus_object is not None else (0.0, 0.0, 0.0)


def disable_depth_of_field(camera_object):
    camera_object.data.dof.use_dof = False


def mesh_depth_range(camera_object, objects):
    """Nearest and farthest vertex depth (along the camera's view axis) of `objects`, from the current pose."""
    matrix = np.array(camera_object.matrix_world)
    depths = []
    for obj in objects:
        coordinates = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
        obj.data.vertices.foreach_get("co", coordinates)
        world = coordinates.reshape(-1, 3) @ np.array(obj.matrix_world)[:3, :3].T + np.array(obj.matrix_world)[:3, 3]
        depths.append((matrix[:3, 3] - world) @ matrix[:3, 2])
    depths = np.concatenate(depths)
    return float(depths.min()), float(depths.max())


def configure_stereo(scene, camera_object, mode, objects, point=(0.0, 0.0, 0.0)):
    """Render left and right views combined side by side or as a red/cyan anaglyph; "NONE" turns stereo off.

    The pair converges on the face (zero parallax there) and its baseline keeps the nearest and farthest parts
    of the 3D photo within a comfortable disparity (see `camera_path.stereo_baseline`).
    """
    render = scene.render
    if mode == "NONE":
        render.use_multiview = False
        return None
    render.use_multiview = True
    render.views_format = "STEREO_3D"
    render.image_settings.views_format = "STEREO_3D"
    render.image_settings.stereo_3d_format.display_mode = STEREO_MODES[mode]
    if mode == "ANAGLYPH":
        render.image_settings.stereo_3d_format.anaglyph_type = "RED_CYAN"
    else:
        render.image_settings.stereo_3d_format.use_squeezed_frame = False
    camera = camera_object.data
    convergence = face_depth(camera_object, point)
    near, far = mesh_depth_range(camera_object, objects) if objects else (0.8 * convergence, 3.0 * convergence)
    camera.stereo.convergence_mode = "OFFAXIS"
    camera.stereo.convergence_distance = convergence
    camera.stereo.interocular_distance = camera_path.stereo_baseline(
        near, far, convergence, camera.lens / camera.sensor_width
    )
    return camera.stereo.interocular_distance


def all_faces_focus(scene, photo, settings, f_stop):
    """Where `photo`'s camera must focus, and at what f-stop (`f_stop` or smaller), for every face found in the
    photo to stay within one output pixel's blur circle in every frame of its move (`core.depth_of_field`)."""
    analysis = photo.analysis()
    if not analysis.faces:
        raise NoFaceError(f"No face found in {photo.source.name} to keep in focus")
    to_photo = analysis.photo.width / analysis.mask.shape[1]
    points = [pipeline.surface_point(analysis, settings, face.center_x * to_photo, face.center_y * to_photo)
              for face in analysis.faces]
    camera = photo.camera_in(scene)
    poses = []
    current = scene.frame_current
    for frame in range(scene.frame_start, scene.frame_end + 1):  # the move as it is now, edits included
        scene.frame_set(frame)
        matrix = np.array(camera.matrix_world)
        poses.append((matrix[:3, 3], -matrix[:3, 2], camera.data.lens))
    scene.frame_set(current)
    locations, views, lenses = (np.array(values) for values in zip(*poses))
    render = scene.render
    pixels = max(render.resolution_x, render.resolution_y) * render.resolution_percentage / 100.0
    pixel_mm = camera.data.sensor_width / pixels  # the 'AUTO' sensor fit spans the long side
    return depth_of_field.focus_on_all(points, locations, views, lenses, pixel_mm, f_stop)


def all_faces_line(result):
    """What the user is told about an all-faces focus: the f-stop used, and why."""
    faces = result.blur_px.shape[1]
    line = f"Focused on all {faces} faces" if faces > 1 else "Focused on the face"
    line += f" at f/{result.f_stop:.1f}"
    if result.stopped_down:
        line += f" (stopped down from f/{result.asked_f_stop:g} so every face stays within one pixel)"
    return line + f"; widest blur {result.blur_px.max():.2f} px"


def set_up_camera(scene, photo, stereo_mode="NONE", f_stop=None, point=None):
    """Ready `photo`'s camera to render `scene`: the scene's camera, depth of field at `f_stop` (None: as it is)
    focused on `point` (None: where it focuses now), and stereo in `stereo_mode`. Returns the camera.

    The one set-up the render operators and the CLI make after `make_3d_photo`.
    """
    camera = photo.camera_in(scene)
    scene.camera = camera
    scene.frame_set(scene.frame_current)  # the camera's pose at this frame, for the depths below
    if point is None:
        point = current_focus_point(camera)
    if f_stop is not None:
        enable_depth_of_field(camera, f_stop, point)
    configure_stereo(scene, camera, stereo_mode, photo.mesh_objects, point)
    return camera


@contextlib.contextmanager
def _still_output(scene, path):
    """Point the scene's output at one PNG for the block, then restore its output settings."""
    render, settings = scene.render, scene.render.image_settings
    saved = (render.filepath, render.use_file_extension, compat.media_type(settings), settings.file_format,
             settings.color_mode, settings.color_depth)
    try:
        compat.set_media_type(settings, "IMAGE")
        settings.file_format = "PNG"
        settings.color_mode = "RGB"
        settings.color_depth = "8"
        render.filepath = str(path)
        render.use_file_extension = False
        yield
    finally:
        render.filepath, render.use_file_extension = saved[0], saved[1]
        compat.set_media_type(settings, saved[2])
        settings.file_format = saved[3]
        if saved[2] in ("IMAGE", None):
            settings.color_mode, settings.color_depth = saved[4], saved[5]


def render_still(scene, output, frame=None):
    """Render one frame (default: the current one) to the PNG `output`, atomically; returns `output`."""
    output = Path(output)
    if frame is not None:
        scene.frame_set(frame)
    size = blender_render.frame_size(scene)

    def reads_back(written):
        verify.image(written, size)

    with output_files.atomic_file(output, reads_back) as temporary, _still_output(scene, temporary):
        bpy.ops.render.render(write_still=True, scene=scene.name)  # a RuntimeError: one line from atomic_file
    return output
