"""Depth-aware editing from the command line: `--depth-map` (the given depth drives the 3D photo, `--depth-maps`
writes it back, a bad one is one line and nothing is written), the grade, text and stickers, all-faces focus."""

import numpy as np
import pytest
from PIL import Image

from portrait3d_blender.core import depth
from tests.conftest import ASTRONAUT
from tests.core.test_depth_source import _write, dynamic_depth_photo, given_nearness
from tests.test_cli import _error_lines, run_cli

QUICK = ("--frames", 2, "--width", 32, "--samples", 1, "--mesh-resolution", 32)


@pytest.mark.slow
def test_depth_maps_writes_the_given_depth_normalised(tmp_path):
    photo = tmp_path / "astronaut.png"
    photo.write_bytes(ASTRONAUT.read_bytes())
    expected = given_nearness(256, 256)
    _write(tmp_path / "astronaut_depth.jpg", expected, "jpeg")  # Facebook's sibling: found by `auto`
    result = run_cli("make", photo, "-o", tmp_path / "out.gif", "--depth-map", "auto", "--depth-maps", *QUICK)
    assert result.returncode == 0, result.stderr
    written = np.asarray(Image.open(tmp_path / "out_depth.png"), dtype=np.float32) / 255.0
    import cv2

    normalised = depth.normalise_nearness(cv2.resize(expected, (512, 512), interpolation=cv2.INTER_LINEAR))
    assert written.shape == (512, 512)
    assert np.abs(written - normalised).mean() < 0.01


@pytest.mark.slow
def test_embedded_depth_is_used_by_make(tmp_path):
    rgb = np.asarray(Image.open(ASTRONAUT).convert("RGB"))
    expected = given_nearness(256, 256)
    photo = dynamic_depth_photo(tmp_path / "PXL_1.jpg", rgb, 1.0 / (0.25 + expected * 1.75))
    result = run_cli("make", photo, "-o", tmp_path / "out.gif", "--depth-map", "auto", "--depth-maps", *QUICK)
    assert result.returncode == 0, result.stderr
    written = np.asarray(Image.open(tmp_path / "out_depth.png"), dtype=np.float32) / 255.0
    assert written[300, 150] > 0.95 and written[40, 20] < 0.1  # the near disc and the far corner


def _unchanged_after_failure(tmp_path, *arguments):
    before = sorted(path.name for path in tmp_path.iterdir())
    result = run_cli("make", tmp_path / "photo.png", "-o", tmp_path / "out.mp4", "--depth-maps",
                     "--blend", tmp_path / "out.blend", *arguments, *QUICK)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(_error_lines(result.stderr)) == 1, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # nothing written, not even a temporary
    return _error_lines(result.stderr)[0]


def test_bad_depth_maps_are_one_line_and_write_nothing(tmp_path):
    (tmp_path / "photo.png").write_bytes(ASTRONAUT.read_bytes())
    wide = _write(tmp_path / "wide.png", given_nearness(200, 300), "png8")
    assert "differ by 50.0%" in _unchanged_after_failure(tmp_path, "--depth-map", wide)
    garbage = tmp_path / "garbage.exr"
    garbage.write_bytes(b"\x76\x2f\x31\x01 not really an EXR")
    assert "depth map" in _unchanged_after_failure(tmp_path, "--depth-map", garbage).lower()
    assert "No depth beside or inside photo.png" in _unchanged_after_failure(tmp_path, "--depth-map", "auto")
    assert "goes with --depth-map" in _unchanged_after_failure(tmp_path, "--depth-map-far-is-white")


@pytest.mark.slow
def test_grade_background_darkens_the_background_by_the_stops_asked(tmp_path):
    """The issue's example: `--grade-background -1.5` darkens the background ~1.5 stops, the person stays."""
    import cv2

    from portrait3d_blender.core import pipeline

    stills = {}
    for name, grade in (("neutral", ()), ("graded", ("--grade-background", -1.5))):
        stills[name] = tmp_path / f"{name}.png"
        result = run_cli("make", ASTRONAUT, "-o", tmp_path / f"{name}.gif", "--still", stills[name],
                         "--orbit-size", 0, "--width", 96, "--frames", 2, "--samples", 4, *grade)
        assert result.returncode == 0, result.stderr
    linear = {name: (np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0) ** 2.2
              for name, path in stills.items()}
    mask = cv2.resize(pipeline.analyse_photo(ASTRONAUT).mask, (96, 96), interpolation=cv2.INTER_AREA)
    kernel = np.ones((5, 5), np.uint8)
    person = cv2.erode((mask > 0.5).astype(np.uint8), kernel).astype(bool)
    background = cv2.erode((mask < 0.5).astype(np.uint8), kernel).astype(bool)
    person_ratio, background_ratio = (linear["graded"][region].mean() / linear["neutral"][region].mean()
                                      for region in (person, background))
    assert person_ratio == pytest.approx(1.0, abs=0.03)
    assert np.log2(background_ratio) == pytest.approx(-1.5, abs=0.1)


@pytest.mark.slow
def test_make_adds_text_and_a_sticker_in_depth_and_the_blend_keeps_them_and_the_grade(tmp_path):
    import bpy

    sticker = tmp_path / "red.png"
    Image.new("RGBA", (40, 40), (255, 0, 0, 255)).save(sticker)
    blend, still = tmp_path / "out.blend", tmp_path / "still.png"
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "out.gif", "--blend", blend, "--still", still,
                     "--orbit-size", 0, "--text", "Moon", "--text-at", "256,60", "--text-depth", 0.5,
                     "--sticker", sticker, "--sticker-at", "60,60", "--sticker-size", 100, "--grade-background", -0.5,
                     *QUICK)
    assert result.returncode == 0, result.stderr
    pixels = np.asarray(Image.open(still).convert("RGB"), dtype=np.float32)
    corner = pixels[:12, :12]  # the sticker spans photo pixels 10–110 each way: render pixels 0.6–6.9
    assert (corner[1:6, 1:6, 0] > 200).all() and (corner[1:6, 1:6, 1:] < 60).all()
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    kinds = {obj.name: obj.type for obj in bpy.data.collections["3D Photo astronaut"].objects}
    assert kinds["3D Photo astronaut Text"] == "FONT" and kinds["3D Photo astronaut Sticker"] == "MESH"
    assert bpy.data.objects["3D Photo astronaut Text"].data.body == "Moon"
    grade = bpy.data.collections["3D Photo astronaut"]["portrait3d_grade"]  # the grade is saved with the file
    assert grade.nodes["Background Exposure"].outputs[0].default_value == pytest.approx(-0.5)


def test_text_and_sticker_options_are_checked_before_any_work(tmp_path):
    (tmp_path / "photo.png").write_bytes(ASTRONAUT.read_bytes())
    assert "--text and --text-at go together" in _unchanged_after_failure(tmp_path, "--text", "Hi")
    assert "Sticker image not found" in _unchanged_after_failure(
        tmp_path, "--sticker", tmp_path / "nope.png", "--sticker-at", "1,1")
    assert "--text-depth is a share" in _unchanged_after_failure(
        tmp_path, "--text", "Hi", "--text-at", "1,1", "--text-depth", 2)
    assert "outside the photo" in _unchanged_after_failure(tmp_path, "--text", "Hi", "--text-at", "900,1")


@pytest.mark.slow
def test_dof_on_all_faces_says_which_f_stop_it_used(tmp_path):
    from tests.conftest import make_group_photo

    group = make_group_photo(tmp_path)
    result = run_cli("make", group, "-o", tmp_path / "out.gif", "--dof", 1.0, "--focus", "all-faces", *QUICK,
                     "--width", 400)  # pixels small enough that f/1 would blur a face past one
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("Focused on all 2 faces at f/"))
    f_stop = float(line.split(" at f/")[1].split()[0].rstrip(";"))
    assert f_stop > 1.0 and "stopped down from f/1" in line
    bad = run_cli("make", group, "-o", tmp_path / "bad.gif", "--focus", "all-faces", *QUICK)
    assert bad.returncode == 1 and "--focus all-faces goes with --dof" in bad.stderr


def test_batch_takes_only_each_photos_own_depth_and_no_pixel_placements(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "photo.png").write_bytes(ASTRONAUT.read_bytes())
    for arguments, message in ((("--depth-map", tmp_path / "one.png"), "batch takes --depth-map auto"),
                               (("--text", "Hi", "--text-at", "1,1"), "--text and --sticker go at a pixel")):
        result = run_cli("batch", tmp_path / "in", "-o", tmp_path / "out", *arguments)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert len(_error_lines(result.stderr)) == 1 and not (tmp_path / "out").exists()
