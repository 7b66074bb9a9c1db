"""Portrait 3D: one photo of a person → an animated 3D photo in Blender.

Only registration lives here; nothing heavy is imported until a class is registered, so that
`python -m portrait3d_blender depth ...` runs without Blender and enabling the add-on is instant.
"""


def _ui_modules():
    from .ui import (
        export_operators, focus_operators, in_depth_operators, panels, photo_operators, preferences, properties,
        render_operators,
    )

    return (preferences, properties, photo_operators, render_operators, export_operators, focus_operators,
            in_depth_operators, panels)


def register():
    import bpy

    from .ui.in_depth_operators import depth_property
    from .ui.properties import PORTRAIT3D_PG_settings

    for module in _ui_modules():
        for cls in module.CLASSES:
            bpy.utils.register_class(cls)
    bpy.types.Scene.portrait3d = bpy.props.PointerProperty(type=PORTRAIT3D_PG_settings)
    bpy.types.Object.portrait3d_depth = depth_property()


def unregister():
    import bpy

    del bpy.types.Object.portrait3d_depth
    del bpy.types.Scene.portrait3d
    for module in reversed(_ui_modules()):
        for cls in reversed(module.CLASSES):
            bpy.utils.unregister_class(cls)
