"""The portrait depth U-Net (ARPortraitDepth style): training's network and the reference for the shipped ONNX.

The add-on does not import this (it runs `models/export_onnx.py`'s ONNX export through OpenCV); training,
evaluation, the export and the tests do.

Input: RGB (sRGB in [0, 1], ImageNet-normalised inside the network) plus the person mask, at 256×192 (H×W)
for portraits or 192×256 for landscapes; any size divisible by 32 works because the network is fully
convolutional. Output: one relative inverse-depth map per decoder scale, coarsest first; the last one is at
the input resolution. Inference uses only the last; training supervises all of them (deep supervision).
"""

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

WEIGHTS_FORMAT = "portrait3d-depth-v1"  # the .pt checkpoint: {"format", "widths", "input_channels", "state_dict"}
INPUT_CHANNELS = 4  # R, G, B, person mask
ENCODER_WIDTHS = (16, 24, 40, 64, 96)  # channels per level; each level halves the resolution
DOWNSAMPLE_FACTOR = 2 ** len(ENCODER_WIDTHS)

_RGB_MEAN = (0.485, 0.456, 0.406)
_RGB_STD = (0.229, 0.224, 0.225)


def _conv_bn_relu(in_channels, out_channels, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class _EncoderLevel(nn.Module):
    """Strided conv (halves the resolution) followed by one conv at the new resolution."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.down = _conv_bn_relu(in_channels, out_channels, stride=2)
        self.refine = _conv_bn_relu(out_channels, out_channels)

    def forward(self, x):
        return self.refine(self.down(x))


class _DecoderLevel(nn.Module):
    """Upsample ×2, concatenate the encoder features of the same resolution, fuse, predict depth."""

    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__()
        self.fuse = _conv_bn_relu(in_channels + skip_channels, out_channels)
        self.refine = _conv_bn_relu(out_channels, out_channels)
        self.depth_head = nn.Conv2d(out_channels, 1, 1)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self.refine(self.fuse(torch.cat([x, skip], dim=1)))
        return x, self.depth_head(x)


class PortraitDepthUNet(nn.Module):
    def __init__(self, widths=ENCODER_WIDTHS, input_channels=INPUT_CHANNELS):
        super().__init__()
        self.register_buffer("rgb_mean", torch.tensor(_RGB_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("rgb_std", torch.tensor(_RGB_STD).view(1, 3, 1, 1), persistent=False)
        self.encoder = nn.ModuleList()
        channels = input_channels
        for width in widths:
            self.encoder.append(_EncoderLevel(channels, width))
            channels = width
        # Skips, finest first: the full-resolution input itself, then every encoder level but the deepest.
        skip_widths = (input_channels,) + tuple(widths[:-1])
        self.decoder = nn.ModuleList()
        for skip_channels in reversed(skip_widths):
            out_channels = max(skip_channels, widths[0])
            self.decoder.append(_DecoderLevel(channels, skip_channels, out_channels))
            channels = out_channels

    def forward(self, rgb_and_mask):
        """Return the inverse-depth predictions of every decoder scale, coarsest first."""
        rgb = (rgb_and_mask[:, :3] - self.rgb_mean) / self.rgb_std
        x = torch.cat([rgb, rgb_and_mask[:, 3:]], dim=1)
        skips = [x]
        for level in self.encoder:
            x = level(x)
            skips.append(x)
        skips.pop()  # the deepest level is the decoder's input, not a skip
        predictions = []
        for level in self.decoder:
            x, depth = level(x, skips.pop())
            predictions.append(depth)
        return predictions


def read_checkpoint(path):
    """A weights-only checkpoint's dict ({"format", "widths", "input_channels", "state_dict"}), checked for its
    format. Pickled code is refused by `weights_only=True`."""
    checkpoint = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{path} is not a {WEIGHTS_FORMAT} checkpoint")
    return checkpoint


def load_checkpoint(path):
    """The network of a weights-only checkpoint (`read_checkpoint`), in eval mode."""
    checkpoint = read_checkpoint(path)
    network = PortraitDepthUNet(widths=tuple(checkpoint["widths"]), input_channels=int(checkpoint["input_channels"]))
    network.load_state_dict(checkpoint["state_dict"])
    return network.eval()


class FinestOutput(nn.Module):
    """The network as the product runs it: one input, the finest prediction only (what the ONNX export holds)."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, rgb_and_mask):
        return self.network(rgb_and_mask)[-1]


def numpy_network(network):
    """`network` as `core.depth` calls a network: float32 N×4×H×W array in, N×1×H×W array out."""
    network = network.eval()

    def run(batch):
        with torch.inference_mode():
            return network(torch.from_numpy(np.ascontiguousarray(batch)))[-1].numpy()

    return run
