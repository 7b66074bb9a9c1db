"""Export a 3D photo's meshes with Blender's own exporters: binary glTF (.glb), OBJ (+ MTL and textures), PLY.

Our render materials mix several textures and colour attributes; exporters understand one colour source. For
the export, each material slot is swapped for a plain one that shows its colour texture, or for the computed
fill its colour attribute (written as glTF's COLOR_0, OBJ's and PLY's vertex colours): unlit (written as
KHR_materials_unlit, so viewers show the photo's colours unlit) for glTF, and a principled base colour for OBJ's
MTL. A subject keeps its soft edge: its matte's alpha goes along (glTF alphaMode BLEND, MTL map_d) wherever the
matte shares the photo's UV map, which is whenever the photo is stored upright. Only the 3D photo's mesh objects are exported; the scene's selection,
the materials and the files beside the output are restored or left alone, and the output appears atomically.
"""

import contextlib
import os
from pathlib import Path

import bpy

from ..core import journal, output_files, verify
from ..core.errors import ExportError
from .mesh import FILL_COLOR_NAME

MESH_FORMATS = dict(zip(output_files.MESH_SUFFIXES, ("GLB", "OBJ", "PLY")))
_SHADER_COLOR_INPUTS = {"EMISSION": "Color", "BSDF_PRINCIPLED": "Base Color", "BACKGROUND": "Color"}


def export_format(path):
    """'GLB', 'OBJ' or 'PLY' by the path's suffix; ExportError for any other."""
    output_files.mesh_export_files(path)
    return MESH_FORMATS[Path(path).suffix.lower()]


def color_source(material):
    """The node that gives `material` its colour: an image texture (the photo) or a colour attribute (the
    computed fill), followed upstream from the shader's colour input through mixes."""
    if material is None or not material.use_nodes:
        return None
    shaders = [node for node in material.node_tree.nodes if node.type in _SHADER_COLOR_INPUTS]
    for shader in shaders:
        found = _upstream_color_source(shader.inputs[_SHADER_COLOR_INPUTS[shader.type]], set())
        if found is not None:
            return found
    return next((node for node in material.node_tree.nodes if node.type == "TEX_IMAGE" and node.image), None)


def _upstream_color_source(socket, seen):
    for link in socket.links:
        node = link.from_node
        if node.as_pointer() in seen:
            continue
        seen.add(node.as_pointer())
        if (node.type == "TEX_IMAGE" and node.image is not None) or node.type == "VERTEX_COLOR":
            return node
        # Colours before factors: a mix's "A"/"B" colours, not the mask that blends them.
        colour_inputs = [upstream for upstream in node.inputs if upstream.type == "RGBA"]
        for upstream in colour_inputs or node.inputs:
            found = _upstream_color_source(upstream, seen)
            if found is not None:
                return found
    return None


def alpha_texture(material):
    """The image texture whose alpha makes `material` see-through (a subject's matte, a cut-out's own alpha)."""
    if material is None or not material.use_nodes:
        return None
    for node in material.node_tree.nodes:
        if node.type == "MIX_SHADER" and any(
            link.from_node.type == "BSDF_TRANSPARENT" for link in node.inputs[1].links
        ):
            return next((link.from_node for link in node.inputs["Fac"].links if link.from_node.type == "TEX_IMAGE"), None)
    return None


def _uv_map_of(texture):
    for link in texture.inputs["Vector"].links:
        if link.from_node.type == "UVMAP":
            return link.from_node.uv_map
    return ""


def _export_material(name, source, image, unlit, alpha_image=None):
    """A material exporters understand: `image` on `source`'s UV map, or `source`'s colour attribute; with
    `alpha_image` (on the same UV map), see-through where its alpha is low.

    Unlit with alpha is the colour fed straight into a mix with a transparent shader, the form the glTF exporter
    writes as KHR_materials_unlit with alphaMode BLEND (it packs the colour and the alpha into one texture).
    """
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    if source.type == "VERTEX_COLOR":
        color = nodes.new("ShaderNodeVertexColor")
        color.layer_name = source.layer_name
    else:
        uv_map = _uv_map_of(source)
        color = _texture_node(nodes, links, image, uv_map)
    alpha = None if alpha_image is None else _texture_node(nodes, links, alpha_image, uv_map).outputs["Alpha"]
    output = nodes.new("ShaderNodeOutputMaterial")
    if unlit and alpha is not None:
        mix = nodes.new("ShaderNodeMixShader")
        links.new(alpha, mix.inputs["Fac"])
        links.new(nodes.new("ShaderNodeBsdfTransparent").outputs[0], mix.inputs[1])
        links.new(color.outputs["Color"], mix.inputs[2])
        links.new(mix.outputs[0], output.inputs["Surface"])
        return material
    if unlit:
        shader = nodes.new("ShaderNodeBackground")
        links.new(color.outputs["Color"], shader.inputs["Color"])
    else:
        shader = nodes.new("ShaderNodeBsdfPrincipled")
        links.new(color.outputs["Color"], shader.inputs["Base Color"])
        if alpha is not None:
            links.new(alpha, shader.inputs["Alpha"])
    links.new(shader.outputs[0], output.inputs["Surface"])
    return material


def _texture_node(nodes, links, image, uv_map):
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = image
    texture.extension = "EXTEND"
    if uv_map:
        uv_node = nodes.new("ShaderNodeUVMap")
        uv_node.uv_map = uv_map
        links.new(uv_node.outputs["UV"], texture.inputs["Vector"])
    return texture


@contextlib.contextmanager
def _export_materials(objects, unlit, texture_folder=None, stem="texture"):
    """Swap every material slot for a one-source export material; with `texture_folder`, the textures are
    written there as files (named after `stem`) and referenced by file, for formats that do not embed them."""
    created_materials, created_images, swapped = [], [], []
    file_images = {}
    try:
        for obj in objects:
            for slot in obj.material_slots:
                source = color_source(slot.material)
                if source is None:
                    continue
                image = source.image if source.type == "TEX_IMAGE" else None
                alpha = alpha_texture(slot.material) if image is not None else None
                # A format's texture has one UV map: the alpha goes along only where the two share it.
                alpha_image = alpha.image if alpha is not None and _uv_map_of(alpha) == _uv_map_of(source) else None
                if texture_folder is not None:
                    image, alpha_image = (
                        _file_image(file_images, created_images, texture, texture_folder, stem)
                        for texture in (image, alpha_image)
                    )
                material = _export_material(slot.material.name, source, image, unlit, alpha_image)
                created_materials.append(material)
                swapped.append((slot, slot.material))
                slot.material = material
        yield
    finally:
        for slot, material in reversed(swapped):
            slot.material = material
        for material in created_materials:
            bpy.data.materials.remove(material)
        for image in created_images:
            bpy.data.images.remove(image)


def _file_image(file_images, created_images, image, folder, stem):
    """`image` as an image loaded from a file written in `folder`, once per image; None stays None."""
    if image is None:
        return None
    if image.name not in file_images:
        file_images[image.name] = _image_file(image, folder, f"{stem}_{len(file_images)}")
        created_images.append(file_images[image.name])
    return file_images[image.name]


# An OBJ's texture files, by Blender's file format: a packed photo keeps its bytes, anything else is a PNG.
_TEXTURE_SUFFIXES = {"JPEG": ".jpg", "WEBP": ".webp", "TIFF": ".tif", "BMP": ".bmp", "PNG": ".png"}


def _image_file(image, folder, stem):
    """Write `image` as a file in `folder` (its packed bytes, else a PNG) and return a new image that loads it."""
    if image.packed_file is not None:
        extension = _TEXTURE_SUFFIXES.get(image.file_format, ".png")
        path = Path(folder) / f"{stem}{extension}"
        path.write_bytes(image.packed_file.data)
    else:
        path = Path(folder) / f"{stem}.png"
        copy = image.copy()
        try:
            copy.filepath_raw = str(path)
            copy.file_format = "PNG"
            copy.save()
        finally:
            bpy.data.images.remove(copy)
    return bpy.data.images.load(str(path), check_existing=False)


@contextlib.contextmanager
def _only_selected(view_layer, objects):
    """Select exactly `objects` for a `use_selection` export; restore the user's selection and active object."""
    previous = {obj.name for obj in view_layer.objects if obj.select_get(view_layer=view_layer)}
    active = view_layer.objects.active
    try:
        for obj in view_layer.objects:
            obj.select_set(obj in objects, view_layer=view_layer)
        view_layer.objects.active = objects[0]
        yield
    finally:
        for obj in view_layer.objects:
            obj.select_set(obj.name in previous, view_layer=view_layer)
        view_layer.objects.active = active


def export_meshes(context, photo, output, overwrite=False):
    """Write the mesh objects of `photo` (a `Photo3D` in the context's view layer) to `output` (.glb, .obj, .ply).

    Returns the paths written, `output` first (an OBJ's MTL and textures follow). Nothing is replaced unless
    `overwrite`, and never the photo the 3D photo was made from.
    """
    output = Path(output)
    fmt = export_format(output)
    objects = photo.mesh_objects
    if not objects:
        raise ExportError("There are no 3D photo meshes to export")
    view_layer = context.view_layer
    view_layer.update()  # a collection linked moments ago is only listed in the view layer after a sync
    missing = [obj.name for obj in objects if obj.name not in view_layer.objects]
    if missing:
        raise ExportError(f"Not in the current view layer, so not exported: {', '.join(missing)}")
    staging = output_files.temporary_folder(output, "export")
    target = staging / output.name
    try:
        try:
            _run_exporter(context, view_layer, objects, fmt, target, staging, output.stem)
            if not target.is_file():
                raise ExportError("Blender's exporter wrote nothing")
            _verify_export(context, objects, target, staging)
        except (RuntimeError, OSError, output_files.OutputError) as error:
            raise ExportError(str(verify.write_failure(output, error))) from None
        companions = sorted(path for path in staging.iterdir() if path != target)
        for path in [target, *companions]:  # the exporter's own names too, checked as the ones asked for
            output_files.check_output(output.parent / path.name, photo.source, overwrite, fmt="FILE")
        for path in companions:  # the main file last: once it is there, everything it refers to is too
            os.replace(path, output.parent / path.name)
        os.replace(target, output)
        return [output] + [output.parent / path.name for path in companions]
    finally:
        journal.remove_path(staging)


def _verify_export(context, objects, target, staging):
    """The exported file parses with every vertex of the (evaluated) meshes; an OBJ's textures read back."""
    depsgraph = context.evaluated_depsgraph_get()
    vertices = sum(len(obj.evaluated_get(depsgraph).data.vertices) for obj in objects)
    verify.MESH_CHECKS[target.suffix.lower()](target, vertices)
    for texture in staging.iterdir():
        if texture.suffix.lower() in _TEXTURE_SUFFIXES.values():
            verify.image(texture)


def _run_exporter(context, view_layer, objects, fmt, target, staging, stem):
    """Blender's exporter for `fmt`, on exactly `objects`, writing `target` (and an OBJ's files in `staging`)."""
    with _only_selected(view_layer, objects), context.temp_override(
        view_layer=view_layer, selected_objects=list(objects), active_object=objects[0]
    ):
        if fmt == "GLB":
            with _export_materials(objects, unlit=True):
                bpy.ops.export_scene.gltf(
                    filepath=str(target),
                    export_format="GLB",
                    use_selection=True,
                    use_active_scene=True,  # every scene would be walked, switching the window to each
                    export_materials="EXPORT",
                    export_image_format="AUTO",
                    export_texcoords=True,
                    export_normals=True,
                    export_vertex_color="NAME",  # the computed fill only (white under the photo)
                    export_vertex_color_name=FILL_COLOR_NAME,
                    export_all_vertex_colors=False,
                    export_animations=False,
                    export_cameras=False,
                    export_lights=False,
                    export_yup=True,
                )
        elif fmt == "OBJ":
            with _export_materials(objects, unlit=False, texture_folder=staging, stem=stem):
                bpy.ops.wm.obj_export(
                    filepath=str(target),
                    export_selected_objects=True,
                    export_materials=True,
                    export_uv=True,
                    export_normals=True,
                    export_colors=True,  # the computed fill (MTL has no place for colours per vertex)
                    path_mode="STRIP",  # the MTL names its textures by file name: they lie beside it
                    forward_axis="NEGATIVE_Z",
                    up_axis="Y",
                )
        else:
            bpy.ops.wm.ply_export(
                filepath=str(target),
                export_selected_objects=True,
                export_uv=True,
                export_normals=True,
                export_colors="SRGB",
                ascii_format=False,
                forward_axis="NEGATIVE_Z",
                up_axis="Y",
            )
