"""Relative depth of a portrait with the U-Net: letterbox → network → un-letterbox → mask-guided upsampling."""

import functools
import os
from pathlib import Path

import numpy as np

from .errors import WeightsError
from .fill import extend_into

# The network is small: OpenMP threads that spin while they wait cost far more than they save once Blender or
# anything else keeps the cores busy (measured on 2 busy cores: 1,061 ms → 60 ms median per inference).
# It only takes effect if it is set before torch is first imported, which in the add-on happens lazily below.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

NETWORK_SIZE_PORTRAIT = (256, 192)  # H, W as ARPortraitDepth; landscapes use the transpose
WEIGHTS_NAME = "portrait_depth.pt"
WEIGHTS_FORMAT = "portrait3d-depth-v1"


def network_size_for(height, width):
    """Fixed network input size in the photo's orientation, so padding stays small."""
    tall, short = NETWORK_SIZE_PORTRAIT
    return (tall, short) if height >= width else (short, tall)


def letterbox(array, out_size):
    """Scale `array` (H×W or H×W×C float32) to fit `out_size` keeping its aspect, pad the rest with zeros.

    Returns the padded array and the (top, left, height, width) box holding the content.
    """
    import cv2

    out_h, out_w = out_size
    h, w = array.shape[:2]
    scale = min(out_h / h, out_w / w)
    content_h = max(1, min(out_h, round(h * scale)))
    content_w = max(1, min(out_w, round(w * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(array, (content_w, content_h), interpolation=interpolation)
    if resized.ndim < array.ndim:
        resized = resized[..., None]
    padded = np.zeros((out_h, out_w) + array.shape[2:], dtype=np.float32)
    top, left = (out_h - content_h) // 2, (out_w - content_w) // 2
    padded[top:top + content_h, left:left + content_w] = resized
    return padded, (top, left, content_h, content_w)


def default_weights_path():
    """Weights ship beside the package in the extension zip, and in `models/` in a source checkout."""
    package_dir = Path(__file__).resolve().parents[1]
    candidates = (package_dir / "weights" / WEIGHTS_NAME, package_dir.parent / "models" / WEIGHTS_NAME)
    return next((path for path in candidates if path.is_file()), candidates[0])


def pick_torch_device(preference="AUTO"):
    """'AUTO' takes CUDA, then Apple's MPS, then the CPU; 'CPU' forces the CPU."""
    import torch

    if preference != "CPU":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
    return "cpu"


@functools.lru_cache(maxsize=4)
def load_network(weights_path, device):
    """Build the U-Net from a weights-only checkpoint. Pickled code is refused by `weights_only=True`."""
    import pickle

    import torch

    from .unet import PortraitDepthUNet

    weights_path = Path(weights_path)
    fix = "reinstall the extension, or retrain with models/train.py"
    if not weights_path.is_file():
        raise WeightsError(f"Depth weights not found at {weights_path}; {fix}")
    try:
        checkpoint = torch.load(weights_path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WeightsError(
            f"Refused to load {weights_path}: it holds more than plain tensors ({first_line}); {fix}"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise WeightsError(f"Depth weights at {weights_path} are damaged ({error}); {fix}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"{weights_path} is not a {WEIGHTS_FORMAT} checkpoint; {fix}")
    network = PortraitDepthUNet(
        widths=tuple(checkpoint["widths"]), input_channels=int(checkpoint["input_channels"])
    )
    try:
        network.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise WeightsError(f"Depth weights at {weights_path} do not fit the network ({error}); {fix}") from None
    return network.eval().to(device)


def predict_disparity(rgb, mask, weights_path=None, device="cpu"):
    """Raw network output (relative inverse depth, larger = nearer) at the network's resolution, un-letterboxed.

    `rgb` uint8 H×W×3, `mask` float32 H×W. Returns float32 h×w with the photo's aspect.
    """
    import torch

    network = load_network(Path(weights_path or default_weights_path()), device)
    stacked = np.concatenate([rgb.astype(np.float32) * (1.0 / 255.0), mask[..., None]], axis=2)
    padded, (top, left, height, width) = letterbox(stacked, network_size_for(*rgb.shape[:2]))
    batch = torch.from_numpy(np.ascontiguousarray(padded.transpose(2, 0, 1)[None])).to(device)
    with torch.inference_mode():
        disparity = network(batch)[-1][0, 0].float().cpu().numpy()
    return disparity[top:top + height, left:left + width]


def sharpen_depth_edges(disparity, mask):
    """Make the person's depth edge follow the mask instead of the network's blurry low-resolution edge.

    The person's depth is extended outward from well inside the mask and the background's inward from well
    outside it; the soft mask then blends the two, so neither bleeds into the other.
    """
    import cv2

    # The network's edge blur spans a few of its own pixels: scale the band by the upsampling factor.
    band = max(2, round(3 * max(mask.shape) / max(NETWORK_SIZE_PORTRAIT)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    person = mask > 0.5
    person_core = cv2.erode(person.astype(np.uint8), kernel).astype(bool)
    background_core = cv2.erode((~person).astype(np.uint8), kernel).astype(bool)
    if not person_core.any() or not background_core.any():
        return disparity
    person_depth = extend_into(disparity, person_core, 2.0 * band)
    background_depth = extend_into(disparity, background_core, 2.0 * band)
    near_edge = ~(person_core | background_core)
    blended = mask * person_depth + (1.0 - mask) * background_depth
    return np.where(near_edge, blended, disparity).astype(np.float32)


def normalise_nearness(disparity, low_percentile=0.5, high_percentile=99.9):
    """Map disparity to nearness in [0, 1] (1 = nearest), robust to a few outlier pixels.

    The percentiles come from every fourth pixel each way: the same values to a fraction of a level, 16× faster.
    """
    low, high = np.percentile(disparity[::4, ::4], (low_percentile, high_percentile))
    if high - low < 1e-6:
        return np.full(disparity.shape, 0.5, dtype=np.float32)
    return np.clip((disparity - low) / (high - low), 0.0, 1.0).astype(np.float32)


def estimate_nearness(rgb, mask, weights_path=None, device="cpu"):
    """Nearness (float32 in [0, 1], 1 = nearest) at the resolution of `rgb`, with edges that follow `mask`."""
    import cv2

    disparity = predict_disparity(rgb, mask, weights_path, device)
    height, width = rgb.shape[:2]
    disparity = cv2.resize(disparity, (width, height), interpolation=cv2.INTER_CUBIC)
    return normalise_nearness(sharpen_depth_edges(disparity, mask))
