"""The "Portrait 3D" tab in the 3D Viewport's sidebar."""

import bpy


class PORTRAIT3D_PT_main(bpy.types.Panel):
    bl_label = "Portrait 3D"
    bl_idname = "PORTRAIT3D_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Portrait 3D"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.portrait3d
        layout.use_property_split = True
        layout.use_property_decorate = False

        column = layout.column(heading="Depth")
        column.prop(settings, "depth_source", text="Source")
        if settings.depth_source == "FILE":
            column.prop(settings, "depth_map_path")
        if settings.depth_source != "NETWORK":
            column.prop(settings, "depth_map_far_is_white")
        column = layout.column(heading="Mesh")
        column.prop(settings, "mesh_resolution", text="Resolution")
        column.prop(settings, "depth_strength")
        column.prop(settings, "layered")
        row = column.row()
        row.active = settings.layered
        row.prop(settings, "tear_threshold")
        column.prop(settings, "max_texture_size")
        column.prop(settings, "live_update")
        if settings.live_update_error:
            column.label(text=settings.live_update_error, icon="ERROR")
        column = layout.column(heading="Grade")
        for layer in ("foreground", "background"):
            column.prop(settings, f"{layer}_exposure")
            column.prop(settings, f"{layer}_saturation", text="Saturation")
            column.prop(settings, f"{layer}_temperature", text="Temperature")
        column.prop(settings, "haze_density")
        row = column.row()
        row.active = settings.haze_density > 0.0
        row.prop(settings, "haze_color")
        column = layout.column(heading="Camera")
        column.prop(settings, "frames")
        column.prop(settings, "fps")
        column.prop(settings, "camera_move", text="Move")
        column.prop(settings, "orbit_size")
        row = column.row()
        row.active = settings.camera_move != "ORBIT"
        row.prop(settings, "camera_easing")
        row = column.row()
        row.active = settings.camera_move != "ORBIT"
        row.prop(settings, "camera_loop")
        row = layout.row(align=True)
        row.operator("portrait3d.create_3d_photo", icon="IMAGE_DATA")
        row.operator("portrait3d.refine_3d_photo", icon="FILE_REFRESH", text="Update")

        layout.separator()
        column = layout.column(heading="Render")
        column.prop(settings, "engine")
        column.prop(settings, "lit")
        column.prop(settings, "render_size")
        column.prop(settings, "stereo_mode")
        column.prop(settings, "output_format")
        column.prop(settings, "output_path")
        column.prop(settings, "overwrite")
        layout.operator("portrait3d.render_animation", icon="RENDER_ANIMATION")

        layout.separator()
        row = layout.row(align=True)
        row.operator("portrait3d.export_mesh", icon="EXPORT")
        row.operator("portrait3d.export_depth_map", icon="IMAGE_ZDEPTH")
        layout.operator("portrait3d.show_depth_map", icon="IMAGE_ZDEPTH")

        layout.separator()
        row = layout.row(align=True)
        row.operator("portrait3d.add_in_depth", icon="FONT_DATA", text="Add Text in Depth").kind = "TEXT"
        row.operator("portrait3d.add_in_depth", icon="IMAGE_RGB_ALPHA", text="Add Sticker").kind = "IMAGE"
        if context.active_object is not None and "portrait3d_in_depth" in context.active_object:
            layout.prop(context.active_object, "portrait3d_depth", text=f"{context.active_object.name} Depth")

        layout.separator()
        column = layout.column(heading="Focus")
        column.prop(settings, "f_stop")
        row = layout.row(align=True)
        row.operator("portrait3d.depth_of_field", icon="CAMERA_DATA", text="Focus on Face").target = "FACE"
        row.operator("portrait3d.depth_of_field", icon="PIVOT_CURSOR", text="Focus on Cursor").target = "CURSOR"
        row.operator("portrait3d.depth_of_field", icon="X", text="Off").target = "OFF"
        layout.operator("portrait3d.depth_of_field", icon="COMMUNITY", text="Focus on All Faces").target = "ALL_FACES"
        layout.operator("portrait3d.render_refocus", icon="RENDER_STILL")


CLASSES = (PORTRAIT3D_PT_main,)
