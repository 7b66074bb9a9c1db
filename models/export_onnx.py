"""Export the trained U-Net (models/portrait_depth.pt) to the ONNX models the add-on runs through OpenCV.

One file per orientation, each with a fixed input shape (OpenCV 4.11's importer cannot build this network
with symbolic height and width):

    models/portrait_depth_256x192.onnx   portrait input, 1×4×256×192 → 1×1×256×192
    models/portrait_depth_192x256.onnx   landscape input, 1×4×192×256 → 1×1×192×256

Each holds only the finest decoder output, and metadata the loader (core/depth.py) checks: the format id, the
input channels and size, the encoder widths and the SHA-256 of the .pt it came from (build.py refuses
exports of other weights). Run it after every change of the weights, and commit the .onnx files:

    .venv/bin/python models/export_onnx.py [--weights models/portrait_depth.pt] [--out models]

Needs torch and the `onnx` package (development only: neither is bundled with the add-on).
"""

import argparse
import hashlib
import io
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from models.unet import FinestOutput, load_checkpoint, numpy_network  # noqa: E402
from portrait3d_blender.core import depth  # noqa: E402

OPSET = 17


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def export_model(network, size, metadata):
    """The ONNX ModelProto of `network`'s finest output for inputs of `size` (H, W), with `metadata` added."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated for the torch.export one, whose graph OpenCV cannot import.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            FinestOutput(network).eval(), (torch.zeros(1, depth.INPUT_CHANNELS, *size),), buffer, dynamo=False,
            input_names=[depth.INPUT_NAME], output_names=[depth.OUTPUT_NAME], opset_version=OPSET,
            do_constant_folding=True,
        )
    model = onnx.load_from_string(buffer.getvalue())
    model.producer_name = "portrait3d_blender models/export_onnx.py"
    model.doc_string = (
        "Portrait depth U-Net: RGB in [0, 1] and the person mask in, relative inverse depth (larger = nearer) out."
    )
    for key, value in {**metadata, "input_size": f"{size[0]}x{size[1]}"}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def write_atomically(path, data):
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def export(weights, out_dir):
    """Write both orientations' models into `out_dir`; returns their paths."""
    network = load_checkpoint(weights)
    widths = [level.refine[0].out_channels for level in network.encoder]
    metadata = {
        "format": depth.MODEL_FORMAT,
        "input_channels": str(network.encoder[0].down[0].in_channels),
        "widths": ",".join(map(str, widths)),
        "source_sha256": sha256(weights),
        "source": Path(weights).name,
    }
    reference = numpy_network(network)
    paths = []
    for size in depth.NETWORK_SIZES:
        path = Path(out_dir) / depth.model_file_name(size)
        write_atomically(path, export_model(network, size, metadata).SerializeToString())
        depth.load_model.cache_clear()
        batch = depth.probe_input(size)
        expected, got = reference(batch), depth.load_model(path, size)(batch)
        difference = float(np.abs(got - expected).max() / np.ptp(expected))
        print(f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: "
              f"{path.stat().st_size / 1e6:.2f} MB, OpenCV vs torch max difference {difference:.1e} of the range")
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=REPO_ROOT / "models" / "portrait_depth.pt")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models")
    arguments = parser.parse_args()
    export(arguments.weights, arguments.out)


if __name__ == "__main__":
    main()
