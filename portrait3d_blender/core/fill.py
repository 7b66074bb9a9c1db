"""Filling unknown pixels from known ones: depth behind a person, colours the camera was never shown."""

import numpy as np


def extend_into(values, source, sigma):
    """Fill pixels outside `source` (bool) with a blur of the values inside it (normalised convolution).

    Good for extending a field a short way (a few `sigma`) past an edge.
    """
    return np.where(source, values, normalised_blur(values, source, sigma))


def normalised_blur(values, source, sigma):
    """A Gaussian blur of `values` that only reads the pixels of `source` (bool), everywhere.

    Smooth by construction, so it is computed at a quarter of the resolution and upsampled: at full
    resolution a blur of a face's width takes tens of milliseconds.
    """
    import cv2

    height, width = values.shape
    shrink = 4 if min(height, width) >= 64 else 1
    small_size = (max(1, width // shrink), max(1, height // shrink))
    weights = cv2.resize(source.astype(np.float32), small_size, interpolation=cv2.INTER_AREA)
    weighted = cv2.resize(values * source, small_size, interpolation=cv2.INTER_AREA)
    blurred_values = cv2.GaussianBlur(weighted, (0, 0), sigma / shrink)
    blurred_weights = cv2.GaussianBlur(weights, (0, 0), sigma / shrink)
    filled = blurred_values / np.maximum(blurred_weights, 1e-6)
    filled = np.where(blurred_weights > 1e-4, filled, values.mean(dtype=np.float64)).astype(np.float32)
    return cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)


def push_pull_fill(values, valid):
    """Fill every pixel where `valid` is False from the valid ones, however large the hole.

    Multi-scale push-pull: average the valid values down a pyramid until every cell has data, then come back
    up, keeping known values and taking the coarser level's smooth estimate in the holes. Works on H×W or
    H×W×C float arrays; linear in the pixel count.
    """
    import cv2

    values = np.asarray(values, dtype=np.float32)
    weight = valid.astype(np.float32)
    if not valid.any():
        return values.copy()
    channels_last = values.ndim == 3
    levels = [(values * (weight[..., None] if channels_last else weight), weight)]
    while min(levels[-1][1].shape) > 1 and levels[-1][1].min() <= 0.0:
        weighted, weights = levels[-1]
        size = (max(1, weights.shape[1] // 2), max(1, weights.shape[0] // 2))
        levels.append(
            (cv2.resize(weighted, size, interpolation=cv2.INTER_AREA), cv2.resize(weights, size, interpolation=cv2.INTER_AREA))
        )

    def normalised(weighted, weights):
        safe = np.maximum(weights, 1e-8)
        return weighted / (safe[..., None] if channels_last else safe)

    weighted, weights = levels[-1]
    estimate = normalised(weighted, weights)
    if weights.min() <= 0.0:  # a 1-pixel-wide top level with gaps: use the mean of what is known
        known = weights > 0
        estimate[~known] = estimate[known].mean(axis=0)
    for weighted, weights in reversed(levels[:-1]):
        coarse = cv2.resize(estimate, (weights.shape[1], weights.shape[0]), interpolation=cv2.INTER_LINEAR)
        confidence = np.clip(weights, 0.0, 1.0)
        if channels_last:
            confidence = confidence[..., None]
        estimate = confidence * normalised(weighted, weights) + (1.0 - confidence) * coarse
    return np.where(valid[..., None] if channels_last else valid, values, estimate)


def nearest_known(values, known):
    """Every pixel's value taken from the nearest pixel where `known` (bool) is True (Euclidean distance)."""
    import cv2

    distance, labels = cv2.distanceTransformWithLabels(
        (~known).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # Labels number the known pixels in raster order, starting at 1.
    source = np.take(np.flatnonzero(known), labels.ravel() - 1)
    channels = values.shape[2:]
    nearest = np.take(values.reshape((-1,) + channels), source, axis=0)
    return nearest.reshape(values.shape), distance


def inpaint_colors(rgb, known, edge_falloff=None):
    """Colours for the pixels not `known`: exact continuations at the hole's rim, smooth deeper inside.

    A moving camera uncovers a hole from its rim inward, so the rim matters most: there each pixel takes the
    colour of the nearest known pixel (lightly blurred to hide the Voronoi cells), fading over `edge_falloff`
    pixels (by default 1/40 of the long side) into the multi-scale push-pull fill, which suits the rarely
    seen interior. float32 H×W×3 out.
    """
    import cv2

    rgb = np.asarray(rgb, dtype=np.float32)
    if known.all() or not known.any():
        return rgb.copy()
    if edge_falloff is None:  # a person's soft mask reaches a few percent of the frame past their outline
        edge_falloff = max(6.0, max(known.shape) / 40.0)
    nearest, distance = nearest_known(rgb, known)
    nearest = cv2.GaussianBlur(nearest, (0, 0), 2.0)
    smooth = push_pull_fill(rgb, known)
    rim_weight = np.exp(-distance / edge_falloff)[..., None]
    filled = rim_weight * nearest + (1.0 - rim_weight) * smooth
    return np.where(known[..., None], rgb, filled)
