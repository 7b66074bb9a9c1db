import numpy as np
import pytest
from PIL import Image, ImageOps

from portrait3d_blender.core import image
from tests.conftest import ASTRONAUT, CAMERAMAN, GRACE_HOPPER

ORIENTATION = 0x0112


def _landmark_image(width=64, height=40):
    """An asymmetric test card: any flip or rotation changes it."""
    array = np.zeros((height, width, 3), dtype=np.uint8)
    array[: height // 4, : width // 3] = (255, 0, 0)  # red block top-left
    array[-height // 3 :, -width // 5 :] = (0, 0, 255)  # blue block bottom-right
    array[..., 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    return array


def test_real_photos_load_as_rgb_with_working_copy():
    for path, size in ((ASTRONAUT, (512, 512)), (CAMERAMAN, (512, 512)), (GRACE_HOPPER, (512, 600))):
        photo = image.load_photo(path)
        assert (photo.width, photo.height) == size
        assert photo.working_rgb.dtype == np.uint8 and photo.working_rgb.shape[2] == 3
        assert max(photo.working_rgb.shape[:2]) <= image.WORKING_LONG_SIDE
        assert photo.blender_can_read


def test_working_copy_is_downscaled_with_aspect(tmp_path):
    big = np.random.default_rng(0).integers(0, 255, (1500, 3000, 3), dtype=np.uint8)
    path = tmp_path / "wide.jpg"
    Image.fromarray(big).save(path, quality=90)
    photo = image.load_photo(path)
    assert (photo.width, photo.height) == (3000, 1500)
    assert photo.working_rgb.shape == (512, 1024, 3)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(tmp_path, orientation):
    stored = Image.fromarray(_landmark_image())
    exif = stored.getexif()
    exif[ORIENTATION] = orientation
    path = tmp_path / f"o{orientation}.png"
    stored.save(path, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    photo = image.load_photo(path)
    assert photo.orientation == orientation
    assert (photo.height, photo.width) == expected.shape[:2]
    np.testing.assert_array_equal(photo.working_rgb, expected)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_uv_transform_samples_the_stored_file_like_the_displayed_photo(orientation):
    """Sampling the un-rotated file at transformed UVs gives the displayed (EXIF-corrected) pixel."""
    stored_pixels = _landmark_image()
    stored = Image.fromarray(stored_pixels)
    exif = stored.getexif()
    exif[ORIENTATION] = orientation
    stored.info["exif"] = exif.tobytes()
    displayed = np.asarray(ImageOps.exif_transpose(stored))
    height, width = displayed.shape[:2]
    rows, columns = np.mgrid[0:height, 0:width]
    uv = np.stack([(columns + 0.5) / width, 1.0 - (rows + 0.5) / height], axis=-1)
    transform = image.stored_uv_transform(orientation)
    stored_uv = uv @ transform[:, :2].T + transform[:, 2]
    stored_h, stored_w = stored_pixels.shape[:2]
    stored_columns = np.floor(stored_uv[..., 0] * stored_w).astype(int)
    stored_rows = np.floor((1.0 - stored_uv[..., 1]) * stored_h).astype(int)
    np.testing.assert_array_equal(stored_pixels[stored_rows, stored_columns], displayed)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16"])
def test_any_mode_becomes_rgb(tmp_path, mode):
    source = Image.fromarray(_landmark_image())
    if mode == "I;16":
        gray = (np.asarray(source.convert("L")).astype(np.uint16) * 257)
        converted = Image.fromarray(gray)
        assert converted.mode.startswith("I;16")
    else:
        converted = source.convert(mode)
    path = tmp_path / ("photo.tif" if mode == "CMYK" else "photo.png")
    converted.save(path)
    photo = image.load_photo(path)
    assert photo.working_rgb.shape == (40, 64, 3)
    reference = np.asarray(source.convert("L" if mode in ("L", "LA", "I;16") else "RGB"), dtype=np.float32)
    result = photo.working_rgb.astype(np.float32)
    if reference.ndim == 2:
        result = result.mean(axis=2)
    tolerance = 40 if mode in ("P", "CMYK") else 2  # palettes and CMYK round-trips are lossy
    assert np.abs(result - reference).mean() < tolerance


def test_alpha_is_kept(tmp_path):
    rgba = np.zeros((30, 20, 4), dtype=np.uint8)
    rgba[..., :3] = 200
    rgba[:, 10:, 3] = 255
    path = tmp_path / "cutout.png"
    Image.fromarray(rgba).save(path)
    photo = image.load_photo(path)
    assert photo.working_alpha is not None
    assert photo.working_alpha[:, :10].max() == 0.0 and photo.working_alpha[:, 10:].min() == 1.0


def test_focal_length_from_exif(tmp_path):
    source = Image.fromarray(_landmark_image())
    exif = source.getexif()
    exif.get_ifd(0x8769)[0xA405] = 28
    path = tmp_path / "phone.jpg"
    source.save(path, exif=exif)
    assert image.load_photo(path).focal_35mm == 28.0


def test_texture_file_is_upright_and_capped(tmp_path):
    stored = Image.fromarray(_landmark_image())
    exif = stored.getexif()
    exif[ORIENTATION] = 6
    path = tmp_path / "rotated.png"
    stored.save(path, exif=exif)
    texture = image.write_texture_file(path, max_long_side=32, folder=tmp_path)
    assert texture.suffix == ".jpg" and texture.parent == tmp_path
    with Image.open(texture) as written:
        assert written.size == (20, 32)  # rotated upright, long side capped


def _written(path, content):
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "make_bad_file, message",
    [
        (lambda folder: folder / "missing.jpg", "not found"),
        (lambda folder: folder, "folder"),
        (lambda folder: _written(folder / "empty.jpg", b""), "empty"),
        (lambda folder: _written(folder / "notes.jpg", b"hello, not a photo"), "Not an image"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, make_bad_file, message):
    with pytest.raises(image.PhotoError, match=message):
        image.load_photo(make_bad_file(tmp_path))


def test_truncated_jpeg_gives_clear_error(tmp_path):
    data = GRACE_HOPPER.read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(image.PhotoError, match="damaged or truncated"):
        image.load_photo(path)
