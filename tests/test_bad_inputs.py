"""Odd and hostile photos, made at test time, through the CLI and the operator: a clear error or a result."""

import numpy as np
import pytest
from PIL import Image

from portrait3d_blender.core import image, pipeline
from tests.conftest import GRACE_HOPPER, make_group_photo
from tests.test_cli import _error_lines, run_cli


def test_decompression_bomb_is_refused_without_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 megapixels in a few kilobytes
    assert bomb.stat().st_size < 200_000
    with pytest.raises(image.PhotoError, match="too large"):
        image.load_photo(bomb)
    result = run_cli("depth", bomb, "-o", tmp_path / "d.png")
    assert result.returncode == 1 and len(_error_lines(result.stderr)) == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "d.png").exists()


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (17, 9)])
def test_tiny_photos_make_a_small_3d_photo(tmp_path, size):
    path = tmp_path / "tiny.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    analysis = pipeline.analyse_photo(path)
    assert analysis.nearness.shape == (size[1], size[0])
    plan = pipeline.plan_scene(analysis, pipeline.Settings())
    assert sum(len(layer.mesh.quads) for layer in plan.layers) <= 4 * size[0] * size[1]


def test_animated_gif_uses_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (64, 48), color) for color in ((250, 0, 0), (0, 250, 0), (0, 0, 250))]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    photo = image.load_photo(path)
    assert not photo.blender_can_read  # Blender gets an upright first-frame texture instead
    red, green, blue = photo.working_rgb.reshape(-1, 3).mean(axis=0)
    assert red > 200 and green < 30 and blue < 30


def test_non_ascii_path(tmp_path):
    folder = tmp_path / "фото 照片 ü"
    folder.mkdir()
    photo = folder / "Grâce Hoppér.jpg"
    photo.write_bytes(GRACE_HOPPER.read_bytes())
    output = folder / "глубина.png"
    result = run_cli("depth", photo, "-o", output)
    assert result.returncode == 0, result.stderr
    assert Image.open(output).size == (512, 600)


def test_transparent_pixels_are_never_the_person(tmp_path):
    rgba = np.asarray(Image.open(GRACE_HOPPER).convert("RGBA")).copy()
    rgba[:, :256, 3] = 0  # cut away the left half
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba).save(path)
    analysis = pipeline.analyse_photo(path)
    assert analysis.photo.working_alpha is not None
    assert analysis.mask[:, :250].max() == 0.0 and analysis.mask[:, 300:].max() > 0.9


def test_several_people(tmp_path):
    path = make_group_photo(tmp_path)
    analysis = pipeline.analyse_photo(path)
    assert analysis.person_found
    assert analysis.mask[150:210, 180:240].mean() > 0.9 and analysis.mask[80:140, 580:640].mean() > 0.9  # both faces
    plan = pipeline.plan_scene(analysis, pipeline.Settings(mesh_resolution=128))
    assert [layer.name for layer in plan.layers] == ["Subject", "Background"]


def test_huge_photo_is_downscaled_for_the_networks_and_capped_for_the_texture(tmp_path):
    big = tmp_path / "big.jpg"
    Image.open(GRACE_HOPPER).resize((6000, 7000)).save(big, quality=85)  # 42 megapixels
    photo = image.load_photo(big)
    assert max(photo.working_rgb.shape) == image.WORKING_LONG_SIDE
    assert not photo.texture_from_file(4096) and photo.texture_from_file(8192)
    texture = image.write_texture_file(big, 4096, tmp_path)
    assert max(Image.open(texture).size) == 4096


@pytest.mark.parametrize("size", [(2400, 180), (150, 2000)], ids=["panorama", "tall strip"])
def test_extreme_aspect_ratios(tmp_path, size):
    path = tmp_path / "strip.jpg"
    Image.open(GRACE_HOPPER).convert("RGB").resize(size).save(path)
    analysis = pipeline.analyse_photo(path)
    assert analysis.nearness.shape == analysis.photo.working_rgb.shape[:2]
    assert np.isfinite(analysis.nearness).all()
    plan = pipeline.plan_scene(analysis, pipeline.Settings(mesh_resolution=256))
    assert all(np.isfinite(layer.mesh.vertices).all() for layer in plan.layers)
    assert 1.0 <= plan.zoom <= 1.5
