"""Depth the user brings: files in every format the issue names, the `_depth` sibling, and depth embedded in a
JPEG with the GDepth and Dynamic Depth structures, built here; bad files give one-line errors."""

import base64
import io

import numpy as np
import pytest
from PIL import Image
from scipy.stats import spearmanr

from portrait3d_blender.core import depth, depth_source, image
from portrait3d_blender.core.depth_source import DepthSource
from portrait3d_blender.core.errors import DepthMapError, Portrait3DError
from tests.conftest import ASTRONAUT, GRACE_HOPPER


def given_nearness(height, width):
    """A depth no network would guess: a tilted plane with a near disc off centre (1 = nearest)."""
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    plane = 0.2 + 0.4 * columns / width + 0.1 * rows / height
    disc = np.hypot(columns - 0.3 * width, rows - 0.6 * height) < 0.2 * min(width, height)
    return np.where(disc, 0.95, plane).astype(np.float32)


@pytest.fixture(scope="module")
def astronaut():
    return image.load_photo(ASTRONAUT)  # 512×512, no network needed


def _agreement(nearness, expected):
    import cv2

    expected = cv2.resize(expected, nearness.shape[::-1], interpolation=cv2.INTER_AREA)
    return spearmanr(nearness.ravel(), expected.ravel()).statistic


def _write(path, nearness, kind):
    """Save `nearness` (1 = near) as the named kind of depth-map file."""
    if kind == "png16":
        Image.fromarray(np.round(nearness * 65535).astype(np.uint16)).save(path)
    elif kind == "png8":
        Image.fromarray(np.round(nearness * 255).astype(np.uint8)).save(path)
    elif kind == "jpeg":
        Image.fromarray(np.round(nearness * 255).astype(np.uint8)).convert("RGB").save(path, quality=95)
    elif kind == "tiff":
        Image.fromarray(nearness.astype(np.float32)).save(path)
    elif kind == "exr":
        import os

        os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
        import cv2

        assert cv2.imwrite(str(path), nearness.astype(np.float32))
    return path


@pytest.mark.parametrize("kind, suffix", [("png16", ".png"), ("png8", ".png"), ("jpeg", ".jpg"),
                                          ("tiff", ".tif"), ("exr", ".exr")])
def test_every_file_format_gives_the_map_at_working_size(tmp_path, astronaut, kind, suffix):
    expected = given_nearness(400, 400)  # another size than the photo's 512: stretched to fit
    path = _write(tmp_path / f"depth{suffix}", expected, kind)
    nearness = depth_source.load_nearness(DepthSource("FILE", str(path)), astronaut)
    assert nearness.shape == astronaut.working_rgb.shape[:2] and nearness.dtype == np.float32
    assert nearness.min() == 0.0 and nearness.max() == 1.0  # normalised like the network's
    assert _agreement(nearness, expected) > 0.99


def test_far_is_white_flips_pictures_and_inverts_float_distances(tmp_path, astronaut):
    expected = given_nearness(512, 512)
    picture = _write(tmp_path / "far_white.png", 1.0 - expected, "png8")
    nearness = depth_source.load_nearness(DepthSource("FILE", str(picture), far_is_white=True), astronaut)
    assert _agreement(nearness, expected) > 0.99
    distances = _write(tmp_path / "metres.exr", 1.0 / expected, "exr")  # distance = 1 / nearness: exact disparity
    nearness = depth_source.load_nearness(DepthSource("FILE", str(distances), far_is_white=True), astronaut)
    # 1 / distance is the nearness again, normalised the network's way: the exact values, not just their order.
    np.testing.assert_allclose(nearness, depth.normalise_nearness(expected), atol=0.01)


def test_sibling_depth_is_found_beside_the_photo(tmp_path, astronaut):
    photo = tmp_path / "portrait.png"
    photo.write_bytes(ASTRONAUT.read_bytes())
    expected = given_nearness(512, 512)
    _write(tmp_path / "portrait_depth.jpg", expected, "jpeg")
    nearness = depth_source.load_nearness(DepthSource("EMBEDDED"), image.load_photo(photo))
    assert _agreement(nearness, expected) > 0.99


def _jpeg_with_xmp(rgb, packets, exif=None):
    """JPEG bytes with APP1 segments (XMP and extended XMP) put right after the start-of-image marker."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=90, **({"exif": exif} if exif is not None else {}))
    data = buffer.getvalue()
    segments = b"".join(b"\xff\xe1" + (len(packet) + 2).to_bytes(2, "big") + packet for packet in packets)
    return data[:2] + segments + data[2:]


def _dynamic_depth_xmp(depth_length, near, far, fmt="RangeInverse"):
    """A Dynamic Depth 1.0 description: a container of the primary image and an appended PNG depth item."""
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:Device="http://ns.google.com/photos/dd/1.0/device/"
  xmlns:Container="{depth_source.DD_CONTAINER_NS}" xmlns:Item="{depth_source.DD_ITEM_NS}"
  xmlns:Camera="http://ns.google.com/photos/dd/1.0/camera/" xmlns:DepthMap="{depth_source.DD_DEPTHMAP_NS}">
 <Device:Container><Container:Directory><rdf:Seq>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"/></rdf:li>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/png" Item:Semantic="Depth"
     Item:Length="{depth_length}" Item:Padding="3" Item:DataURI="android/depthmap"/></rdf:li>
 </rdf:Seq></Container:Directory></Device:Container>
 <Device:Cameras><rdf:Seq><rdf:li rdf:parseType="Resource"><Camera:DepthMap DepthMap:Format="{fmt}"
   DepthMap:Near="{near}" DepthMap:Far="{far}" DepthMap:Units="Meters" DepthMap:DepthURI="android/depthmap"
   DepthMap:ItemSemantic="Depth"/></rdf:li></rdf:Seq></Device:Cameras>
</rdf:Description></rdf:RDF></x:xmpmeta>""".encode()


def _quantised(distance, near, far, fmt):
    """The spec's normalisation of distances to [0, 1] before quantising (the inverse of what we decode)."""
    if fmt == "RangeLinear":
        return (distance - near) / (far - near)
    return far * (distance - near) / (distance * (far - near))


def dynamic_depth_photo(path, rgb, distance, near=0.5, far=4.0, fmt="RangeInverse", exif=None):
    """A portrait JPEG the way Google Camera writes one: XMP container in the primary, depth PNG appended."""
    levels = np.round(_quantised(distance, near, far, fmt) * 65535).astype(np.uint16)
    depth_png = io.BytesIO()
    Image.fromarray(levels).save(depth_png, format="PNG")
    packet = depth_source._XMP_HEADER + _dynamic_depth_xmp(len(depth_png.getvalue()), near, far, fmt)
    path.write_bytes(_jpeg_with_xmp(rgb, [packet], exif) + depth_png.getvalue() + b"\0\0\0")
    return path


@pytest.mark.parametrize("fmt", ["RangeInverse", "RangeLinear"])
def test_dynamic_depth_photo_made_here_is_read(tmp_path, fmt):
    rgb = np.asarray(Image.open(GRACE_HOPPER).convert("RGB"))
    height, width = rgb.shape[:2]
    expected = given_nearness(height // 2, width // 2)  # phones store depth smaller than the photo
    distance = 1.0 / (0.25 + expected * 1.75)  # 0.5 m (nearest) to 4 m
    photo_path = dynamic_depth_photo(tmp_path / "PXL_portrait.jpg", rgb, distance, fmt=fmt)
    photo = image.load_photo(photo_path)
    assert photo.width == width  # still an ordinary JPEG to everything else
    nearness = depth_source.load_nearness(DepthSource("EMBEDDED"), photo)
    assert _agreement(nearness, expected) > 0.99
    # Disparity is affine in the stored nearness, so the normalised result is the nearness itself.
    import cv2

    np.testing.assert_allclose(nearness, depth.normalise_nearness(cv2.resize(expected, nearness.shape[::-1])),
                               atol=0.02)


def test_dynamic_depth_follows_the_photos_exif_rotation(tmp_path):
    stored = np.asarray(Image.open(GRACE_HOPPER).convert("RGB").transpose(Image.Transpose.ROTATE_90))
    upright = given_nearness(600, 512)
    stored_depth = np.rot90(upright, 1)  # stored as the pixels are: turned like them
    exif = Image.Exif()
    exif[0x0112] = 6
    path = dynamic_depth_photo(tmp_path / "turned.jpg", stored, 1.0 / (0.25 + stored_depth * 1.75),
                               exif=exif.tobytes())
    photo = image.load_photo(path)
    assert (photo.width, photo.height) == (512, 600)
    assert _agreement(depth_source.load_nearness(DepthSource("EMBEDDED"), photo), upright) > 0.99


def test_gdepth_in_extended_xmp_is_read(tmp_path, astronaut):
    expected = given_nearness(256, 256)
    near, far = 1.0, 5.0
    distance = 1.0 / (1.0 / far + expected * (1.0 / near - 1.0 / far))
    depth_jpeg = io.BytesIO()
    levels = np.round(_quantised(distance, near, far, "RangeInverse") * 255).astype(np.uint8)
    Image.fromarray(levels).save(depth_jpeg, format="JPEG", quality=95)
    data = base64.b64encode(depth_jpeg.getvalue()).decode()
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    main = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description xmlns:GDepth="{depth_source.GDEPTH_NS}" '
            f'xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="{guid.decode()}" '
            f'GDepth:Format="RangeInverse" GDepth:Near="{near}" GDepth:Far="{far}" GDepth:Mime="image/jpeg"/>'
            f'</rdf:RDF></x:xmpmeta>').encode()
    extended = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                f'<rdf:Description xmlns:GDepth="{depth_source.GDEPTH_NS}" GDepth:Data="{data}"/>'
                f'</rdf:RDF></x:xmpmeta>').encode()
    chunk_size = 2000  # the extended packet is split over APP1 segments, as writers must past 64 KB
    chunks = [depth_source._EXTENDED_XMP_HEADER + guid + len(extended).to_bytes(4, "big")
              + offset.to_bytes(4, "big") + extended[offset:offset + chunk_size]
              for offset in range(0, len(extended), chunk_size)]
    assert len(chunks) > 1
    path = tmp_path / "lens_blur.jpg"
    path.write_bytes(_jpeg_with_xmp(astronaut.working_rgb, [depth_source._XMP_HEADER + main] + chunks[::-1]))
    nearness = depth_source.load_nearness(DepthSource("EMBEDDED"), image.load_photo(path))
    assert _agreement(nearness, expected) > 0.98


def test_cli_option_values():
    assert DepthSource.from_option(None).uses_network
    assert DepthSource.from_option("AUTO") == DepthSource("EMBEDDED", "", False)
    assert DepthSource.from_option("d.png", True) == DepthSource("FILE", "d.png", True)


def _one_line_error(source, photo):
    with pytest.raises(DepthMapError) as caught:
        depth_source.load_nearness(source, photo)
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, Portrait3DError) and isinstance(caught.value, ValueError)
    return message


def test_bad_depth_files_are_one_line_errors(tmp_path, astronaut):
    wide = _write(tmp_path / "wide.png", given_nearness(400, 410), "png8")  # 2.5 % wider than the square photo
    assert "differ by 2.5%" in _one_line_error(DepthSource("FILE", str(wide)), astronaut)
    slightly = _write(tmp_path / "slightly.png", given_nearness(400, 403), "png8")  # 0.75 %: stretched
    assert depth_source.load_nearness(DepthSource("FILE", str(slightly)), astronaut).shape == (512, 512)
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    assert "can read" in _one_line_error(DepthSource("FILE", str(text)), astronaut)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(_write(tmp_path / "whole.png", given_nearness(512, 512), "png16").read_bytes()[:300])
    assert "damaged" in _one_line_error(DepthSource("FILE", str(truncated)), astronaut)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert "empty" in _one_line_error(DepthSource("FILE", str(empty)), astronaut)
    assert "not found" in _one_line_error(DepthSource("FILE", str(tmp_path / "nope.png")), astronaut)
    negative = _write(tmp_path / "negative.tif", given_nearness(512, 512) - 0.5, "tiff")
    assert "negative" in _one_line_error(DepthSource("FILE", str(negative), far_is_white=True), astronaut)
    # A photo with neither a sibling nor embedded depth.
    assert "No depth beside or inside astronaut.png" in _one_line_error(DepthSource("EMBEDDED"), astronaut)


def _apple_xmp(native_format, low, high):
    """The XMP Apple writes on an auxiliary disparity/depth image (depthData and pixel-data-info properties)."""
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:depthData="{depth_source.APPLE_DEPTH_NS}"
  xmlns:apdi="{depth_source.APPLE_PIXEL_NS}">
 <depthData:Accuracy>relative</depthData:Accuracy><depthData:Filtered>true</depthData:Filtered>
 <apdi:NativeFormat>{int.from_bytes(native_format, "big")}</apdi:NativeFormat>
 <apdi:FloatMinValue>{low}</apdi:FloatMinValue><apdi:FloatMaxValue>{high}</apdi:FloatMaxValue>
</rdf:Description></rdf:RDF></x:xmpmeta>""".encode()


def iphone_portrait(path, rgb, nearness, native_format=b"hdis"):
    """A JPEG as an iPhone exports a portrait: Multi-Picture Format with a matte and a disparity (or depth)
    image after the photo, each with its own XMP."""
    low, high = 0.25, 2.0  # disparity in 1/m: 4 m to 0.5 m
    disparity = low + nearness * (high - low)
    if native_format == b"hdep":
        values, low, high = 1.0 / disparity, 1.0 / high, 1.0 / low
    else:
        values = disparity
    levels = Image.fromarray(np.round((values - low) / (high - low) * 255).astype(np.uint8))
    levels.encoderinfo = {"xmp": _apple_xmp(native_format, low, high)}
    matte = Image.fromarray(np.full(nearness.shape, 255, dtype=np.uint8))  # a decoy: the portrait matte
    matte.encoderinfo = {"xmp": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
                                b'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:apdi="http://ns.apple.com/'
                                b'pixeldatainfo/1.0/" apdi:AuxiliaryImageType="urn:com:apple:photo:2018:aux:'
                                b'portraiteffectsmatte"/></rdf:RDF></x:xmpmeta>'}
    Image.fromarray(rgb).save(path, "MPO", save_all=True, append_images=[matte, levels], quality=90)
    return path


@pytest.mark.parametrize("native_format", [b"hdis", b"hdep"])
def test_iphone_auxiliary_disparity_or_depth_is_read(tmp_path, native_format):
    rgb = np.asarray(Image.open(GRACE_HOPPER).convert("RGB"))
    expected = given_nearness(300, 256)  # the aux image is smaller than the photo, same aspect
    path = iphone_portrait(tmp_path / "IMG_0001.jpg", rgb, expected, native_format)
    nearness = depth_source.load_nearness(DepthSource("EMBEDDED"), image.load_photo(path))
    assert _agreement(nearness, expected) > 0.98


def test_embedded_depth_is_read_from_the_photos_bytes_when_the_file_has_moved(tmp_path):
    """A 3D photo analysed again from the copy packed in its .blend still finds the depth inside the photo."""
    rgb = np.asarray(Image.open(GRACE_HOPPER).convert("RGB"))
    expected = given_nearness(300, 256)
    for made in (dynamic_depth_photo(tmp_path / "PXL.jpg", rgb, 1.0 / (0.25 + expected * 1.75)),
                 iphone_portrait(tmp_path / "IMG.jpg", rgb, expected)):
        data = made.read_bytes()
        made.unlink()
        photo = image.load_photo(made, data=data)
        assert _agreement(depth_source.load_nearness(DepthSource("EMBEDDED"), photo), expected) > 0.98
