"""The shipped weights are the blend models/README.md records, and blending refuses what it cannot blend."""

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from models.blend_weights import blend  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "models"
SHIPPED_ALPHA = 0.75  # models/README.md, section 4


def _load(name):
    return torch.load(MODELS / name, map_location="cpu", weights_only=True)


def test_the_shipped_weights_are_the_recorded_blend_of_the_two_committed_checkpoints():
    first, second = _load("pretrained_step3370.pt"), _load("finetune_mh_step4271.pt")
    shipped = _load("portrait_depth.pt")["state_dict"]
    blended = blend(first, second, SHIPPED_ALPHA)["state_dict"]
    assert blended.keys() == shipped.keys()
    assert all(torch.equal(blended[name], shipped[name]) for name in shipped)
    moved = [name for name in shipped if not torch.equal(first["state_dict"][name], second["state_dict"][name])]
    assert len(moved) > len(shipped) / 2  # the two ends differ, so the blend is a third network


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
