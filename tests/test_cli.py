"""The command line as users run it: `python -m portrait3d_blender depth|make`."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ASTRONAUT, GRACE_HOPPER

REPO = Path(__file__).resolve().parents[1]


def run_cli(*arguments, cwd=REPO):
    """`python -m portrait3d_blender ARGUMENTS` run from `cwd` (the package is found there)."""
    return subprocess.run(
        [sys.executable, "-m", "portrait3d_blender", *map(str, arguments)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
    )


def _error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_depth_png_is_16_bit_photo_sized_and_white_is_near(tmp_path):
    # A portrait stored sideways with an EXIF rotation: the depth map must match the displayed photo.
    rotated = tmp_path / "hopper_rotated.jpg"
    stored = Image.open(GRACE_HOPPER).transpose(Image.Transpose.ROTATE_90)
    exif = stored.getexif()
    exif[0x0112] = 6
    stored.save(rotated, exif=exif, quality=95)
    output = tmp_path / "hopper_depth.png"
    result = run_cli("depth", rotated, "-o", output)
    assert result.returncode == 0, result.stderr
    depth = Image.open(output)
    assert depth.size == (512, 600) and depth.mode.startswith("I;16")
    levels = np.asarray(depth)
    assert levels.dtype.kind == "u" and levels.max() > 60000 and len(np.unique(levels)) > 5000  # no banding
    face, corner = levels[200:300, 200:320].mean(), levels[:60, :60].mean()
    assert face > corner + 10000  # white = near


def test_depth_refuses_to_overwrite_its_input(tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(ASTRONAUT.read_bytes())
    result = run_cli("depth", photo, "-o", photo)
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [f"error: Refusing to overwrite the input photo: {photo}"]
    assert photo.read_bytes() == ASTRONAUT.read_bytes()


def test_missing_photo_is_one_clear_line_and_no_output(tmp_path):
    output = tmp_path / "depth.png"
    result = run_cli("depth", tmp_path / "nope.jpg", "-o", output)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(_error_lines(result.stderr)) == 1 and "not found" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "depth", tmp_path / "nope.jpg", "-o", tmp_path / "d.png")
    assert result.returncode != 0 and "Traceback" in result.stderr


@pytest.mark.slow
def test_make_renders_an_mp4_with_the_asked_frame_count_and_a_blend(tmp_path):
    import bpy

    video, blend = tmp_path / "astronaut.mp4", tmp_path / "astronaut.blend"
    result = run_cli(
        "make", ASTRONAUT, "-o", video, "--frames", 7, "--width", 96, "--samples", 2,
        "--mesh-resolution", 64, "--blend", blend,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["astronaut.blend", "astronaut.mp4"]
    clip = bpy.data.movieclips.load(str(video))
    try:
        assert clip.frame_duration == 7
        assert tuple(clip.size) == (96, 96)
    finally:
        bpy.data.movieclips.remove(clip)
