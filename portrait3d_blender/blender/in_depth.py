"""Text and stickers placed in a 3D photo's depth: ordinary Blender objects, so nearer layers hide them as the
camera moves, and they can be edited and keyframed like anything else.

Each faces the capture camera (parallel to its image plane) and is sized in photo pixels at its depth, so from
the capture view it covers exactly the pixels asked for. `core.pipeline.in_depth_placement` says where.
"""

import math
from pathlib import Path

import bpy
import numpy as np

from ..core import geometry, pipeline
from ..core.errors import InDepthError
from . import material as blender_material
from . import mesh as blender_mesh

IN_DEPTH_TAG = "portrait3d_in_depth"  # ID property on each text or sticker: the pixel, share and size it was given
FACING_CAPTURE = (math.pi / 2.0, 0.0, 0.0)  # local +Z toward the capture camera (it looks along +Y), +Y up


def _placed(obj, photo, placement, tag):
    obj.location = placement.location
    obj.rotation_euler = FACING_CAPTURE
    obj[IN_DEPTH_TAG] = tag
    photo.collection.objects.link(obj)
    return obj


def _card(name, width, height):
    """One quad of `width` × `height` metres centred on its origin, in its XY plane, UVs over the whole image."""
    half_w, half_h = width / 2.0, height / 2.0
    uvs = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    arrays = geometry.MeshArrays(
        vertices=np.array([[-half_w, -half_h, 0.0], [half_w, -half_h, 0.0], [half_w, half_h, 0.0],
                           [-half_w, half_h, 0.0]], dtype=np.float32),
        quads=np.array([[0, 1, 2, 3]], dtype=np.int32),
        uvs=uvs,
        display_uvs=uvs,
        material_indices=np.zeros(1, dtype=np.int32),
        edges=np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int32),
        corner_edges=np.array([[0, 1, 2, 3]], dtype=np.int32),
    )
    return blender_mesh.new_mesh(name, arrays)


def add_sticker(photo, image_path, placement, size_px, tag):
    """An image (its alpha kept) on a card `size_px` photo pixels tall at `placement`, in `photo`'s collection."""
    try:
        image = bpy.data.images.load(str(image_path), check_existing=False)
    except RuntimeError:
        raise InDepthError(f"Not an image Blender can read for a sticker: {image_path}") from None
    image.pack()
    width_px, height_px = image.size
    if not width_px or not height_px:
        bpy.data.images.remove(image)
        raise InDepthError(f"The sticker image is empty: {image_path}")
    name = f"{photo.name} Sticker"
    height = size_px * placement.metres_per_pixel
    mesh = _card(name, height * width_px / height_px, height)
    mesh.materials.append(blender_material.sticker_material(name, image))
    return _placed(bpy.data.objects.new(name, mesh), photo, placement, tag)


def add_text(photo, text, placement, size_px, tag, color=(1.0, 1.0, 1.0)):
    """A text object, its font size `size_px` photo pixels, centred at `placement`, in `photo`'s collection."""
    name = f"{photo.name} Text"
    curve = bpy.data.curves.new(name, "FONT")
    curve.body = text
    curve.align_x, curve.align_y = "CENTER", "CENTER"
    curve.size = size_px * placement.metres_per_pixel
    curve.materials.append(blender_material.flat_color_material(name, color))
    return _placed(bpy.data.objects.new(name, curve), photo, placement, tag)


def check_content(kind, content):
    """Refuse what cannot be added, before any analysis: an empty text, a sticker image that is not there."""
    if kind == "TEXT":
        if not content.strip():
            raise InDepthError("Give the text to add")
    elif not Path(content).is_file():
        raise InDepthError(f"Sticker image not found: {content}")


def place_in_depth(photo, settings, kind, content, pixel, share, size_px):
    """Add a text (`content` is its text) or a sticker (`content` is the image's path) to `photo` at photo
    `pixel`, `share` of the way from the nearest person (0) to just in front of the wall (1): the one call the
    operator and the CLI make. Returns the new object."""
    check_content(kind, content)
    analysis = photo.analysis()
    width, height = analysis.photo.width, analysis.photo.height
    x, y = pixel
    if not (0.0 <= x <= width and 0.0 <= y <= height):
        raise InDepthError(f"{x:g},{y:g} is outside the photo ({width}×{height} pixels)")
    placement = pipeline.in_depth_placement(analysis, settings, x, y, share, size_px)
    tag = {"pixel": (float(x), float(y)), "share": float(share), "size": float(size_px), "depth": placement.depth}
    if kind == "TEXT":
        return add_text(photo, content, placement, size_px, tag)
    return add_sticker(photo, content, placement, size_px, tag)


def move_in_depth(obj, photo, settings, share):
    """Move a text or sticker of `photo` to another `share` of the depth at its pixel, scaled to keep its size
    in photo pixels (any scale the user gave it is kept, relatively)."""
    tag = obj[IN_DEPTH_TAG]
    x, y = tag["pixel"]
    placement = pipeline.in_depth_placement(photo.analysis(), settings, x, y, share, tag["size"])
    obj.location = placement.location
    obj.scale = obj.scale * (placement.depth / tag["depth"])
    tag["share"], tag["depth"] = float(share), placement.depth
    return obj
