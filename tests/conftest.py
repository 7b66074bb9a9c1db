"""Shared fixtures: real public-domain photos from installed packages, and a registered add-on."""

import os
from pathlib import Path

import numpy as np
import pytest


def _package_file(module_name, *parts):
    module = __import__(module_name)
    return Path(os.path.dirname(module.__file__), *parts)


ASTRONAUT = _package_file("skimage", "data", "astronaut.png")
CAMERAMAN = _package_file("skimage", "data", "camera.png")
GRACE_HOPPER = _package_file("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg")
COFFEE = _package_file("skimage", "data", "coffee.png")  # a cup of coffee: no person


@pytest.fixture(scope="session")
def astronaut_analysis():
    from portrait3d_blender.core import pipeline

    return pipeline.analyse_photo(ASTRONAUT)


@pytest.fixture(scope="session")
def addon():
    """The add-on registered once for the session, as Blender does when it is enabled."""
    import portrait3d_blender

    portrait3d_blender.register()
    yield portrait3d_blender
    portrait3d_blender.unregister()


@pytest.fixture
def empty_scene(addon):
    """A factory-fresh empty file for every Blender test; the add-on must survive the reset."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    assert hasattr(bpy.context.scene, "portrait3d")
    return bpy.context.scene


def save_rgb(path, array, **save_options):
    from PIL import Image

    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path, **save_options)
    return Path(path)


def make_group_photo(folder):
    """Two public-domain portraits side by side: a photo with several people (Hopper left, astronaut right)."""
    from PIL import Image

    group = Image.new("RGB", (870, 470))
    group.paste(Image.open(GRACE_HOPPER).convert("RGB").resize((400, 470)), (0, 0))
    group.paste(Image.open(ASTRONAUT).convert("RGB").resize((470, 470)), (400, 0))
    path = Path(folder) / "group.jpg"
    group.save(path, quality=92)
    return path


def magenta_world():
    """A world that shines pure magenta, so any hole in a 3D photo is unmistakable in a render."""
    import bpy

    world = bpy.data.worlds.new("Magenta")
    world.use_nodes = True
    background = next(node for node in world.node_tree.nodes if node.type == "BACKGROUND")
    background.inputs["Color"].default_value = (1.0, 0.0, 1.0, 1.0)
    background.inputs["Strength"].default_value = 1.0
    return world
