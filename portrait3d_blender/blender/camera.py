"""A camera with the photo's intrinsics, keyframed along the planned path."""

import bpy
import numpy as np

from . import compat

_LINEAR = 1  # Keyframe.interpolation enum value of 'LINEAR', for foreach_set


def new_camera(name, intrinsics, focus_distance, zoom=1.0):
    """The capture camera's lens, times `zoom` to keep the photo's borders out of a moving camera's view."""
    camera = bpy.data.cameras.new(name)
    camera.sensor_fit = "AUTO"  # the 36 mm sensor spans the long side, whatever the photo's orientation
    camera.sensor_width = 36.0
    camera.lens = intrinsics.lens_mm_on_36mm_sensor * zoom
    camera.clip_start = focus_distance * 0.01
    camera.clip_end = focus_distance * 100.0
    camera.dof.focus_distance = focus_distance
    return camera


def keyframe_path(obj, locations, rotations, first_frame=1, loop=True, lens_factors=None):
    """One linear keyframe per frame on location and rotation, and on the camera's lens when `lens_factors`
    (multiples of its current lens) vary.

    A loop gets one more key, a copy of the first, one frame after the last, and a Cycles modifier: the curve's
    period is then exactly the path's length and it repeats seamlessly past the scene's end. The lens curve
    lives in the same action, in the camera data's own slot.
    """
    action = bpy.data.actions.new(f"{obj.name} Path")
    obj.animation_data_create().action = action
    curves = [("location", locations, obj, action), ("rotation_euler", rotations, obj, action)]
    if lens_factors is not None and np.ptp(lens_factors) > 0.0:
        lens_action = action if compat.has_action_slots(action) else bpy.data.actions.new(f"{obj.name} Lens")
        obj.data.animation_data_create().action = lens_action
        lens = (obj.data.lens * np.asarray(lens_factors, dtype=np.float64))[:, None]
        curves.append(("lens", lens, obj.data, lens_action))
    for data_path, values, owner, owner_action in curves:
        values = np.vstack([values, values[:1]]) if loop else np.asarray(values)
        frame_count = len(values)
        frames = first_frame + np.arange(frame_count, dtype=np.float64)
        for axis in range(values.shape[1]):
            curve = compat.fcurve(owner_action, owner, data_path, axis)
            curve.keyframe_points.add(frame_count)
            points = np.column_stack([frames, values[:, axis]]).astype(np.float32)
            curve.keyframe_points.foreach_set("co", points.ravel())
            curve.keyframe_points.foreach_set("interpolation", np.full(frame_count, _LINEAR, dtype=np.int32))
            if loop:
                curve.modifiers.new("CYCLES")
            curve.update()
    obj.location = locations[0]
    obj.rotation_euler = rotations[0]
    return action
