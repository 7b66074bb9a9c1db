"""Relative depth of a portrait with the U-Net: letterbox → network → un-letterbox → mask-guided upsampling.

The network runs as an ONNX export (`models/export_onnx.py`) through OpenCV's DNN module, which is bundled for
every platform and Python anyway: no torch at run time. The export holds one fixed input shape per
orientation, because OpenCV 4.11 cannot import the network with symbolic height and width. Each file is
checked before OpenCV sees it (`onnx_file`: metadata, input and output shapes, finite weights) and by a
probe inference after, so a file that is not exactly what this code feeds is refused in one line.
"""

import functools
import re
import threading
from pathlib import Path

import numpy as np

from .errors import WeightsError
from .fill import extend_into
from .onnx_file import FLOAT, TYPE_NAMES, MalformedModel, read_model

NETWORK_SIZE_PORTRAIT = (256, 192)  # H, W as ARPortraitDepth; landscapes use the transpose
NETWORK_SIZES = (NETWORK_SIZE_PORTRAIT, NETWORK_SIZE_PORTRAIT[::-1])  # one ONNX model each
INPUT_CHANNELS = 4  # R, G, B in [0, 1] and the person mask, the network's only input
INPUT_NAME, OUTPUT_NAME = "rgb_mask", "disparity"
MODEL_FORMAT = "portrait3d-depth-onnx-v1"
MODEL_METADATA = ("format", "input_channels", "input_size", "widths", "source_sha256")
MAX_MODEL_BYTES = 64 * 1024 * 1024  # the network is under 2 MB; anything this big is not it
_FIX = "reinstall the extension, or export it again with models/export_onnx.py"


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


def model_file_name(size):
    """File name of the export for one network input size, e.g. portrait_depth_256x192.onnx."""
    return f"portrait_depth_{size[0]}x{size[1]}.onnx"


def default_model_dir():
    """The models ship beside the package in the extension zip, and in `models/` in a source checkout."""
    package_dir = Path(__file__).resolve().parents[1]
    candidates = (package_dir / "weights", package_dir.parent / "models")
    name = model_file_name(NETWORK_SIZE_PORTRAIT)
    return next((folder for folder in candidates if (folder / name).is_file()), candidates[0])


def _opencv_error_line(error):
    """OpenCV's message without its source paths and function names, on one line."""
    messages = re.findall(r"error: \(-?\d+:[^)]*\) (.*?)(?: in function '[^']*')?$", str(error), re.MULTILINE)
    return messages[-1].strip() if messages else str(error).strip().splitlines()[0]


def _check_declarations(path, info, size):
    """Metadata, input, output and weights of a parsed model, against what `predict_disparity` feeds it."""
    if not info.has_graph:
        raise WeightsError(f"{path} is not an ONNX model (it holds no graph); {_FIX}")
    missing = [key for key in MODEL_METADATA if key not in info.metadata]
    if info.metadata.get("format", MODEL_FORMAT) != MODEL_FORMAT:
        raise WeightsError(
            f"{path} is not a {MODEL_FORMAT} model (its format is '{info.metadata['format']}'); {_FIX}"
        )
    if missing:
        raise WeightsError(f"{path} lacks '{missing[0]}' in its metadata: not a {MODEL_FORMAT} model; {_FIX}")
    expected = {"input_channels": str(INPUT_CHANNELS), "input_size": f"{size[0]}x{size[1]}"}
    for key, value in expected.items():
        if info.metadata[key] != value:
            raise WeightsError(f"{path} has {key} '{info.metadata[key]}' in its metadata, expected '{value}'; {_FIX}")
    if not re.fullmatch(r"\d+(,\d+)*", info.metadata["widths"]):
        raise WeightsError(f"{path} has widths '{info.metadata['widths']}' in its metadata, not channel counts; {_FIX}")
    for kind, values, name, channels in (("input", info.inputs, INPUT_NAME, INPUT_CHANNELS),
                                         ("output", info.outputs, OUTPUT_NAME, 1)):
        wanted = (1, channels) + tuple(size)
        found = [(value.name, value.elem_type, value.dims) for value in values]
        if found != [(name, FLOAT, wanted)]:
            described = ", ".join(
                f"'{n}' {list(d)}" + ("" if t == FLOAT else f" of type {TYPE_NAMES.get(t, t)}") for n, t, d in found
            )
            raise WeightsError(
                f"{path} has {kind} {described or 'none'}, expected '{name}' float32 {list(wanted)}; {_FIX}"
            )
    for tensor in info.tensors:
        if tensor.external:
            raise WeightsError(f"{path} keeps tensor '{tensor.name}' in another file; {_FIX}")
        mismatch = tensor.byte_size_mismatch()
        if mismatch:
            raise WeightsError(f"{path} is damaged: tensor '{tensor.name}' has {mismatch}; {_FIX}")
        values = tensor.float_values()
        if values is not None and not np.isfinite(values).all():
            count = int(np.count_nonzero(~np.isfinite(values)))
            raise WeightsError(f"{path} has {count} non-finite values (NaN or Inf) in '{tensor.name}'; {_FIX}")


def probe_input(size):
    """A fixed person-like input: a lit gradient with a centred ellipse as the mask."""
    rows, columns = np.mgrid[0:size[0], 0:size[1]].astype(np.float32)
    rows, columns = rows / size[0], columns / size[1]
    mask = (((rows - 0.55) / 0.4) ** 2 + ((columns - 0.5) / 0.3) ** 2 < 1).astype(np.float32)
    rgb = np.stack([0.3 + 0.5 * columns, 0.4 + 0.3 * rows, 0.5 - 0.2 * mask * rows], axis=0)
    return np.concatenate([rgb, mask[None]], axis=0)[None]


class OpenCVNetwork:
    """One checked ONNX model in OpenCV's DNN module: float32 1×4×H×W in, 1×1×H×W out; one call at a time."""

    def __init__(self, net, size):
        self.size = tuple(size)
        self._net = net
        self._lock = threading.Lock()  # a cv2.dnn.Net holds its input and buffers: calls must not interleave

    def __call__(self, batch):
        with self._lock:
            self._net.setInput(np.ascontiguousarray(batch, dtype=np.float32), INPUT_NAME)
            return self._net.forward(OUTPUT_NAME)


@functools.lru_cache(maxsize=4)
def load_model(path, size):
    """The ONNX export at `path` for network input `size` (H, W), checked, as an `OpenCVNetwork`.

    Loading is safe: ONNX is data, and nothing in the file is executed. Every refusal is a one-line
    `WeightsError` naming the file and what is wrong with it.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"Depth model not found at {path}; {_FIX}")
    byte_count = path.stat().st_size
    if byte_count > MAX_MODEL_BYTES:
        raise WeightsError(f"{path} is {byte_count / 1e6:,.0f} MB, far more than the depth model; {_FIX}")
    data = path.read_bytes()
    try:
        info = read_model(data)
        _check_declarations(path, info, size)
    except MalformedModel as error:
        raise WeightsError(f"{path} is not an ONNX model or is truncated ({error}); {_FIX}") from None
    previous_level = cv2.setLogLevel(0)  # OpenCV logs each failing layer over several lines of its own
    try:
        net = cv2.dnn.readNetFromONNX(np.frombuffer(data, dtype=np.uint8))
        network = OpenCVNetwork(net, size)
        probe = network(probe_input(size))
    except cv2.error as error:
        raise WeightsError(f"OpenCV cannot run {path} ({_opencv_error_line(error)}); {_FIX}") from None
    finally:
        cv2.setLogLevel(previous_level)
    if probe.shape != (1, 1) + tuple(size) or not np.isfinite(probe).all():
        raise WeightsError(f"{path} gives non-finite depth on a test input; {_FIX}")
    if np.ptp(probe) <= 1e-6 * max(1.0, float(np.abs(probe).max())):
        raise WeightsError(f"{path} gives the same depth everywhere on a test input; {_FIX}")
    return network


def shipped_network(batch):
    """The shipped ONNX model for the batch's orientation, loaded and checked on first use."""
    size = tuple(batch.shape[2:])
    return load_model(default_model_dir() / model_file_name(size), size)(batch)


def predict_disparity(rgb, mask, network=shipped_network):
    """Raw network output (relative inverse depth, larger = nearer) at the network's resolution, un-letterboxed.

    `rgb` uint8 H×W×3, `mask` float32 H×W. `network` maps a float32 1×4×h×w array to 1×1×h×w (the shipped
    model; the tests and `models/evaluate.py` pass the torch reference). Returns float32 h×w with the photo's
    aspect.
    """
    stacked = np.concatenate([rgb.astype(np.float32) * (1.0 / 255.0), mask[..., None]], axis=2)
    padded, (top, left, height, width) = letterbox(stacked, network_size_for(*rgb.shape[:2]))
    batch = padded.transpose(2, 0, 1)[None]
    # The photo and its mirror image, the second answer mirrored back and the two averaged: a person's relief
    # is the same both ways round, the network's lopsided errors are not (synthetic validation: person AbsRel
    # 0.0323 / 0.0434 / 0.0470 -> 0.0319 / 0.0426 / 0.0465 on the three splits, for twice the 8 ms).
    mirrored = network(np.ascontiguousarray(batch[..., ::-1]))[0, 0, :, ::-1]
    disparity = (0.5 * (network(batch)[0, 0] + mirrored)).astype(np.float32)
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


def network_nearness(rgb, mask, network=shipped_network):
    """The network's nearness alone (float32 in [0, 1], 1 = nearest) at the resolution of `rgb`, edges on `mask`."""
    import cv2

    disparity = predict_disparity(rgb, mask, network)
    height, width = rgb.shape[:2]
    disparity = cv2.resize(disparity, (width, height), interpolation=cv2.INTER_CUBIC)
    return normalise_nearness(sharpen_depth_edges(disparity, mask))


def estimate_nearness(rgb, mask, people=(), network=shipped_network, focal=None):
    """Nearness (float32 in [0, 1], 1 = nearest) at the resolution of `rgb`: the network's, laid out by the
    people's faces and the scene's ground (`depth_prior`), with edges that follow `mask`.

    `people` are (segment.FaceBox, Face Mesh landmarks) pairs as `face_landmarks.confirmed_faces` gives
    them (none: the people are laid out by the mask alone). `focal` is the lens in pixels of `rgb`, the
    one the mesh is built with, so a person's relief fits the distance its face puts it at. models/evaluate.py
    passes the torch reference as `network`.
    """
    from .depth_prior import compose_disparity

    composed = compose_disparity(network_nearness(rgb, mask, network), mask, [face for face, _ in people],
                                 [points for _, points in people], focal=focal)
    return normalise_nearness(composed)
