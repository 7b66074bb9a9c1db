"""Blending two checkpoints (models/blend_weights.py): a point on the line between them, and refusals."""

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from models.blend_weights import blend  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "models"


def _load(name):
    return torch.load(MODELS / name, map_location="cpu", weights_only=True)


def test_a_blend_is_a_third_network_between_the_two():
    first, second = _load("pretrained_step3370.pt"), _load("finetune_mh_step4271.pt")
    blended = blend(first, second, 0.75)["state_dict"]
    moved = [name for name, value in blended.items() if value.is_floating_point()
             and not torch.equal(first["state_dict"][name], second["state_dict"][name])]
    assert len(moved) > len(blended) / 2
    for name in moved:
        a, b, c = (weights[name].double() for weights in (first["state_dict"], blended, second["state_dict"]))
        assert torch.allclose(c - b, (c - a) * 0.25, atol=1e-6)  # a quarter of the way back from the second


def test_the_ends_of_the_line_are_the_two_checkpoints():
    first, second = _load("pretrained_step3370.pt"), _load("finetune_mh_step4271.pt")
    for alpha, expected in ((0.0, first), (1.0, second)):
        weights = blend(first, second, alpha)["state_dict"]
        assert all(torch.equal(weights[name], value) for name, value in expected["state_dict"].items()
                   if value.is_floating_point())  # the batch counters are always the second's


def test_two_different_networks_are_refused():
    first = _load("pretrained_step3370.pt")
    wider = {**first, "widths": [w * 2 for w in first["widths"]]}
    with pytest.raises(ValueError, match="different networks"):
        blend(first, wider, 0.5)
    fewer = {**first, "state_dict": dict(list(first["state_dict"].items())[:-1])}
    with pytest.raises(ValueError, match="different layers"):
        blend(first, fewer, 0.5)
