"""Check a written output before it is renamed into place: it must read back whole, with what was asked for.

A full disk, a lost write or an encoder that gave up leave files that look written: an MP4 without its index,
0-byte PNG frames, a .ply cut short. Each function here reads the file back (decoding every video frame and
every image) and raises `OutputError` naming what is wrong; `write_failure` turns that into a line that says
when the cause is a full disk. Free of Blender: the .blend's own reopening check lives with its writer.
"""

import json
import os
import re
import shutil
import struct
from pathlib import Path

from .errors import OutputError

# Below this much free space after a failed write, the disk being full is the likely cause.
FULL_DISK_BYTES = 4 << 20


def _size_text(size):
    return f"{size[0]}×{size[1]}"


def _check_count(what, found, frames):
    """`frames` None: any number but none."""
    if found != frames if frames is not None else found == 0:
        raise OutputError(f"{what} {found} of {frames} frames" if frames is not None else f"{what} no frames")


def video(path, frames, size=None):
    """Every frame of the video at `path` decodes; there are `frames` of them (None: at least one), each `size`
    (width, height)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise OutputError(f"the video does not open ({_file_size(path)} bytes)")
        decoded, shape = 0, None
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            decoded += 1
            shape = (frame.shape[1], frame.shape[0])
    finally:
        capture.release()
    _check_count("the video decodes to", decoded, frames)
    if size is not None and shape != tuple(size):
        raise OutputError(f"the video's frames are {_size_text(shape)}, not {_size_text(size)}")


def image(path, size=None, mode=None):
    """The image at `path` decodes completely (every pixel), at `size` when given. With a `mode` ("RGB"), the
    decoded image is returned in it, so a caller that needs the pixels (a GIF's encoder) decodes the file once."""
    from PIL import Image

    try:
        with Image.open(path) as picture:
            picture.load()
            found = picture.size
            decoded = picture.convert(mode) if mode is not None else None
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's truncated-file and bad-chunk errors
        raise OutputError(f"{Path(path).name} does not read back ({error})") from None
    if size is not None and found != tuple(size):
        raise OutputError(f"{Path(path).name} is {_size_text(found)}, not {_size_text(size)}")
    return decoded


def frame_count(paths, frames):
    """`paths` (as a list) when they are `frames` rendered frames (None: at least one)."""
    paths = list(paths)
    _check_count("the render has", len(paths), frames)
    return paths


def frames_folder(paths, frames, size=None):
    """`paths` are `frames` PNG frames, each of which reads back whole at `size`."""
    for path in frame_count(paths, frames):
        image(path, size)


def gif(path, delays, size=None):
    """The GIF at `path` decodes frame by frame, each `size`, and plays for the sum of `delays` (milliseconds,
    one a rendered frame; None: any length but none). Identical neighbouring frames are stored as one with
    their delays added (Pillow does so), so it is the playing time, not the frame count, that must match."""
    from PIL import Image

    try:
        with Image.open(path) as animation:
            found, decoded, playing = animation.size, 0, 0
            for index in range(animation.n_frames):
                animation.seek(index)
                animation.load()
                decoded += 1
                playing += animation.info.get("duration", 0)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise OutputError(f"the GIF does not read back ({error})") from None
    _check_count("the GIF has", decoded, None)
    if delays is not None and (playing != sum(delays) or decoded > len(delays)):
        raise OutputError(f"the GIF plays {decoded} frames in {playing} ms, not {len(delays)} in {sum(delays)} ms")
    if size is not None and found != tuple(size):
        raise OutputError(f"the GIF is {_size_text(found)}, not {_size_text(size)}")


_PLY_TYPES = {
    "char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
    "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8,
}


def ply(path, vertices):
    """A binary little-endian PLY with `vertices` vertices whose elements fill the file exactly."""
    import numpy as np

    data = Path(path).read_bytes()
    end = data.find(b"end_header\n")
    if not data.startswith(b"ply\n") or end < 0:
        raise OutputError(f"{Path(path).name} has no PLY header ({len(data)} bytes)")
    elements = []  # (name, count, fixed record size or None, (count type, item type) of its list)
    for line in data[:end].decode("ascii", "replace").splitlines():
        words = line.split()
        if words[:1] == ["format"] and words[1:2] != ["binary_little_endian"]:
            raise OutputError(f"{Path(path).name} is not binary little-endian PLY")
        if words[:1] == ["element"]:
            elements.append([words[1], int(words[2]), 0, None])
        elif words[:2] == ["property", "list"]:
            elements[-1][3] = (_PLY_TYPES[words[2]], _PLY_TYPES[words[3]])
        elif words[:1] == ["property"]:
            elements[-1][2] += _PLY_TYPES[words[1]]
    found = next((count for name, count, _, _ in elements if name == "vertex"), 0)
    if found != vertices:
        raise OutputError(f"{Path(path).name} has {found} of {vertices} vertices")
    offset = end + len(b"end_header\n")
    for name, count, record, listed in elements:
        if listed is None:
            offset += count * record
            continue
        count_size, item_size = listed
        if count_size != 1:
            raise OutputError(f"{Path(path).name}: PLY lists counted in {count_size} bytes are not checked")
        if count and offset >= len(data):
            raise OutputError(f"{Path(path).name} ends before its {name} list ({len(data)} bytes)")
        # Every record is a count byte, then that many items; records all of one length are checked at once.
        stride = 1 + data[offset] * item_size if count else 1
        if offset + count * stride <= len(data):
            block = np.frombuffer(data, np.uint8, count=count * stride, offset=offset)
            if np.all(block[::stride] == block[0] if count else True):
                offset += count * stride
                continue
        for _ in range(count):  # mixed list lengths, or cut short: walk them one by one
            if offset >= len(data):
                raise OutputError(f"{Path(path).name} ends inside its {name} list ({len(data)} bytes)")
            offset += 1 + data[offset] * item_size
    if offset != len(data):
        raise OutputError(f"{Path(path).name} is {len(data)} bytes; its header describes {offset}")


def obj(path, vertices):
    """A Wavefront OBJ with `vertices` vertex lines that ends with a complete line."""
    data = Path(path).read_bytes()
    found = data.count(b"\nv ") + data.startswith(b"v ")
    if found != vertices:
        raise OutputError(f"{Path(path).name} has {found} of {vertices} vertices")
    if not data.endswith(b"\n"):
        raise OutputError(f"{Path(path).name} ends in the middle of a line")


def glb(path, vertices):
    """A binary glTF whose chunks fill the file, whose buffer holds every view, with at least `vertices`
    vertices (the exporter splits vertices where normals or UVs differ, never merges them)."""
    data = Path(path).read_bytes()
    if len(data) < 20 or data[:4] != b"glTF":
        raise OutputError(f"{Path(path).name} is not binary glTF ({len(data)} bytes)")
    _, length = struct.unpack_from("<II", data, 4)
    if length != len(data):
        raise OutputError(f"{Path(path).name} is {len(data)} bytes; its header says {length}")
    chunks, offset = {}, 12
    while offset + 8 <= len(data):
        size, kind = struct.unpack_from("<I4s", data, offset)
        chunks[kind] = data[offset + 8:offset + 8 + size]
        offset += 8 + size
    try:
        document = json.loads(chunks[b"JSON"])
    except (KeyError, ValueError) as error:
        raise OutputError(f"{Path(path).name} has no readable JSON chunk ({error})") from None
    binary = len(chunks.get(b"BIN\x00", b""))
    if any(view.get("byteOffset", 0) + view["byteLength"] > binary for view in document.get("bufferViews", ())):
        raise OutputError(f"{Path(path).name}: a buffer view lies beyond its {binary}-byte buffer")
    accessors = document.get("accessors", ())
    found = sum(
        accessors[primitive["attributes"]["POSITION"]]["count"]
        for mesh in document.get("meshes", ()) for primitive in mesh["primitives"]
    )
    if found < vertices:
        raise OutputError(f"{Path(path).name} has {found} of {vertices} vertices")


MESH_CHECKS = {".ply": ply, ".obj": obj, ".glb": glb}


def blend_bytes(path):
    """An uncompressed .blend that starts with its header and ends with its ENDB block (the reopening check,
    which needs Blender, is `blender.verify_blend`)."""
    with open(path, "rb") as file:
        head = file.read(12)
        file.seek(0, os.SEEK_END)
        size = file.tell()
        if head.startswith(b"\x28\xb5\x2f\xfd"):  # zstd-compressed: only Blender can look inside
            return
        file.seek(max(0, size - 64))
        tail = file.read()
    if not head.startswith(b"BLENDER"):
        raise OutputError(f"{Path(path).name} has no .blend header ({size} bytes)")
    if b"ENDB" not in tail:
        raise OutputError(f"{Path(path).name} has no end block ({size} bytes): it was cut short")


def _file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _existing_folder(path):
    folder = Path(path).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


class WriteError(OutputError):
    """An output that was not written, with the reason; made by `write_failure`."""


def write_failure(output, reason):
    """The one-line WriteError for `output` not being written because of `reason` (an error or a text);
    a full disk is named as such, with the free space left. A WriteError passes through unchanged."""
    if isinstance(reason, WriteError):
        return reason
    if isinstance(reason, OSError) and reason.strerror:
        reason = reason.strerror
    reason = blender_error_line(reason)
    folder = _existing_folder(output)
    free = shutil.disk_usage(folder).free
    if free < FULL_DISK_BYTES or "no space left" in reason.lower():
        return WriteError(f"No space left in {folder} ({free / 2**20:.1f} MiB free): {output} was not written "
                           f"({reason})")
    return WriteError(f"{output} was not written: {reason}")


def blender_error_line(error):
    """One line out of a Blender operator's error, which may wrap a whole Python traceback."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    exceptions = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception): ", line)]
    line = (exceptions or lines or [""])[-1]
    return re.sub(r"^(Error|Python): ", "", line)
