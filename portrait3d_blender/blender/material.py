"""The photo as a Blender image and a material that shows it unchanged (emission) or lit (principled)."""

import bpy
import numpy as np

from ..core import image as core_image
from .mesh import UV_MAP_NAME


def photo_image(photo, name, max_texture_size):
    """A Blender image of the photo that never writes the user's file.

    Blender reads JPEG/PNG/WebP/TIFF/BMP itself: the file is referenced and its original bytes packed into the
    .blend (no re-encoding; the EXIF rotation lives in the UVs). Other formats, and photos over the texture size
    cap, become pixels decoded by Pillow and packed as PNG.
    """
    if photo.texture_from_file(max_texture_size):
        image = bpy.data.images.load(str(photo.path), check_existing=False)
        image.name = name
        image.pack()
        return image
    rgba = core_image.load_texture_pixels(photo.path, max_texture_size)
    height, width = rgba.shape[:2]
    image = bpy.data.images.new(name, width, height, alpha=True)
    image.pixels.foreach_set(np.ascontiguousarray(rgba[::-1]).ravel())  # Blender's rows go bottom-up
    image.pack()
    return image


def photo_material(name, image, lit, has_alpha):
    """Image texture on the photo's UVs → emission (looks exactly like the photo) or principled BSDF (lit)."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    uv_map = nodes.new("ShaderNodeUVMap")
    uv_map.uv_map = UV_MAP_NAME
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = image
    texture.extension = "EXTEND"  # never wrap the opposite border into the edge pixels
    texture.interpolation = "Cubic"
    links.new(uv_map.outputs["UV"], texture.inputs["Vector"])
    if lit:
        shader = nodes.new("ShaderNodeBsdfPrincipled")
        shader.inputs["Roughness"].default_value = 0.6
        links.new(texture.outputs["Color"], shader.inputs["Base Color"])
    else:
        shader = nodes.new("ShaderNodeEmission")
        shader.inputs["Strength"].default_value = 1.0
        links.new(texture.outputs["Color"], shader.inputs["Color"])
    surface = shader.outputs[0]
    if has_alpha:
        transparent = nodes.new("ShaderNodeBsdfTransparent")
        mix = nodes.new("ShaderNodeMixShader")
        links.new(texture.outputs["Alpha"], mix.inputs["Fac"])
        links.new(transparent.outputs[0], mix.inputs[1])
        links.new(surface, mix.inputs[2])
        surface = mix.outputs[0]
    output = nodes.new("ShaderNodeOutputMaterial")
    links.new(surface, output.inputs["Surface"])
    for column, node in enumerate((uv_map, texture, shader, output)):
        node.location = (column * 300.0 - 600.0, 0.0)
    return material
