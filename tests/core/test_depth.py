import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from models.unet import WEIGHTS_FORMAT, PortraitDepthUNet, load_checkpoint, numpy_network
from portrait3d_blender.core import depth, image, segment
from tests.conftest import ASTRONAUT, GRACE_HOPPER, make_group_photo

REPO = Path(__file__).resolve().parents[2]


def test_letterbox_keeps_aspect_and_centres_content():
    wide = np.ones((100, 300, 3), dtype=np.float32)
    padded, (top, left, height, width) = depth.letterbox(wide, (192, 256))
    assert padded.shape == (192, 256, 3)
    assert (height, width) == (85, 256) and left == 0 and top == (192 - 85) // 2
    assert padded[top:top + height].min() == 1.0 and padded[:top].max() == 0.0


def test_network_orientation_follows_the_photo():
    assert depth.network_size_for(600, 400) == (256, 192)
    assert depth.network_size_for(400, 600) == (192, 256)


def test_network_output_scales():
    network = PortraitDepthUNet().eval()
    with torch.inference_mode():
        outputs = network(torch.rand(1, 4, 256, 192))
    assert [tuple(o.shape[-2:]) for o in outputs] == [(16, 12), (32, 24), (64, 48), (128, 96), (256, 192)]


def test_shipped_models_load_and_are_small():
    for size in depth.NETWORK_SIZES:
        path = depth.default_model_dir() / depth.model_file_name(size)
        assert path.is_file(), f"shipped depth model missing: {path}"
        assert path.stat().st_size < 4 * 1024 * 1024
        assert depth.load_model(path, size).size == size


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))  # creates a file if ever unpickled


def test_training_checkpoint_with_pickled_code_is_refused(tmp_path):
    """export_onnx.py and evaluate.py read .pt checkpoints: those load without running pickled code."""
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": WEIGHTS_FORMAT, "payload": _Payload(marker)}, evil)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(evil)
    assert not marker.exists()


@pytest.fixture(scope="module")
def torch_reference():
    return numpy_network(load_checkpoint(REPO / "models" / "portrait_depth.pt"))


def _photos(folder):
    """Real photos in both orientations: two portraits (one square) and a landscape group photo."""
    return {"astronaut": ASTRONAUT, "grace_hopper": GRACE_HOPPER, "group": make_group_photo(folder)}


def test_the_network_gives_the_same_depth_when_called_from_two_threads_at_once():
    """A depth map and the Show Depth Map button may run the network together (worker and main thread)."""
    size = depth.NETWORK_SIZE_PORTRAIT
    network = depth.load_model(depth.default_model_dir() / depth.model_file_name(size), size)
    batches = [depth.probe_input(size) * scale for scale in (1.0, 0.5)]
    expected = [network(batch) for batch in batches]
    results = [[], []]

    def run(index):
        for _ in range(8):
            results[index].append(network(batches[index]))

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in (0, 1):
        assert all(np.array_equal(result, expected[index]) for result in results[index])
    assert not np.array_equal(expected[0], expected[1])


def test_onnx_export_matches_torch_on_real_photos(tmp_path, torch_reference):
    sizes = set()
    for name, path in _photos(tmp_path).items():
        rgb = image.load_photo(path).working_rgb
        mask = segment.person_mask(rgb)
        sizes.add(depth.network_size_for(*rgb.shape[:2]))
        expected, got = depth.predict_disparity(rgb, mask, torch_reference), depth.predict_disparity(rgb, mask)
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1e-4 * np.ptp(expected), name
        expected, got = depth.network_nearness(rgb, mask, torch_reference), depth.network_nearness(rgb, mask)
        assert got.shape == rgb.shape[:2] and np.ptp(got) == 1.0
        assert np.abs(got - expected).max() <= 1e-4, name  # nearness spans [0, 1]: the bound is relative
    assert sizes == set(depth.NETWORK_SIZES)


def test_a_mirrored_photo_gets_the_mirrored_depth():
    """The network sees the photo and its mirror image and averages the two: Grace Hopper turned left to right
    gets her depth turned left to right, not another guess (one pass alone: up to 67 % of the range apart)."""
    rgb = image.load_photo(GRACE_HOPPER).working_rgb
    mask = segment.person_mask(rgb)
    disparity = depth.predict_disparity(rgb, mask)
    mirrored = depth.predict_disparity(np.ascontiguousarray(rgb[:, ::-1]), np.ascontiguousarray(mask[:, ::-1]))
    assert np.abs(mirrored[:, ::-1] - disparity).max() <= 1e-4 * np.ptp(disparity)


def test_depth_edges_follow_the_mask():
    """A blurry person-shaped disparity gets a crisp edge exactly where the mask says."""
    import cv2

    mask = np.zeros((200, 160), dtype=np.float32)
    cv2.circle(mask, (80, 100), 50, 1.0, -1)
    blurry = cv2.GaussianBlur(mask * 0.8 + 0.1, (0, 0), 8)
    sharp = depth.sharpen_depth_edges(blurry, mask)
    inside, outside = mask > 0.5, mask < 0.5
    ring_in = inside & (cv2.dilate(outside.astype(np.uint8), np.ones((5, 5))) > 0)
    ring_out = outside & (cv2.dilate(inside.astype(np.uint8), np.ones((5, 5))) > 0)
    assert sharp[ring_in].min() > sharp[ring_out].max()
    assert sharp[ring_in].mean() - sharp[ring_out].mean() > 2 * (blurry[ring_in].mean() - blurry[ring_out].mean())


def test_nearness_is_normalised():
    values = np.linspace(-3, 5, 1000, dtype=np.float32).reshape(10, 100)
    nearness = depth.normalise_nearness(values)
    assert nearness.min() == 0.0 and nearness.max() == 1.0
    assert np.all(np.diff(nearness.ravel()) >= 0)
    np.testing.assert_array_equal(depth.normalise_nearness(np.ones((4, 4), np.float32)), 0.5)


def test_person_is_nearer_than_the_background_on_a_real_photo(astronaut_analysis):
    nearness, mask = astronaut_analysis.nearness, astronaut_analysis.mask
    assert nearness.shape == mask.shape == astronaut_analysis.photo.working_rgb.shape[:2]
    assert nearness[mask > 0.9].mean() > nearness[mask < 0.1].mean() + 0.2
