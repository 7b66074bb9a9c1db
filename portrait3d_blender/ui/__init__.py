"""Operators, panels, settings and preferences: thin, calling into `blender.scene` and `core.pipeline`."""
