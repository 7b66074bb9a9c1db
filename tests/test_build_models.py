"""build.py ships the ONNX depth models only when they load as the add-on loads them and match the weights."""

import shutil

import pytest

import build
from portrait3d_blender.core import depth

MODELS = build.DEFAULT_MODELS


def _copy_models(folder, weights=True):
    folder.mkdir()
    for size in depth.NETWORK_SIZES:
        shutil.copyfile(MODELS / depth.model_file_name(size), folder / depth.model_file_name(size))
    if weights:
        shutil.copyfile(MODELS / "portrait_depth.pt", folder / "portrait_depth.pt")
    return folder


def test_the_committed_exports_come_from_the_committed_weights():
    paths = build.depth_models(MODELS)
    assert [path.name for path in paths] == [depth.model_file_name(size) for size in depth.NETWORK_SIZES]


def test_exports_without_the_training_weights_still_build(tmp_path):
    """A checkout or an unpacked source tree without the .pt builds from the .onnx alone (and without torch)."""
    assert len(build.depth_models(_copy_models(tmp_path / "models", weights=False))) == 2


def test_exports_of_other_weights_are_refused(tmp_path):
    folder = _copy_models(tmp_path / "models")
    retrained = bytearray((folder / "portrait_depth.pt").read_bytes())
    retrained[-100] ^= 1
    (folder / "portrait_depth.pt").write_bytes(bytes(retrained))
    with pytest.raises(build.BuildError, match="exported from other weights than .*run models/export_onnx.py"):
        build.depth_models(folder)


def test_a_missing_or_damaged_export_is_refused(tmp_path):
    folder = _copy_models(tmp_path / "models")
    landscape = folder / depth.model_file_name(depth.NETWORK_SIZES[1])
    landscape.write_bytes(landscape.read_bytes()[:1000])
    with pytest.raises(build.BuildError, match="is not an ONNX model or is truncated"):
        build.depth_models(folder)
    landscape.unlink()
    with pytest.raises(build.BuildError, match="Depth model not found"):
        build.depth_models(folder)
