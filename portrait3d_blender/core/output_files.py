"""Output files, free of Blender: which format a path asks for, refusing to clobber, atomic writes, GIF and PNG maps.

Every writer here works on a temporary name beside the destination and renames it into place only once it is
complete, so a failed or cancelled run never leaves a half-written file, and an existing file survives unless the
user asked to replace it.
"""

import contextlib
import os
import uuid
from pathlib import Path

import numpy as np

from . import journal, output_guard, verify
from .errors import ExportError, OutputError, OutputExistsError

FORMATS = ("MP4", "WEBM", "GIF", "PNG")  # PNG: a folder of numbered frames
FORMAT_OF_SUFFIX = {".mp4": "MP4", ".webm": "WEBM", ".gif": "GIF"}
SUFFIX_OF_FORMAT = {"MP4": ".mp4", "WEBM": ".webm", "GIF": ".gif", "PNG": ""}
FRAME_PREFIX = "frame_"  # Blender appends the 4-digit frame number and ".png"
DEPTH_MAP_SUFFIX = "_depth.png"  # a depth map beside its photo or render: <name>_depth.png, white = near
MASK_SUFFIX = "_mask.png"  # the person mask beside it
MESH_SUFFIXES = (".glb", ".obj", ".ply")  # what a mesh export can be: binary glTF, OBJ (+ MTL), PLY

# Render presets: `preview` is quick to judge a move, `final` renders at the photo's own resolution.
PRESETS = {
    "preview": {"render_size": 384, "render_samples": 4},
    "final": {"render_size": None, "render_samples": 64},  # None: the photo's long side, capped below
}
FINAL_SIZE_CAP = 4096


def format_of(output):
    """'MP4', 'WEBM', 'GIF' or 'PNG' (a folder: the text ends in a slash, names a folder, or has no suffix)."""
    text = os.fspath(output)
    path = Path(text)
    if text.endswith(("/", os.sep)) or not path.suffix:
        return "PNG"
    if path.is_dir():
        if path.suffix.lower() in FORMAT_OF_SUFFIX:
            raise OutputError(f"Output is a folder, not a {path.suffix} file: {text} (end it with / to render PNG "
                              "frames into it)")
        return "PNG"
    try:
        return FORMAT_OF_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise OutputError(f"Output must end in .mp4, .webm or .gif, or be a folder for PNG frames: {text}") from None


def with_format(output, fmt):
    """`output` renamed for `fmt`: the format's suffix, or no suffix for a folder of PNG frames."""
    output = Path(output)
    return output.with_suffix(SUFFIX_OF_FORMAT[fmt]) if output.suffix or fmt != "PNG" else output


def preset_settings(name, photo_long_side):
    """The Settings fields a preset sets, for a photo whose long side is `photo_long_side` pixels."""
    values = dict(PRESETS[name])
    if values.get("render_size", 0) is None:
        values["render_size"] = min(photo_long_side, FINAL_SIZE_CAP)
    return values


def render_size(photo_width, photo_height, long_side):
    """Render size for a photo, `long_side` pixels on its long side, with its aspect; even numbers, because
    H.264 needs them."""
    scale = long_side / max(photo_width, photo_height)
    return max(2, 2 * round(photo_width * scale / 2)), max(2, 2 * round(photo_height * scale / 2))


def frame_files(folder):
    """This add-on's frames in `folder`, in frame order."""
    return sorted(Path(folder).glob(f"{FRAME_PREFIX}[0-9]*.png"))


def check_output(output, photo=None, overwrite=False, fmt=None):
    """Raise OutputError unless `output` may be written: never the input photo, never an existing output
    unless `overwrite` (that one is an OutputExistsError), and its folder must exist. A PNG-sequence folder
    'exists' when it holds frames.

    `fmt` defaults to the render format the path asks for; "FILE" checks any other single file.
    """
    output = Path(output)
    fmt = fmt or format_of(output)
    if photo is not None and Path(photo).exists():
        photo = Path(photo).resolve()
        if output.exists() and output.resolve() == photo:
            raise OutputError(f"Refusing to overwrite the input photo: {output}")
        if fmt == "PNG" and photo.parent == output.resolve() and photo.name.startswith(FRAME_PREFIX):
            raise OutputError(f"Refusing to write frames over the input photo: {photo}")
    if not output.parent.is_dir():
        raise OutputError(f"Output folder does not exist: {output.parent}")
    output_guard.probe_writable(output.parent)
    if fmt == "PNG":
        if output.exists() and not output.is_dir():
            raise OutputError(f"Output for PNG frames is a file, not a folder: {output}")
        taken = output.is_dir() and bool(frame_files(output))
    else:
        if output.is_dir():
            raise OutputError(f"Output is a folder, not a file: {output}")
        taken = output.exists()
    if taken and not overwrite:
        raise OutputExistsError(output)


def temporary_name(output, tag="partial"):
    """A fresh hidden name beside `output`, on the same file system so that the final rename is atomic.

    The name is journaled (see `supervisor`), so it is removed even if the run is killed, and it has the form
    `output_guard.stale_temporaries` recognises, so the next run on `output` removes it if all else failed.
    """
    output = Path(output)
    temporary = output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}.{tag}{output.suffix}")
    journal.note_temporary(temporary)
    return temporary


def temporary_folder(output, tag):
    """A fresh hidden folder beside `output` (for frames, or an export's several files)."""
    folder = temporary_name(output, tag)
    folder.mkdir()
    return folder


@contextlib.contextmanager
def atomic_file(output, check=None):
    """Yield a fresh path beside `output` (not yet created); it replaces `output` only if the block succeeds
    and `check(path)` (a `verify` function) accepts what was written. A write that fails — a full disk, a lost
    permission, an I/O error, a file that does not read back — is one OutputError naming the output.

    The path must not exist beforehand: Blender would keep a `.blend1` backup of an existing file.
    """
    temporary = temporary_name(output)
    try:
        try:
            yield temporary
            if not temporary.is_file():
                raise OutputError("nothing was written")
            if check is not None:
                check(temporary)
        except (OSError, RuntimeError, OutputError) as error:  # RuntimeError: a Blender operator's failure
            raise verify.write_failure(output, error) from None
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)


def commit_folder(staged, output):
    """Put the frames rendered into `staged` at `output`: a rename when `output` is new; otherwise this add-on's
    old frames there are removed and the new ones moved in (other files in the folder are left alone)."""
    staged, output = Path(staged), Path(output)
    if not output.exists():
        os.rename(staged, output)
        return
    for old in frame_files(output):
        old.unlink()
    for new in staged.iterdir():
        os.replace(new, output / new.name)
    staged.rmdir()


def gif_delays(frames, fps):
    """Each frame's delay in milliseconds, whole hundredths of a second as GIF stores them, so that the
    animation keeps `fps` on average: frame i ends at round(100·(i+1)/fps) hundredths. 30 fps becomes
    30, 40, 30, 30, 40, 30, ... ms (10 hundredths every 3 frames), where one delay for all would be 30 or
    40 ms (33 or 25 fps)."""
    ends = np.round(np.arange(1, frames + 1) * 100.0 / fps).astype(int)
    return (np.diff(ends, prepend=0) * 10).tolist()



def write_gif(frame_paths, output, fps, size=None):
    """Frames (image files) → an animated GIF that loops forever, with one palette shared by all frames.

    A shared palette keeps colours from flickering between frames; it is chosen by median cut from a montage
    of thumbnails of up to 16 frames. GIF times are in hundredths of a second: see `gif_delays`. Each frame is
    decoded once for the GIF and checked as it is (`verify.image`: it reads back whole, at `size` if given).
    """
    from PIL import Image

    frame_paths = list(frame_paths)
    if not frame_paths:
        raise OutputError("No frames were rendered")
    samples = [frame_paths[i] for i in np.linspace(0, len(frame_paths) - 1, min(16, len(frame_paths))).astype(int)]
    thumbnails = []
    for path in samples:
        thumbnail = verify.image(path, size, mode="RGB")
        thumbnail.thumbnail((128, 128))
        thumbnails.append(thumbnail)
    tile_width, tile_height = thumbnails[0].size
    montage = Image.new("RGB", (tile_width * len(thumbnails), tile_height))
    for column, thumbnail in enumerate(thumbnails):
        montage.paste(thumbnail, (column * tile_width, 0))
    palette = montage.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    frames = [verify.image(path, size, mode="RGB").quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
              for path in frame_paths]
    frames[0].save(
        output,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        loop=0,
        duration=gif_delays(len(frames), fps),
        disposal=1,
        optimize=False,
    )


def write_gif_atomic(frame_paths, output, fps, size=None, frames=None):
    """`write_gif` into place once the GIF reads back; OutputError first unless there are `frames` frames (None:
    any number but none)."""
    frame_paths = verify.frame_count(frame_paths, frames)
    delays = gif_delays(len(frame_paths), fps)
    with atomic_file(output, lambda path: verify.gif(path, delays, size)) as temporary:
        write_gif(frame_paths, temporary, fps, size)


def depth_levels(nearness, width, height, bits=16):
    """Nearness (H×W in [0, 1]) resized to width×height as uint16 or uint8 levels; white = near."""
    import cv2

    full = cv2.resize(np.asarray(nearness, dtype=np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    top = 65535.0 if bits == 16 else 255.0
    return np.round(np.clip(full, 0.0, 1.0) * top).astype(np.uint16 if bits == 16 else np.uint8)


def write_map_png(values, width, height, path, bits=16):
    """A map in [0, 1] (depth as nearness, or a mask) → grayscale PNG of the photo's size, white = 1."""
    from PIL import Image

    Image.fromarray(depth_levels(values, width, height, bits)).save(path, format="PNG")


def map_paths(output):
    """Where `make --depth-maps` puts the depth map and the person mask: beside the output, named after it."""
    output = Path(output)
    stem = output.stem if output.suffix else output.name
    return output.with_name(f"{stem}{DEPTH_MAP_SUFFIX}"), output.with_name(f"{stem}{MASK_SUFFIX}")


def mask_path_beside(depth_path):
    """The person mask that goes with a depth map the user named: `x_depth.png` → `x_mask.png`."""
    depth_path = Path(depth_path)
    stem = depth_path.stem.removesuffix(Path(DEPTH_MAP_SUFFIX).stem)
    return depth_path.with_name(f"{stem}{MASK_SUFFIX}")


def mesh_export_files(output):
    """The files a mesh export writes: `output` (.glb, .obj or .ply) and, for an OBJ, its MTL beside it."""
    output = Path(output)
    if output.suffix.lower() not in MESH_SUFFIXES:
        raise ExportError(f"Mesh export must end in {', '.join(MESH_SUFFIXES[:-1])} or {MESH_SUFFIXES[-1]}: {output}")
    return [output, output.with_suffix(".mtl")] if output.suffix.lower() == ".obj" else [output]


def check_mesh_export(output, photo=None, overwrite=False):
    """`check_output` for a mesh export and the files written beside it, before any is written."""
    for path in mesh_export_files(output):
        check_output(path, photo, overwrite, fmt="FILE")


def check_maps(depth_path, mask_path, photo=None, overwrite=False):
    """`check_output` for the depth map and the mask, before either is written."""
    for path in (depth_path, mask_path):
        check_output(path, photo, overwrite, fmt="FILE")


def write_maps(analysis, depth_path=None, mask_path=None, bits=8):
    """The analysis's depth (white = near, as Facebook 3D photos) and person mask as PNGs at the photo's size."""
    width, height = analysis.photo.width, analysis.photo.height
    for values, path in ((analysis.nearness, depth_path), (analysis.mask, mask_path)):
        if path is not None:
            with atomic_file(Path(path), lambda written: verify.image(written, (width, height))) as temporary:
                write_map_png(values, width, height, temporary, bits)
