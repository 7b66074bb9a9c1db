"""Blender-free pipeline stages: numpy in, numpy out. Nothing here imports bpy."""
