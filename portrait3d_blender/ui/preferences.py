"""Add-on preferences: where Cycles renders (the depth network always runs on the CPU, through OpenCV)."""

import bpy

ADDON_PACKAGE = __package__.rpartition(".")[0]  # preferences are keyed by the add-on's package, not this module


class PORTRAIT3D_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    compute_device: bpy.props.EnumProperty(
        name="Render Device",
        description="Where Cycles renders the 3D photo",
        items=(
            ("AUTO", "Automatic", "The first GPU Cycles finds (OptiX, CUDA, HIP, Metal, oneAPI), otherwise the CPU"),
            ("CPU", "CPU", "Always the CPU"),
        ),
        default="AUTO",
    )

    def draw(self, context):
        self.layout.prop(self, "compute_device")
        # The network is small enough that a GPU would save nothing a user could notice (README: performance).
        self.layout.label(text="The depth network runs on the CPU (OpenCV DNN)", icon="INFO")


def compute_device(context):
    """The user's choice, or 'AUTO' when the add-on is not registered (the CLI, tests)."""
    addon = context.preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences.compute_device if addon and addon.preferences else "AUTO"


CLASSES = (PORTRAIT3D_AP_preferences,)
