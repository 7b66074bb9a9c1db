"""Depth the user brings instead of the network's: a depth-map file, Facebook's `photo_depth.jpg` beside the
photo, or the depth a phone embedded in it (Google Camera's GDepth and Dynamic Depth XMP, an iPhone portrait
JPEG's auxiliary disparity or depth image).

Every source ends as what the network gives: nearness (float32 in [0, 1], 1 = nearest) at the photo's working
resolution, so the layers, tears, fill, camera and exports work on it unchanged. Maps are "white = near"
pictures unless the user says otherwise; a float map with far = white holds distances, so its nearness is
their inverse (disparity), as the network's is.
"""

import base64
import io
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import DepthMapError

KINDS = ("NETWORK", "FILE", "EMBEDDED")  # EMBEDDED: a `_depth` sibling, else depth inside the photo
ASPECT_TOLERANCE = 0.01  # a depth map is stretched to the photo only when its aspect is this close
SIBLING_SUFFIXES = (".jpg", ".jpeg", ".png")

_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_EXTENDED_XMP_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
GDEPTH_NS = "http://ns.google.com/photos/1.0/depthmap/"
DD_CONTAINER_NS = "http://ns.google.com/photos/dd/1.0/container/"
DD_ITEM_NS = "http://ns.google.com/photos/dd/1.0/item/"
DD_DEPTHMAP_NS = "http://ns.google.com/photos/dd/1.0/depthmap/"
APPLE_DEPTH_NS = "http://ns.apple.com/depthData/1.0/"
APPLE_PIXEL_NS = "http://ns.apple.com/pixeldatainfo/1.0/"
# Core Video pixel formats an auxiliary image's `apdi:NativeFormat` names: disparity grows toward the camera.
APPLE_DISPARITY_FORMATS = {int.from_bytes(code, "big") for code in (b"hdis", b"fdis")}
APPLE_DEPTH_FORMATS = {int.from_bytes(code, "big") for code in (b"hdep", b"fdep")}
# Pillow's transposition for each EXIF orientation: a depth map embedded in a photo is stored as its pixels are.
_UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
            7: "TRANSVERSE", 8: "ROTATE_90"}


@dataclass(frozen=True)
class DepthSource:
    """Where a photo's depth comes from: the network, a file the user names, or the photo's own depth."""

    kind: str = "NETWORK"
    path: str = ""  # the depth-map file, for FILE
    far_is_white: bool = False  # the map's convention: white = near unless this is set

    @classmethod
    def from_option(cls, text, far_is_white=False):
        """The CLI's `--depth-map` value: a file, or 'auto' for a `_depth` sibling or depth in the photo."""
        if text is None:
            return cls()
        if str(text).lower() == "auto":
            return cls("EMBEDDED", "", far_is_white)
        return cls("FILE", str(text), far_is_white)

    def as_tag(self):
        """A plain dict to keep in a Blender ID property, so the same depth can be read again."""
        return asdict(self)

    @property
    def uses_network(self):
        return self.kind == "NETWORK"


def sibling_depth_path(photo_path):
    """Facebook's convention: `photo.jpg` has its depth in `photo_depth.jpg` (or .jpeg/.png) beside it."""
    photo_path = Path(photo_path)
    for suffix in SIBLING_SUFFIXES:
        candidate = photo_path.with_name(f"{photo_path.stem}_depth{suffix}")
        if candidate.is_file():
            return candidate
    return None


def load_nearness(source, photo):
    """Nearness of `photo` (a `core.image.Photo`) from `source`, at the working resolution; DepthMapError if
    the depth cannot be read or does not fit the photo."""
    if source.kind == "FILE":
        path = Path(source.path)
        nearer = _nearer_values(*_read_map_file(path), source.far_is_white, path)
    elif source.kind == "EMBEDDED":
        path = sibling_depth_path(photo.path)
        if path is not None:
            nearer = _nearer_values(*_read_map_file(path), source.far_is_white, path)
        else:
            path = photo.path
            nearer = _upright(embedded_nearer(photo.path, photo.data), photo.orientation)
    else:
        raise ValueError(f"Not a depth source to read: {source.kind}")
    return fit_to_photo(nearer, photo, path)


def fit_to_photo(nearer, photo, path):
    """Values (larger = nearer) stretched to the photo's working size and normalised to nearness."""
    import cv2

    from .depth import normalise_nearness

    height, width = nearer.shape
    photo_aspect, map_aspect = photo.width / photo.height, width / height
    if abs(map_aspect / photo_aspect - 1.0) > ASPECT_TOLERANCE:
        raise DepthMapError(
            f"Depth map {path.name} is {width}×{height} but the photo is {photo.width}×{photo.height}: "
            f"their shapes differ by {abs(map_aspect / photo_aspect - 1.0):.1%} (at most 1%)"
        )
    work_h, work_w = photo.working_rgb.shape[:2]
    interpolation = cv2.INTER_AREA if width > work_w else cv2.INTER_LINEAR
    resized = cv2.resize(nearer.astype(np.float32), (work_w, work_h), interpolation=interpolation)
    return normalise_nearness(resized)


def _read_map_file(path):
    """A depth-map file as (float32 values in display orientation, is_float): levels over their full scale."""
    if not path.is_file():
        raise DepthMapError(f"Depth map not found: {path}")
    if path.stat().st_size == 0:
        raise DepthMapError(f"Depth map file is empty: {path}")
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            return _image_values(ImageOps.exif_transpose(image))
    except UnidentifiedImageError:
        return _read_with_opencv(path)  # OpenEXR, multi-channel float TIFF
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise DepthMapError(f"Depth map is damaged or unreadable ({error}): {path}") from None


def _image_values(image):
    """An opened Pillow image → (float32 values, is_float); integer levels scaled to [0, 1]."""
    if image.mode == "F":
        return np.asarray(image, dtype=np.float32), True
    if image.mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float32) / 65535.0, False
    if image.mode == "I":  # 16-bit greyscale PNGs may open as 32-bit integers
        values = np.asarray(image, dtype=np.float32)
        return values / (65535.0 if values.max() > 255 else 255.0), False
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0, False


def _read_with_opencv(path):
    """What Pillow cannot open: OpenEXR (enabled here, for this read only) and float TIFFs with channels."""
    os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
    import cv2

    values = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if values is None or values.size == 0:
        raise DepthMapError(f"Not a depth map we can read (PNG, JPEG, TIFF or EXR): {path}")
    if values.ndim == 3:
        values = values[..., 2] if values.shape[2] >= 3 else values[..., 0]  # OpenCV's BGR: the red channel
    if values.dtype == np.uint8:
        return values.astype(np.float32) / 255.0, False
    if values.dtype == np.uint16:
        return values.astype(np.float32) / 65535.0, False
    return values.astype(np.float32), True


def _nearer_values(values, is_float, far_is_white, path):
    """Map values → values that grow toward the camera: integer pictures flip, float distances invert."""
    finite = np.isfinite(values)
    if not finite.any():
        raise DepthMapError(f"Depth map holds no finite values: {path}")
    if not far_is_white:
        nearer = values
    elif not is_float:
        nearer = 1.0 - values
    else:
        if (values[finite] <= 0).any():
            raise DepthMapError(
                f"Depth map {path.name} has far = white as float distances, but some are zero or negative"
            )
        with np.errstate(divide="ignore"):
            nearer = 1.0 / values  # +inf (the sky) → 0, as far as far goes
    nearer = np.where(np.isnan(nearer), np.nanmin(np.where(finite, nearer, np.nan)), nearer)
    return np.nan_to_num(nearer, posinf=float(nearer[np.isfinite(nearer)].max()), neginf=0.0).astype(np.float32)


def _upright(values, orientation):
    """Depth stored like the photo's pixels, turned as the photo's EXIF orientation turns them."""
    if orientation not in _UPRIGHT:
        return values
    from PIL import Image

    turned = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(turned.transpose(getattr(Image.Transpose, _UPRIGHT[orientation])), dtype=np.float32)


# --- depth embedded in a JPEG's XMP --------------------------------------------------------------------------


def _opened(path, data):
    """The photo file, or its bytes when given (a copy packed in a .blend: the file may have moved since)."""
    return io.BytesIO(data) if data is not None else path


def xmp_packets(path, data=None):
    """The JPEG's main XMP packet and its extended XMP (reassembled from its chunks), as bytes; b"" if none."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(_opened(path, data)) as image:
            segments = [data for marker, data in getattr(image, "applist", ()) if marker == "APP1"]
    except (UnidentifiedImageError, OSError) as error:
        raise DepthMapError(f"Cannot look for depth inside {path}: {error}") from None
    main, chunks = b"", {}
    for data in segments:
        if data.startswith(_XMP_HEADER):
            main = data[len(_XMP_HEADER):]
        elif data.startswith(_EXTENDED_XMP_HEADER):
            # GUID (32 bytes), full length (4), this chunk's offset (4), then the chunk itself.
            body = data[len(_EXTENDED_XMP_HEADER):]
            chunks[int.from_bytes(body[36:40], "big")] = body[40:]
    return main, b"".join(chunk for _, chunk in sorted(chunks.items()))


def _fields(root, namespace):
    """Every `namespace` property anywhere in the tree, written as an attribute or as a child element."""
    prefix = "{" + namespace + "}"
    found = {}
    for element in root.iter():
        for key, value in element.attrib.items():
            if key.startswith(prefix):
                found.setdefault(key[len(prefix):], value)
        if element.tag.startswith(prefix) and element.text and element.text.strip() and not len(element):
            found.setdefault(element.tag[len(prefix):], element.text.strip())
    return found


def _parse(packet, path):
    if not packet.strip():
        return None
    try:
        return ElementTree.fromstring(packet.strip(b"\x00 \r\n\t"))
    except ElementTree.ParseError as error:
        raise DepthMapError(f"The XMP metadata in {path.name} is damaged ({error})") from None


def embedded_nearer(path, data=None):
    """Values growing toward the camera from the depth a phone embedded in the JPEG at `path` (or its bytes
    `data`), in the stored orientation: Dynamic Depth (an image appended to the file, described by its XMP
    container), GDepth (a base64 image in the extended XMP) or an iPhone's auxiliary image. DepthMapError when
    there is none."""
    path = Path(path)
    main, extended = xmp_packets(path, data)
    trees = [tree for tree in (_parse(main, path), _parse(extended, path)) if tree is not None]
    for tree in trees:
        depth_map = _fields(tree, DD_DEPTHMAP_NS)
        if depth_map:
            file_bytes = data if data is not None else path.read_bytes()
            return _decode_range(_dynamic_depth_image(tree, depth_map, file_bytes, path), depth_map, path)
    gdepth = {}
    for tree in trees:
        for key, value in _fields(tree, GDEPTH_NS).items():
            gdepth.setdefault(key, value)
    if "Data" in gdepth:
        try:
            encoded = base64.b64decode(gdepth["Data"], validate=False)
        except ValueError as error:
            raise DepthMapError(f"The GDepth data in {path.name} is damaged ({error})") from None
        return _decode_range(_decode_image(encoded, path), gdepth, path)
    apple = _apple_auxiliary_nearer(path, data)
    if apple is not None:
        return apple
    raise DepthMapError(
        f"No depth beside or inside {path.name}: expected {path.stem}_depth.jpg beside it, or a phone's "
        "portrait-mode depth (Google Camera GDepth or Dynamic Depth, iPhone JPEG disparity) inside it"
    )


def _apple_auxiliary_nearer(path, data):
    """An iPhone portrait JPEG's disparity (or depth) image: a further image of the file's Multi-Picture Format
    index, whose own XMP carries Apple's depthData and pixel-data-info properties. Its levels span
    `FloatMinValue`–`FloatMaxValue` of the native format; disparity is nearer = larger, depth its inverse.
    None when the file has no such image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(_opened(path, data)) as image:
            for index in range(1, getattr(image, "n_frames", 1)):
                image.seek(index)
                tree = _parse(image.info.get("xmp") or b"", path)
                if tree is None:
                    continue
                pixel_info = _fields(tree, APPLE_PIXEL_NS)
                native = int(_number(pixel_info, "NativeFormat", 0, path))
                if not _fields(tree, APPLE_DEPTH_NS) and native not in APPLE_DISPARITY_FORMATS | APPLE_DEPTH_FORMATS:
                    continue  # another auxiliary image: the portrait matte, a gain map
                image.load()
                levels, _ = _image_values(image)
                low = _number(pixel_info, "FloatMinValue", 0.0, path)
                high = _number(pixel_info, "FloatMaxValue", 1.0, path)
                values = low + levels * (high - low)
                if native not in APPLE_DEPTH_FORMATS:
                    return values.astype(np.float32)
                if low <= 0.0:
                    raise DepthMapError(f"The iPhone depth image in {path.name} has a depth range from {low:g}")
                return (1.0 / values).astype(np.float32)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DepthMapError(f"The auxiliary images in {path.name} are damaged ({error})") from None
    return None


def _number(fields, key, default, path):
    try:
        return float(fields.get(key, default))
    except ValueError:
        raise DepthMapError(f"The depth metadata in {path.name} has a {key} that is not a number") from None


def _dynamic_depth_image(tree, depth_map, data, path):
    """The depth item of a Dynamic Depth container: the items after the primary image are appended to the
    file in directory order, each `Length` bytes plus `Padding`, so they are found from the file's end."""
    items = [_fields(element, DD_ITEM_NS) for element in tree.iter(f"{{{DD_CONTAINER_NS}}}Item")]
    uri = depth_map.get("DepthURI")
    chosen = next((index for index, item in enumerate(items) if uri and item.get("DataURI") == uri), None)
    if chosen is None:
        chosen = next((index for index, item in enumerate(items) if item.get("Semantic") == "Depth"), None)
    if chosen is None or chosen == 0:
        raise DepthMapError(f"The Dynamic Depth container in {path.name} lists no depth image")
    try:
        spans = [(int(item["Length"]), int(item.get("Padding", 0))) for item in items[1:]]
    except (KeyError, ValueError):
        raise DepthMapError(f"The Dynamic Depth container in {path.name} has items without a length") from None
    offset = len(data) - sum(length + padding for length, padding in spans)
    if offset <= 0:
        raise DepthMapError(f"The Dynamic Depth items in {path.name} are longer than the file")
    for length, padding in spans[:chosen - 1]:
        offset += length + padding
    length = spans[chosen - 1][0]
    return _decode_image(data[offset:offset + length], path)


def _decode_image(encoded, path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(encoded)) as image:
            image.load()
            values, _ = _image_values(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise DepthMapError(f"The depth image inside {path.name} is damaged ({error})") from None
    return values


def _decode_range(normalised, properties, path):
    """The spec's RangeLinear / RangeInverse quantisation undone to distance, then inverted (nearer = larger)."""
    try:
        near, far = float(properties["Near"]), float(properties["Far"])
    except (KeyError, ValueError):
        raise DepthMapError(f"The depth inside {path.name} has no usable Near and Far values") from None
    if not (0.0 < near < far):
        raise DepthMapError(f"The depth inside {path.name} has Near {near:g} and Far {far:g}: need 0 < Near < Far")
    if properties.get("Format", "RangeInverse") == "RangeLinear":
        distance = near + normalised * (far - near)
    else:
        distance = far * near / (far - normalised * (far - near))
    return (1.0 / distance).astype(np.float32)
