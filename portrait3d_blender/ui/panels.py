"""The "Portrait 3D" tab in the 3D Viewport's sidebar: Create (and Update) first, then a sub-panel per topic.

Depth, Mesh and Camera shape the next Create as well as the active 3D photo, so they always show; Grade,
Render, Text & Stickers, Export and Focus act on the active 3D photo, so they show only when there is one.
Rarely used ones start closed. An editing tool adds a sub-panel of its own: subclass `PhotoSubPanel` with a
`bl_label` and a `draw`, and list it in `CLASSES`.
"""

import bpy

from ..blender.photo3d import Photo3D


def _property_layout(panel):
    layout = panel.layout
    layout.use_property_split = True
    layout.use_property_decorate = False
    return layout


class PORTRAIT3D_PT_main(bpy.types.Panel):
    bl_label = "Portrait 3D"
    bl_idname = "PORTRAIT3D_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Portrait 3D"

    def draw(self, context):
        layout = self.layout
        photo = Photo3D.active(context)
        column = layout.column(align=True)
        column.scale_y = 1.4
        column.operator("portrait3d.create_3d_photo", icon="IMAGE_DATA")
        if photo is None:
            layout.label(text="Each 3D photo gets a scene of its own", icon="INFO")
            return
        column.operator("portrait3d.refine_3d_photo", icon="FILE_REFRESH", text="Update 3D Photo")
        layout.label(text=photo.name, icon="OUTLINER_COLLECTION")
        error = context.scene.portrait3d.live_update_error
        if error:
            layout.label(text=error, icon="ERROR")


class _SubPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Portrait 3D"
    bl_parent_id = "PORTRAIT3D_PT_main"


class PhotoSubPanel(_SubPanel):
    """A sub-panel that shows only when a 3D photo is active."""

    @classmethod
    def poll(cls, context):
        return Photo3D.active(context) is not None


class PORTRAIT3D_PT_depth(_SubPanel, bpy.types.Panel):
    bl_label = "Depth"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = _property_layout(self)
        settings = context.scene.portrait3d
        layout.prop(settings, "depth_source", text="Source")
        if settings.depth_source == "FILE":
            layout.prop(settings, "depth_map_path")
        if settings.depth_source != "NETWORK":
            layout.prop(settings, "depth_map_far_is_white")


class PORTRAIT3D_PT_mesh(_SubPanel, bpy.types.Panel):
    bl_label = "Mesh"

    def draw(self, context):
        layout = _property_layout(self)
        settings = context.scene.portrait3d
        layout.prop(settings, "mesh_resolution", text="Resolution")
        layout.prop(settings, "depth_strength")
        layout.prop(settings, "layered")
        row = layout.row()
        row.active = settings.layered
        row.prop(settings, "tear_threshold")
        layout.prop(settings, "max_texture_size")
        layout.prop(settings, "live_update")


class PORTRAIT3D_PT_camera(_SubPanel, bpy.types.Panel):
    bl_label = "Camera"

    def draw(self, context):
        layout = _property_layout(self)
        settings = context.scene.portrait3d
        layout.prop(settings, "camera_move", text="Move")
        layout.prop(settings, "orbit_size")
        layout.prop(settings, "frames")
        column = layout.column()
        column.active = settings.camera_move != "ORBIT"
        column.prop(settings, "camera_easing")
        column.prop(settings, "camera_loop")


class PORTRAIT3D_PT_grade(PhotoSubPanel, bpy.types.Panel):
    bl_label = "Grade"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = _property_layout(self)
        settings = context.scene.portrait3d
        for layer in ("foreground", "background"):
            column = layout.column(heading=layer.title())
            column.prop(settings, f"{layer}_exposure", text="Exposure")
            column.prop(settings, f"{layer}_saturation", text="Saturation")
            column.prop(settings, f"{layer}_temperature", text="Temperature")
        layout.prop(settings, "haze_density")
        row = layout.row()
        row.active = settings.haze_density > 0.0
        row.prop(settings, "haze_color")


class PORTRAIT3D_PT_render(PhotoSubPanel, bpy.types.Panel):
    bl_label = "Render"

    def draw(self, context):
        layout = _property_layout(self)
        settings = context.scene.portrait3d
        layout.row().prop(settings, "render_preset", expand=True)
        column = layout.column()
        column.active = settings.render_preset == "CUSTOM"
        column.prop(settings, "render_size")
        column.prop(settings, "render_samples")
        layout.prop(settings, "engine")
        layout.prop(settings, "fps")
        layout.prop(settings, "lit")
        layout.prop(settings, "stereo_mode")
        layout.prop(settings, "output_format")
        layout.prop(settings, "output_path")
        layout.prop(settings, "overwrite")
        layout.operator("portrait3d.render_animation", icon="RENDER_ANIMATION")


class PORTRAIT3D_PT_in_depth(PhotoSubPanel, bpy.types.Panel):
    bl_label = "Text & Stickers"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        row = self.layout.row(align=True)
        row.operator("portrait3d.add_in_depth", icon="FONT_DATA", text="Add Text in Depth").kind = "TEXT"
        row.operator("portrait3d.add_in_depth", icon="IMAGE_RGB_ALPHA", text="Add Sticker").kind = "IMAGE"
        active = context.active_object
        if active is not None and "portrait3d_in_depth" in active:
            self.layout.prop(active, "portrait3d_depth", text=f"{active.name} Depth")


class PORTRAIT3D_PT_export(PhotoSubPanel, bpy.types.Panel):
    bl_label = "Export"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        row = layout.row(align=True)
        row.operator("portrait3d.export_mesh", icon="EXPORT")
        row.operator("portrait3d.export_depth_map", icon="IMAGE_ZDEPTH")
        layout.operator("portrait3d.show_depth_map", icon="IMAGE_ZDEPTH")



class PORTRAIT3D_PT_focus(PhotoSubPanel, bpy.types.Panel):
    bl_label = "Focus"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = _property_layout(self)
        layout.prop(context.scene.portrait3d, "f_stop")
        row = layout.row(align=True)
        row.operator("portrait3d.depth_of_field", icon="CAMERA_DATA", text="Face").target = "FACE"
        row.operator("portrait3d.depth_of_field", icon="PIVOT_CURSOR", text="3D Cursor").target = "CURSOR"
        row.operator("portrait3d.depth_of_field", icon="X", text="Off").target = "OFF"
        layout.operator("portrait3d.depth_of_field", icon="COMMUNITY", text="All Faces").target = "ALL_FACES"
        layout.operator("portrait3d.render_refocus", icon="RENDER_STILL")


CLASSES = (PORTRAIT3D_PT_main, PORTRAIT3D_PT_depth, PORTRAIT3D_PT_mesh, PORTRAIT3D_PT_camera, PORTRAIT3D_PT_grade,
           PORTRAIT3D_PT_render, PORTRAIT3D_PT_in_depth, PORTRAIT3D_PT_export, PORTRAIT3D_PT_focus)
