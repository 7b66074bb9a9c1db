import numpy as np
import pytest
import torch

from portrait3d_blender.core import depth
from portrait3d_blender.core.unet import PortraitDepthUNet


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


def test_shipped_weights_load_safely_and_are_small():
    path = depth.default_weights_path()
    assert path.is_file(), f"shipped weights missing: {path}"
    assert path.stat().st_size < 10 * 1024 * 1024
    network = depth.load_network(path, "cpu")
    assert isinstance(network, PortraitDepthUNet) and not network.training


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))  # creates a file if ever unpickled


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": depth.WEIGHTS_FORMAT, "payload": _Payload(marker)}, evil)
    with pytest.raises(depth.WeightsError, match="Refused to load"):
        depth.load_network(evil, "cpu")
    assert not marker.exists()


def test_missing_and_corrupt_weights_name_the_path_and_the_fix(tmp_path):
    with pytest.raises(depth.WeightsError, match="not found.*reinstall"):
        depth.load_network(tmp_path / "nothing.pt", "cpu")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(depth.WeightsError, match=str(corrupt)):
        depth.load_network(corrupt, "cpu")
    wrong = tmp_path / "wrong.pt"
    torch.save({"format": depth.WEIGHTS_FORMAT, "widths": [8, 8], "input_channels": 4,
                "state_dict": PortraitDepthUNet().state_dict()}, wrong)
    with pytest.raises(depth.WeightsError, match="do not fit"):
        depth.load_network(wrong, "cpu")


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
