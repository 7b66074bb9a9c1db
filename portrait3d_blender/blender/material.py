"""Images and materials: the photo shown unchanged (emission) or lit (principled), and the computed layers.

Every layered 3D-photo mesh has two material slots, matching `core.layers`: slot 0 shows the photo, slot 1 the
colours we computed (inpainted background, back-fill behind tears), which the mesh carries per vertex. A
subject's materials fade out with the person mask, and near its edge take the decontaminated colours instead
of the photo's.
"""

import tempfile
from pathlib import Path

import bpy
import numpy as np

from ..core import image as core_image
from .grading import graded
from .mesh import DISPLAY_UV_NAME, FILL_COLOR_NAME, PHOTO_UV_NAME

# Below this mask value the subject shows decontaminated colours; fully inside it, the photo itself.
DECONTAMINATED_BELOW = 0.97


def photo_image(photo, name, max_texture_size):
    """A Blender image of the photo that never writes the user's file.

    Blender reads JPEG/PNG/WebP/TIFF/BMP itself: the file is referenced and its original bytes packed into the
    .blend (no re-encoding; the EXIF rotation lives in the UVs). Other formats, and photos over the texture size
    cap, are decoded by Pillow, turned upright, scaled to the cap and packed from a temporary file.
    """
    with tempfile.TemporaryDirectory(prefix="portrait3d_") as folder:
        if not photo.texture_from_file(max_texture_size):
            path = core_image.write_texture_file(photo.path, max_texture_size, folder, photo.data)
        elif photo.data is not None:  # the bytes a .blend had packed: a file again, for Blender to load
            path = Path(folder) / photo.path.name
            path.write_bytes(photo.data)
        else:
            path = photo.path
        return _packed_file_image(path, name)


def _packed_file_image(path, name):
    image = bpy.data.images.load(str(path), check_existing=False)
    image.name = name
    image.pack()
    return image


def pixels_image(name, pixels):
    """A packed Blender image of uint8 sRGB RGB(A) pixels, top row first.

    Pillow writes a fast, lightly compressed PNG that Blender loads and packs as is: about 5× quicker than
    filling `Image.pixels` with floats and letting Blender encode the PNG when packing.
    """
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="portrait3d_") as folder:
        path = Path(folder) / "layer.png"
        Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(path, compress_level=1)
        return _packed_file_image(path, name)


def depth_map_image(name, nearness):
    """A Blender image of a depth map (white = near), made or refreshed in place; never packed or saved."""
    height, width = nearness.shape
    image = bpy.data.images.get(name)
    if image is None or tuple(image.size) != (width, height):
        if image is not None:
            bpy.data.images.remove(image)
        image = bpy.data.images.new(name, width, height, float_buffer=True, is_data=True)
    pixels = np.ones((height, width, 4), dtype=np.float32)
    pixels[..., :3] = nearness[::-1, :, None]  # Blender's rows go bottom-up
    image.pixels.foreach_set(pixels.ravel())
    return image


class _NodeBuilder:
    """Small helper to lay out a node tree left to right while linking it."""

    def __init__(self, material):
        material.use_nodes = True
        self.tree = material.node_tree
        self.nodes, self.links = self.tree.nodes, self.tree.links
        self.nodes.clear()
        self.column = 0

    def add(self, node_type, row=0, **properties):
        node = self.nodes.new(node_type)
        for key, value in properties.items():
            setattr(node, key, value)
        node.location = (self.column * 250.0, -row * 300.0)
        return node

    def next_column(self):
        self.column += 1

    def texture(self, image, uv_map_name, row):
        uv_map = self.add("ShaderNodeUVMap", row=row, uv_map=uv_map_name)
        self.next_column()
        # EXTEND: never wrap the opposite border into the edge pixels.
        texture = self.add("ShaderNodeTexImage", row=row, image=image, extension="EXTEND", interpolation="Cubic")
        self.links.new(uv_map.outputs["UV"], texture.inputs["Vector"])
        self.column -= 1
        return texture

    def finish(self, color_socket, alpha_socket, lit, grade=None):
        """Colour (through the `grade` node group, when given) into the shader, with alpha, to the output."""
        self.column = 3
        if grade is not None:
            color_socket = graded(self.tree, color_socket, grade, (self.column * 250.0, 200.0))
            self.column += 1
        if lit:
            shader = self.add("ShaderNodeBsdfPrincipled")
            shader.inputs["Roughness"].default_value = 0.6
            self.links.new(color_socket, shader.inputs["Base Color"])
        else:
            shader = self.add("ShaderNodeEmission")
            self.links.new(color_socket, shader.inputs["Color"])
        surface = shader.outputs[0]
        if alpha_socket is not None:
            self.next_column()
            transparent = self.add("ShaderNodeBsdfTransparent", row=1)
            mix = self.add("ShaderNodeMixShader")
            self.links.new(alpha_socket, mix.inputs["Fac"])
            self.links.new(transparent.outputs[0], mix.inputs[1])
            self.links.new(surface, mix.inputs[2])
            surface = mix.outputs[0]
        self.next_column()
        output = self.add("ShaderNodeOutputMaterial")
        self.links.new(surface, output.inputs["Surface"])


def photo_material(name, image, lit, use_photo_alpha=False, matte=None, matte_uv_map=DISPLAY_UV_NAME, grade=None):
    """The photo on its UVs. With a `matte` image (a subject, on `matte_uv_map`), alpha comes from the person
    mask and the colours near the mask's edge from the matte's decontaminated RGB. `grade`: the 3D photo's
    grade node group (`blender.grading`)."""
    material = bpy.data.materials.new(name)
    builder = _NodeBuilder(material)
    photo = builder.texture(image, PHOTO_UV_NAME, row=0)
    color, alpha = photo.outputs["Color"], photo.outputs["Alpha"] if use_photo_alpha else None
    if matte is not None:
        matte_texture = builder.texture(matte, matte_uv_map, row=1)
        builder.column = 2
        edge_weight = builder.add("ShaderNodeMapRange", row=1, clamp=True)
        edge_weight.inputs["From Min"].default_value = DECONTAMINATED_BELOW
        edge_weight.inputs["From Max"].default_value = 1.0
        edge_weight.inputs["To Min"].default_value = 1.0
        edge_weight.inputs["To Max"].default_value = 0.0
        builder.links.new(matte_texture.outputs["Alpha"], edge_weight.inputs["Value"])
        mix = builder.add("ShaderNodeMix", row=0, data_type="RGBA")
        builder.links.new(edge_weight.outputs["Result"], mix.inputs["Factor"])
        builder.links.new(color, mix.inputs["A"])
        builder.links.new(matte_texture.outputs["Color"], mix.inputs["B"])
        color, alpha = mix.outputs["Result"], matte_texture.outputs["Alpha"]
    builder.finish(color, alpha, lit, grade)
    return material


def sticker_material(name, image):
    """An image with its alpha, shown unchanged (emission) on the mesh's photo UVs: a sticker."""
    material = bpy.data.materials.new(name)
    builder = _NodeBuilder(material)
    texture = builder.texture(image, PHOTO_UV_NAME, row=0)
    builder.finish(texture.outputs["Color"], texture.outputs["Alpha"], lit=False)
    return material


def flat_color_material(name, color):
    """One colour shown unchanged (emission): a text in the 3D photo."""
    material = bpy.data.materials.new(name)
    builder = _NodeBuilder(material)
    rgb = builder.add("ShaderNodeRGB")
    rgb.outputs[0].default_value = (*color, 1.0)
    builder.finish(rgb.outputs[0], None, lit=False)
    return material


def fill_material(name, lit, matte=None, matte_uv_map=DISPLAY_UV_NAME, grade=None):
    """The colours we computed (inpainted background, back-fill), stored per vertex; a subject's fade out with
    its mask (`matte` on `matte_uv_map`)."""
    material = bpy.data.materials.new(name)
    builder = _NodeBuilder(material)
    fill = builder.add("ShaderNodeVertexColor", row=0, layer_name=FILL_COLOR_NAME)
    alpha = builder.texture(matte, matte_uv_map, row=1).outputs["Alpha"] if matte is not None else None
    builder.finish(fill.outputs["Color"], alpha, lit, grade)
    return material
