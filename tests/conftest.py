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

    return pipeline.analyse_photo(ASTRONAUT, compute_device="CPU")


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
