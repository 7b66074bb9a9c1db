"""Add-on preferences: where the depth network runs."""

import bpy

ADDON_PACKAGE = __package__.rpartition(".")[0]  # preferences are keyed by the add-on's package, not this module


class PORTRAIT3D_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    compute_device: bpy.props.EnumProperty(
        name="Compute Device",
        description="Where the depth network runs",
        items=(
            ("AUTO", "Automatic", "A CUDA or Apple GPU when PyTorch finds one, otherwise the CPU"),
            ("CPU", "CPU", "Always the CPU"),
        ),
        default="AUTO",
    )

    def draw(self, context):
        self.layout.prop(self, "compute_device")


def compute_device(context):
    """The user's choice, or 'AUTO' when the add-on is not registered (the CLI, tests)."""
    addon = context.preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences.compute_device if addon and addon.preferences else "AUTO"


CLASSES = (PORTRAIT3D_AP_preferences,)
