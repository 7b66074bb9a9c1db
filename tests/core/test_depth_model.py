"""A depth model file that is not exactly what the network expects is refused in one line naming the problem.

The bad files are made here from the shipped export: truncated, random, re-shaped, NaN-poisoned, relabelled.
"""

import shutil

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from portrait3d_blender.core import depth
from tests.conftest import GRACE_HOPPER
from tests.test_cli import _error_lines, run_cli

SIZE = depth.NETWORK_SIZE_PORTRAIT
SHIPPED = depth.default_model_dir() / depth.model_file_name(SIZE)


def _refusal(path, size=SIZE):
    """The one-line message `load_model` refuses `path` with."""
    depth.load_model.cache_clear()
    with pytest.raises(depth.WeightsError) as refused:
        depth.load_model(path, size)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message, message
    return message


def _edited(tmp_path, edit, name="edited.onnx"):
    """The shipped model changed by `edit(model)`, saved in tmp_path."""
    model = onnx.load(SHIPPED)
    edit(model)
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def _largest_weight(model):
    return max(model.graph.initializer, key=lambda tensor: int(np.prod(tensor.dims)))


def _set_metadata(model, key, value):
    entry = next(entry for entry in model.metadata_props if entry.key == key)
    entry.value = value


def test_missing_file(tmp_path):
    assert "Depth model not found" in _refusal(tmp_path / "nothing.onnx")


def test_truncated_file(tmp_path):
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(SHIPPED.read_bytes()[: SHIPPED.stat().st_size // 2])
    assert "is not an ONNX model or is truncated" in _refusal(truncated)


@pytest.mark.parametrize("content", [b"", b"\x00garbage" * 100, np.random.default_rng(1).bytes(200_000),
                                     b"PK\x03\x04 a zip, not a model" * 50])
def test_random_or_foreign_bytes(tmp_path, content):
    path = tmp_path / "random.onnx"
    path.write_bytes(content)
    assert "not an ONNX model" in _refusal(path)


def test_a_huge_file_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "huge.onnx"
    with open(huge, "wb") as sparse:
        sparse.truncate(depth.MAX_MODEL_BYTES + 1)
    assert "far more than the depth model" in _refusal(huge)


def test_an_onnx_model_of_another_network(tmp_path):
    """A valid ONNX file without our metadata (any other network) is refused before OpenCV builds it."""
    path = _edited(tmp_path, lambda model: model.ClearField("metadata_props"))
    assert "lacks 'format' in its metadata" in _refusal(path)


@pytest.mark.parametrize("key, value, expected", [
    ("format", "portrait3d-depth-onnx-v0", "is not a portrait3d-depth-onnx-v1 model"),
    ("input_channels", "3", "has input_channels '3' in its metadata, expected '4'"),
    ("input_size", "192x256", "has input_size '192x256' in its metadata, expected '256x192'"),
    ("widths", "sixteen", "has widths 'sixteen' in its metadata, not channel counts"),
])
def test_wrong_metadata(tmp_path, key, value, expected):
    assert expected in _refusal(_edited(tmp_path, lambda model: _set_metadata(model, key, value)))


def test_missing_metadata_entry(tmp_path):
    def drop_source(model):
        kept = [entry for entry in model.metadata_props if entry.key != "source_sha256"]
        model.ClearField("metadata_props")
        model.metadata_props.extend(kept)

    assert "lacks 'source_sha256'" in _refusal(_edited(tmp_path, drop_source))


def test_the_other_orientations_model_in_this_ones_place():
    landscape = depth.default_model_dir() / depth.model_file_name(SIZE[::-1])
    assert "has input_size '192x256' in its metadata, expected '256x192'" in _refusal(landscape)


def test_wrong_input_shape(tmp_path):
    def three_channels(model):
        model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 3

    message = _refusal(_edited(tmp_path, three_channels))
    assert "has input 'rgb_mask' [1, 3, 256, 192], expected 'rgb_mask' float32 [1, 4, 256, 192]" in message


def test_symbolic_input_size(tmp_path):
    def dynamic(model):
        model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"

    assert "has input 'rgb_mask' [1, 4, 'height', 192]" in _refusal(_edited(tmp_path, dynamic))


def test_wrong_input_name_and_type(tmp_path):
    def renamed(model):
        old, model.graph.input[0].name = model.graph.input[0].name, "image"
        for node in model.graph.node:
            node.input[:] = ["image" if name == old else name for name in node.input]

    assert "has input 'image' [1, 4, 256, 192], expected 'rgb_mask'" in _refusal(_edited(tmp_path, renamed))

    def half_precision(model):
        model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.FLOAT16

    assert "has input 'rgb_mask' [1, 4, 256, 192] of type float16, expected 'rgb_mask' float32" in _refusal(
        _edited(tmp_path, half_precision))


def test_wrong_output_name(tmp_path):
    def renamed(model):
        model.graph.output[0].name = "depth"
        model.graph.node[-1].output[0] = "depth"

    assert "has output 'depth' [1, 1, 256, 192], expected 'disparity'" in _refusal(_edited(tmp_path, renamed))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_weights(tmp_path, value):
    def poison(model):
        tensor = _largest_weight(model)
        values = numpy_helper.to_array(tensor).copy()
        values.flat[[3, 100]] = value
        tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))

    message = _refusal(_edited(tmp_path, poison))
    assert "has 2 non-finite values (NaN or Inf) in '" in message


def test_weights_shorter_than_their_shape(tmp_path):
    """A tensor claiming a 360 GB shape with a few bytes of data is refused before anything is allocated."""
    def huge_shape(model):
        tensor = _largest_weight(model)
        del tensor.dims[:]
        tensor.dims.extend([300_000, 300_000, 1, 1])

    assert "is damaged: tensor '" in _refusal(_edited(tmp_path, huge_shape))


def test_weights_in_an_external_file(tmp_path):
    def external(model):
        tensor = _largest_weight(model)
        tensor.data_location = onnx.TensorProto.EXTERNAL
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", "/etc/passwd"

    assert "keeps tensor '" in _refusal(_edited(tmp_path, external))


def test_weights_opencv_cannot_use(tmp_path):
    """Finite weights of the wrong shape for their layer: OpenCV's multi-line failure becomes one line."""
    def misshapen(model):
        tensor = _largest_weight(model)
        values = numpy_helper.to_array(tensor)
        tensor.CopyFrom(numpy_helper.from_array(values.reshape(values.shape[1], values.shape[0], 3, 3), tensor.name))

    assert "OpenCV cannot run" in _refusal(_edited(tmp_path, misshapen))


def test_a_network_that_gives_the_same_depth_everywhere(tmp_path):
    def zero_heads(model):
        for tensor in model.graph.initializer:
            if "depth_head" in tensor.name:
                tensor.CopyFrom(numpy_helper.from_array(np.zeros_like(numpy_helper.to_array(tensor)), tensor.name))

    assert "gives the same depth everywhere" in _refusal(_edited(tmp_path, zero_heads))


def test_a_network_whose_output_is_not_finite(tmp_path):
    """Finite weights, but so large that the last layer's sums overflow float32: the probe inference catches it."""
    def overflow(model):
        head = next(tensor for tensor in model.graph.initializer if tensor.name == model.graph.node[-1].input[1])
        head.CopyFrom(numpy_helper.from_array(np.full_like(numpy_helper.to_array(head), 3e38), head.name))

    assert "gives non-finite depth on a test input" in _refusal(_edited(tmp_path, overflow))


@pytest.mark.slow
def test_cli_refuses_a_bad_model_in_one_line_and_writes_nothing(tmp_path):
    """The installed layout (models in the package's weights/ folder), with NaN weights in the portrait model."""
    package = tmp_path / "portrait3d_blender"
    shutil.copytree(depth.default_model_dir().parent / "portrait3d_blender", package,
                    ignore=shutil.ignore_patterns("__pycache__", "weights"))
    (package / "weights").mkdir()
    for size in depth.NETWORK_SIZES:
        shutil.copyfile(depth.default_model_dir() / depth.model_file_name(size),
                        package / "weights" / depth.model_file_name(size))

    def poison(model):
        tensor = _largest_weight(model)
        values = numpy_helper.to_array(tensor).copy()
        values.flat[0] = np.nan
        tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))

    _edited(package / "weights", poison, name=depth.model_file_name(SIZE))
    output = tmp_path / "depth.png"
    result = run_cli("depth", GRACE_HOPPER, "-o", output, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and "non-finite values (NaN or Inf)" in errors[0], result.stderr
    assert str(package / "weights") in errors[0] and "Traceback" not in result.stderr
    assert not output.exists() and sorted(path.name for path in tmp_path.iterdir()) == ["portrait3d_blender"]
