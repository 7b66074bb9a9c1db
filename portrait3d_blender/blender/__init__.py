"""The one Blender boundary: arrays from `core` written into Blender data."""
