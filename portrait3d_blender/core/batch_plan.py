"""What `batch` makes of a folder, and what it has finished: free of Blender.

- Every photo gets its own output: `x.jpg` and `x.png` become `x_jpg.mp4` and `x_png.mp4`, not one `x.mp4`.
- The batch's own outputs are never photos, even when it writes into the folder it reads: what a manifest
  records, and what the batch would write for another photo there (`x.gif`, `x_depth.png`, `x_mask.png`).
- A photo is done only when the manifest (`.portrait3d-batch.json` in the output folder, replaced atomically
  after the photo's files are in place) records every file it wrote with the size and SHA-256 they still have.
  A result without a record is checked by reading it back: complete, it is adopted; unreadable (empty, cut
  short), it is made again; readable but different from what this batch would make, it is left alone and the
  photo fails with a line saying so.
"""

import hashlib
import json
import os
from pathlib import Path

from . import output_files, verify
from .errors import OutputError
from .image import PHOTO_SUFFIXES

MANIFEST_NAME = ".portrait3d-batch.json"


def candidates(folder):
    """The photo files directly inside `folder`, by name; hidden files (our own temporaries) are not photos."""
    return sorted(
        path for path in Path(folder).iterdir()
        if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES and not path.name.startswith(".")
    )


def _extension_stem(photo):
    """`x.jpg` → `x_jpg`: the stem an output takes when the photo's own stem would clash."""
    return f"{photo.stem}_{photo.suffix[1:].lower()}"


def output_names(photos, suffix, beside_photos=False):
    """{photo: output name}: the photo's stem, or stem_extension for photos that share a stem, or that would
    be written over themselves (`x.gif` made into a GIF when the outputs go `beside_photos`)."""
    stems = {}
    for photo in photos:
        stems.setdefault(photo.stem.lower(), []).append(photo)
    names = {}
    for photo in photos:
        shared = len(stems[photo.stem.lower()]) > 1
        itself = beside_photos and f"{photo.stem}{suffix}".lower() == photo.name.lower()
        names[photo] = f"{_extension_stem(photo) if shared or itself else photo.stem}{suffix}"
    return names


def plan(folder, output_folder, fmt, manifest=None):
    """([(photo, output path)], [photos left out because they are this batch's own outputs]). `manifest`: the
    output folder's `Manifest`, when the caller has read it already."""
    folder, output_folder = Path(folder), Path(output_folder)
    suffix = output_files.SUFFIX_OF_FORMAT[fmt]
    photos = candidates(folder)
    same_folder = folder.resolve() == output_folder.resolve()
    own = set()
    if same_folder:
        own = {folder / name for name in (manifest if manifest is not None else Manifest(output_folder)).files()}
        for photo in photos:  # under either name it may get, with its maps
            for made in (folder / f"{photo.stem}{suffix}", folder / f"{_extension_stem(photo)}{suffix}"):
                own.update(path for path in (made, *output_files.map_paths(made)) if path != photo)
    kept = [photo for photo in photos if photo not in own]
    names = output_names(kept, suffix, beside_photos=same_folder)
    return [(photo, output_folder / names[photo]) for photo in kept], [photo for photo in photos if photo in own]


def result_files(output, fmt, with_maps):
    """Every file one photo's result consists of (a PNG result: its frames)."""
    output = Path(output)
    files = output_files.frame_files(output) if fmt == "PNG" else [output]
    return files + (list(output_files.map_paths(output)) if with_maps else [])


def check_existing(output, fmt, frames, size, fps):
    """'complete' if the result at `output` reads back as this batch would make it (`frames` of `size` at
    `fps`), 'broken' if it does not read back at all (empty, cut short, no frames), else OutputError saying how
    it differs."""
    def read(expected_frames, expected_size):
        if fmt in ("MP4", "WEBM"):
            verify.video(output, expected_frames, expected_size)
        elif fmt == "GIF":
            delays = None if expected_frames is None else output_files.gif_delays(expected_frames, fps)
            verify.gif(output, delays, expected_size)
        else:
            verify.frames_folder(output_files.frame_files(output), expected_frames, expected_size)

    try:
        read(frames, size)
        return "complete"
    except OutputError as difference:
        try:
            read(None, None)
        except OutputError:
            return "broken"
        raise OutputError(f"{output} exists and is not what this batch makes ({difference}); "
                          "pass --overwrite to replace it") from None


def _digest(path):
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class Manifest:
    """The batch's record of finished results in `folder`: {output name: {"photo": name, "files": {relative
    path: [size, sha256]}}}. A damaged manifest counts as empty: results are then checked by reading them."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST_NAME
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))["results"]
        except (OSError, ValueError, KeyError, TypeError):
            self.entries = {}

    def files(self):
        return {name for entry in self.entries.values() for name in entry.get("files", ())}

    def is_done(self, output):
        """True if the manifest records `output` and every file it lists has its recorded size and hash."""
        entry = self.entries.get(Path(output).name)
        if not entry or not entry.get("files"):
            return False
        for name, (size, digest) in entry["files"].items():
            path = self.folder / name
            if not path.is_file() or path.stat().st_size != size or _digest(path) != digest:
                return False
        return True

    def record(self, output, photo, files):
        """Record `output` (made from `photo`, consisting of `files`) as done; the manifest is replaced
        atomically, after the files themselves are in place."""
        self.entries[Path(output).name] = {
            "photo": Path(photo).name,
            "files": {
                os.path.relpath(path, self.folder): [Path(path).stat().st_size, _digest(path)] for path in files
            },
        }
        text = json.dumps({"version": 1, "results": self.entries}, indent=1, sort_keys=True)
        with output_files.atomic_file(self.path) as temporary:
            temporary.write_text(text + "\n", encoding="utf-8")
