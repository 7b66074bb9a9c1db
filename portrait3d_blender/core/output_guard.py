"""Before the work starts: may each output be written, is there room, will the encoders take the frame size,
and is this run the only one writing it.

- `probe_writable` creates and removes a file in the output's folder: permission bits, read-only mounts, ACLs
  and capabilities are all answered by the file system itself, not guessed from `os.access`.
- `claim` takes an exclusive lock beside each output for the whole run: a second run for the same output is
  refused at once. Holding it, any temporary beside that output is a leftover of a run that was killed
  (no one else may write there), so it is removed.
- `check_render` knows the encoders' limits; `check_free_space` compares the disk with an estimate; `check_frames`
  does both before a render.
"""

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path

from . import journal
from .errors import OutputError

# What the encoders accept. H.264 and VP9 at their highest level (6.2) take at most 35,651,584 pixels a frame;
# VP9 is limited to 16,384 px a side and x264 likewise; GIF stores sizes in 16 bits; Blender renders at most
# 65,536 px a side.
FRAME_LIMITS = {
    "MP4": (16384, 35_651_584, "H.264 (MP4) level 6.2"),
    "WEBM": (16384, 35_651_584, "VP9 (WebM) level 6.2"),
    "GIF": (65535, None, "GIF"),
    "PNG": (65536, None, "Blender's renderer"),
}
# Bytes per rendered pixel, about half of what bench/bench_outputs.py measured, so only a clearly short disk
# is refused: PNG frames 1.7, GIF 0.69 (plus its PNG frames, beside it until it is assembled), MP4 0.05,
# WebM 0.08.
MAX_GIF_FPS = 50  # GIF delays under 2/100 s are slowed to 1/10 s by browsers
BYTES_PER_PIXEL = {"PNG": 0.8, "GIF": 0.8 + 0.3, "MP4": 0.02, "WEBM": 0.04}
_LOCK_SUFFIX = ".lock"


def check_render(fmt, width, height, fps, what=""):
    """One-line OutputError if `fmt`'s encoder cannot take width×height frames at `fps`."""
    if fmt == "GIF" and fps > MAX_GIF_FPS:
        raise OutputError(f"A GIF plays at most {MAX_GIF_FPS} fps (its delays are whole hundredths of a second, "
                          f"and viewers slow shorter ones down); {fps:g} fps asked")
    side, pixels, encoder = FRAME_LIMITS[fmt]
    made = f"{what}makes {width}×{height} frames" if what else f"{width}×{height} frames"
    if max(width, height) > side:
        raise OutputError(f"{made}; {encoder} takes at most {side:,} px a side")
    if pixels is not None and width * height > pixels:
        raise OutputError(f"{made}; {encoder} takes at most {pixels:,} pixels a frame")


def estimated_bytes(fmt, width, height, frames):
    return int(BYTES_PER_PIXEL[fmt] * width * height * frames)


def check_frames(fmt, width, height, fps, frames, folder, what=""):
    """Before a render: `check_render`, then `check_free_space` for `frames` such frames written in `folder`."""
    check_render(fmt, width, height, fps, what)
    check_free_space(folder, estimated_bytes(fmt, width, height, frames),
                     f"{frames} frames of {width}×{height} as {fmt}")


def check_free_space(folder, needed, what):
    """OutputError if `folder`'s disk has less than `needed` bytes free."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise OutputError(
            f"Not enough free space in {folder}: {free / 2**20:.1f} MiB free, {what} needs about "
            f"{needed / 2**20:.1f} MiB"
        )


def probe_writable(folder):
    """OutputError unless a file can be created in `folder` (which exists)."""
    probe = Path(folder) / f".portrait3d-probe-{uuid.uuid4().hex[:8]}"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise OutputError(f"Cannot write in {folder}: {error.strerror}") from None
    os.close(descriptor)
    probe.unlink()


def lock_path(output):
    output = Path(output)
    return output.with_name(f".{output.name}{_LOCK_SUFFIX}")


def _try_lock(descriptor):
    """True if the exclusive lock on the open file was taken, False if someone holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock(output):
    """The open, locked lock file of `output`, or OutputError naming the run that holds it."""
    path = lock_path(output)
    while True:
        journal.note_lock(path)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(descriptor):
            os.close(descriptor)
            raise OutputError(f"Another run is writing {output} right now (it holds {path.name}); "
                              "wait for it to finish or choose another output")
        try:  # the file we locked must still be the one at the path (a finishing run unlinks it)
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)


def _unlock(output, descriptor):
    lock_path(output).unlink(missing_ok=True)  # while still holding it, so no one locks a file we remove
    os.close(descriptor)


def remove_abandoned_lock(path):
    """Remove the lock file `path` if no run holds it (after a worker was killed)."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        if _try_lock(descriptor) and os.path.exists(path) and os.stat(path).st_ino == os.fstat(descriptor).st_ino:
            os.unlink(path)
    finally:
        os.close(descriptor)


def stale_temporaries(output):
    """The temporaries `output_files.temporary_name` makes beside `output` (a stereo video's _L and _R too)."""
    output = Path(output)
    folder, stem, suffix = output.parent, output.stem, output.suffix
    pattern = re.compile(rf"\.{re.escape(stem)}\.[0-9a-f]{{8}}\.[a-z-]+(_L|_R)?{re.escape(suffix)}")
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if pattern.fullmatch(path.name))


class Claim:
    """Locks on every path in `outputs`, taken by `acquire()` (which removes what killed runs left beside them)
    and given back by `release()`; for work that spans more than one call, such as the add-on's render job."""

    def __init__(self, outputs):
        self.outputs = list(dict.fromkeys(Path(path) for path in outputs))
        self.held = []

    def acquire(self):
        """Raises OutputError if another run holds any of the paths; then none is held."""
        try:
            for output in self.outputs:
                self.held.append((output, _lock(output)))
                for leftover in stale_temporaries(output):
                    journal.remove_path(leftover)
        except BaseException:
            self.release()
            raise
        return self

    def release(self):
        while self.held:
            _unlock(*self.held.pop())


@contextlib.contextmanager
def claim(outputs):
    """Lock every path in `outputs` for the block (see `Claim`)."""
    held = Claim(outputs).acquire()
    try:
        yield
    finally:
        held.release()
