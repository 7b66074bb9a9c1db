"""Load a photo: EXIF orientation applied, any Pillow mode to 8-bit sRGB, a working copy sized for the networks.

The full-resolution pixels are decoded only when the texture needs them: Blender can reference most photo files
directly, and the EXIF rotation is then applied to the UVs instead of the pixels (see `stored_uv_transform`).
"""

import io
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from .errors import PhotoError

WORKING_LONG_SIDE = 1024
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif")  # what the file choosers offer
# Formats Blender reads itself; any other goes through Pillow and is packed as pixels.
BLENDER_READABLE_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF", "BMP"}
BLENDER_READABLE_MODES = {"L", "LA", "RGB", "RGBA", "I;16", "I;16B", "I;16L"}
_EXIF_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_EXIF_FOCAL_35MM = 0xA405


@dataclass
class Photo:
    path: Path
    width: int  # displayed size, after EXIF orientation
    height: int
    working_rgb: np.ndarray  # H×W×3 uint8 sRGB, long side ≤ WORKING_LONG_SIDE
    working_alpha: np.ndarray | None  # H×W float32 in [0, 1], None when the photo is opaque
    orientation: int  # EXIF orientation of the stored pixels (1 = as displayed)
    focal_35mm: float | None  # 35 mm-equivalent focal length from EXIF, when the camera wrote it
    blender_can_read: bool  # Blender decodes this file format and mode itself
    # The file's bytes when they came from elsewhere than `path` (the copy packed in a .blend).
    data: bytes | None = field(default=None, repr=False, compare=False)

    def texture_from_file(self, max_texture_size):
        """Whether Blender should read the file itself (EXIF rotation then lives in the UVs)."""
        return self.blender_can_read and max(self.width, self.height) <= max_texture_size


def _open(path, data=None):
    """The photo at `path` opened by Pillow, or `data` (the file's bytes) when given; PhotoError if unusable."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if data is None:
        if not path.exists():
            raise PhotoError(f"Photo not found: {path}")
        if path.is_dir():
            raise PhotoError(f"Expected a photo file, got a folder: {path}")
        if not path.is_file():  # reading a FIFO or a device would block or never end
            kind = "a FIFO (named pipe)" if stat.S_ISFIFO(path.stat().st_mode) else "not a regular file"
            raise PhotoError(f"Expected a photo file, got {kind}: {path}")
    if (len(data) if data is not None else path.stat().st_size) == 0:
        raise PhotoError(f"Photo file is empty: {path}")
    try:
        image = Image.open(io.BytesIO(data) if data is not None else path)
    except UnidentifiedImageError:
        raise PhotoError(f"Not an image Pillow can read: {path}") from None
    except Image.DecompressionBombError as error:
        raise PhotoError(f"Photo too large to open safely ({error}): {path}") from None
    return image


def _to_rgb_and_alpha(image):
    """Any Pillow mode → (uint8 H×W×3 sRGB, float32 alpha or None)."""
    alpha = None
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2), None
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"))
        rgb, alpha_u8 = rgba[..., :3], rgba[..., 3]
        if alpha_u8.min() < 255:
            alpha = alpha_u8.astype(np.float32) / 255.0
        return np.ascontiguousarray(rgb), alpha
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image), None


_EXIF_ERRORS = (SyntaxError, ValueError, TypeError, KeyError, OSError, ZeroDivisionError, struct.error)


def _exif_details(image):
    """(orientation, 35 mm focal length or None); a damaged EXIF block counts as none at all."""
    try:
        exif = image.getexif()
        orientation = int(exif.get(_EXIF_ORIENTATION, 1) or 1)
        focal = exif.get_ifd(_EXIF_IFD).get(_EXIF_FOCAL_35MM)
        focal_35mm = float(focal) if focal else None
    except _EXIF_ERRORS:
        return 1, None
    return (orientation if orientation in range(1, 9) else 1), focal_35mm


def _decode_upright(image, path, draft_size=None):
    """First frame of an opened image, EXIF-rotated, as (uint8 RGB, alpha or None).

    `draft_size` lets a JPEG decode at 1/2, 1/4 or 1/8 scale when that is still at least this big.
    """
    from PIL import ImageOps

    try:
        image.seek(0)  # first frame of an animation
        if draft_size is not None and image.format == "JPEG":
            image.draft("RGB", draft_size)
        image.load()
    except (OSError, SyntaxError) as error:
        raise PhotoError(f"Photo is damaged or truncated ({error}): {path}") from None
    try:
        image = ImageOps.exif_transpose(image)
    except _EXIF_ERRORS:
        pass  # damaged EXIF: the pixels as stored, as `_exif_details` assumed
    return _to_rgb_and_alpha(image)


def _upright_size(image, orientation):
    stored_w, stored_h = image.size
    return (stored_h, stored_w) if orientation in (5, 6, 7, 8) else (stored_w, stored_h)


def displayed_size(path):
    """(width, height) of the photo as displayed (EXIF rotation applied), from its header alone."""
    image = _open(path)
    try:
        return _upright_size(image, _exif_details(image)[0])
    finally:
        image.close()


def load_photo(path, working_long_side=WORKING_LONG_SIDE, data=None):
    """Open `path` (or the file's bytes `data`, named by `path`) and decode only a working copy (JPEG draft mode
    makes a 12 MP photo decode in milliseconds)."""
    import cv2

    image = _open(path, data)
    try:
        orientation, focal_35mm = _exif_details(image)
        stored_w, stored_h = image.size
        width, height = _upright_size(image, orientation)
        blender_can_read = (
            image.format in BLENDER_READABLE_FORMATS and image.mode in BLENDER_READABLE_MODES
        )
        scale = min(1.0, working_long_side / max(width, height))
        draft_size = (int(stored_w * scale) + 1, int(stored_h * scale) + 1) if scale < 1.0 else None
        rgb, alpha = _decode_upright(image, path, draft_size)
    finally:
        image.close()
    work_w = max(1, round(width * scale))
    work_h = max(1, round(height * scale))
    if rgb.shape[:2] != (work_h, work_w):
        rgb = cv2.resize(rgb, (work_w, work_h), interpolation=cv2.INTER_AREA)
        if alpha is not None:
            alpha = cv2.resize(alpha, (work_w, work_h), interpolation=cv2.INTER_AREA)
    return Photo(
        path=Path(path).resolve(),
        width=width,
        height=height,
        working_rgb=np.ascontiguousarray(rgb),
        working_alpha=alpha,
        orientation=orientation,
        focal_35mm=focal_35mm,
        blender_can_read=blender_can_read,
        data=data,
    )


def write_texture_file(path, max_long_side, folder, data=None):
    """An upright copy of the photo, long side ≤ `max_long_side`, for Blender to read and pack.

    Used when Blender cannot read the file itself or it is over the texture cap. Staying in 8-bit and on disk
    keeps peak memory near one decoded photo (a 50 MP photo as float RGBA pixels would need 800 MB).
    Returns the new file's path inside `folder`: JPEG (quality 95) for opaque photos, PNG when there is alpha.
    """
    from PIL import Image

    image = _open(path, data)
    try:
        rgb, alpha = _decode_upright(image, path, (max_long_side, max_long_side))
    finally:
        image.close()
    texture = Image.fromarray(rgb)
    if alpha is not None:
        texture.putalpha(Image.fromarray(np.round(alpha * 255.0).astype(np.uint8)))
    texture.thumbnail((max_long_side, max_long_side), Image.LANCZOS)
    suffix = ".png" if alpha is not None else ".jpg"
    target = Path(folder) / f"{Path(path).stem}_texture{suffix}"
    texture.save(target, quality=95) if suffix == ".jpg" else texture.save(target)
    return target


def stored_uv_transform(orientation):
    """2×3 affine map from displayed UV (u right, v up, in [0, 1]) to the stored, un-rotated file's UV.

    Found by letting Pillow transpose a 2×2 image whose pixels name their stored position, so it agrees with
    `ImageOps.exif_transpose` by construction for all eight EXIF orientations.
    """
    from PIL import Image, ImageOps

    stored = np.zeros((2, 2, 3), dtype=np.uint8)
    stored[..., 0] = np.array([[0, 1], [0, 1]]) * 255  # stored column
    stored[..., 1] = np.array([[0, 0], [1, 1]]) * 255  # stored row
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[_EXIF_ORIENTATION] = orientation
    image.info["exif"] = exif.tobytes()
    displayed = np.asarray(ImageOps.exif_transpose(image)).astype(np.float64) / 255.0

    def to_uv(column, row):  # pixel quadrant → corner of the unit square in UV (v up)
        return np.array([column, 1.0 - row])

    # Corners of the displayed square: (u, v) = (0, 1) top-left, (1, 1) top-right, (0, 0) bottom-left.
    source = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    target = np.array([to_uv(*displayed[r, c, :2]) for r, c in ((0, 0), (0, 1), (1, 0))])
    # Solve target = A @ [u, v, 1].
    design = np.hstack([source, np.ones((3, 1))])
    return np.linalg.solve(design, target).T
