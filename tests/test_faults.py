"""Faults around a run, each row of issue 14's table, reproduced with the command line as users run it:
a full disk (a real tmpfs), read-only folders (root without CAP_DAC_OVERRIDE), real signals, racing runs."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import ASTRONAUT, GRACE_HOPPER
from tests.test_cli import REPO, _error_lines, run_cli

TINY = ("--frames", 4, "--fps", 10, "--width", 64, "--samples", 1, "--mesh-resolution", 32)
# Long enough to be stopped in the middle on two shared cores: ~100 frames of Cycles at 16 samples.
LONG = ("--frames", 100, "--width", 160, "--samples", 16, "--mesh-resolution", 64)
SETPRIV = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search")


def _names(folder):
    return sorted(path.name for path in Path(folder).iterdir())


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs: a real file system that fills up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk, leave):
    """Fill `disk` up, then free `leave` bytes."""
    descriptor = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, bytes(1 << 16))
    except OSError:
        pass
    finally:
        os.close(descriptor)
    os.truncate(disk / "filler", (disk / "filler").stat().st_size - leave)


def _clip_frames(path):
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = 0
    while capture.read()[0]:
        frames += 1
    return frames


# -- disk fills up during make -------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("target, options, leave", [
    ("clip.mp4", ("--width", 160), 4096),
    ("clip.webm", ("--width", 160), 4096),
    ("frames/", ("--width", 160), 96 << 10),  # the first frames fit, the later ones do not
    ("scene.blend", (), 64 << 10),
    ("mesh.ply", ("--mesh-resolution", 96), 64 << 10),
])
def test_full_disk_is_one_line_and_leaves_no_file(tmp_path, small_disk, target, options, leave):
    output = small_disk / target
    command = ["make", ASTRONAUT, *TINY, *options]
    if target.endswith(".blend"):
        command += ["-o", tmp_path / "clip.gif", "--blend", output]
    elif target.endswith(".ply"):
        command += ["-o", tmp_path / "clip.gif", "--export", output]
    else:
        command += ["-o", output]
    _fill(small_disk, leave)
    result = run_cli(*command)
    assert result.returncode == 1, result.stdout
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert errors[0].startswith(f"error: No space left in {small_disk}") and "was not written" in errors[0], errors
    assert _names(small_disk) == ["filler"]  # no final file, no temporary, no lock


@pytest.mark.slow
def test_too_little_space_is_refused_before_the_render(small_disk):
    result = run_cli("make", ASTRONAUT, "-o", f"{small_disk / 'frames'}/", "--frames", 48, "--width", 1024)
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [
        f"error: Not enough free space in {small_disk}: 4.0 MiB free, 48 frames of 1024×1024 as PNG needs about "
        "38.4 MiB"
    ]
    assert "Rendering" not in result.stderr and _names(small_disk) == []


@pytest.mark.slow
def test_batch_on_a_full_disk_reports_each_photo_then_resumes_once_there_is_room(tmp_path, small_disk):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(ASTRONAUT, photos / "astronaut.png")
    shutil.copy(GRACE_HOPPER, photos / "hopper.jpg")
    results = small_disk / "results"
    results.mkdir()
    _fill(small_disk, 8192)
    full = run_cli("batch", photos, "-o", results, *TINY, "--width", 160, "--format", "webm")
    assert full.returncode == 1
    assert "Batch: 0 made, 0 skipped (already there), 2 failed, of 2 photos" in full.stdout
    errors = _error_lines(full.stderr)
    assert len(errors) == 3 and all("No space left" in line for line in errors[:2]), full.stderr
    assert _names(results) == []  # no truncated video to count as done next time
    (small_disk / "filler").unlink()
    again = run_cli("batch", photos, "-o", results, *TINY, "--width", 160, "--format", "webm")
    assert again.returncode == 0, again.stderr
    assert "Batch: 2 made, 0 skipped (already there), 0 failed, of 2 photos" in again.stdout
    assert [_clip_frames(results / name) for name in ("astronaut.webm", "hopper.webm")] == [4, 4]


def test_batch_reports_any_failure_of_one_photo_and_goes_on(tmp_path, monkeypatch, capsys):
    from portrait3d_blender import cli

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(ASTRONAUT, photos / name)
    made = []

    def make(arguments):  # Blender's RuntimeError for one photo, as a full disk used to raise
        if Path(arguments.photo).name == "b.png":
            raise RuntimeError("Error: Cannot write\nmore detail")
        Path(arguments.output).write_bytes(b"")
        made.append(Path(arguments.photo).name)

    monkeypatch.setattr(cli, "run_make", make)
    monkeypatch.setattr(cli.batch_plan, "check_existing", lambda *arguments: "complete")
    arguments = cli._parser().parse_args(["batch", str(photos), "-o", str(tmp_path / "out"), "--format", "gif"])
    with pytest.raises(cli.CommandError, match="^1 of 3 photos failed: b.png: RuntimeError: Cannot write$"):
        cli.run_batch(arguments)
    captured = capsys.readouterr()
    assert made == ["a.png", "c.png"]
    assert "Batch: 2 made, 0 skipped (already there), 1 failed, of 3 photos" in captured.out
    assert _error_lines(captured.err) == ["error: b.png: RuntimeError: Cannot write"]


# -- signals -------------------------------------------------------------------------------------------------

def _start(*arguments):
    """The command line in its own process group, as a shell runs it; returns (process, stderr lines)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "portrait3d_blender", *map(str, arguments)], cwd=REPO, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = []
    threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True).start()
    return process, lines


def _until(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _wait_for(lines, text, timeout=300):
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        assert time.monotonic() < deadline, f"never saw {text!r}: {lines}"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("name, number, times, code", [
    ("clip.mp4", signal.SIGINT, 3, 130),  # Ctrl-C, even three times
    ("loop.gif", signal.SIGTERM, 1, 143),
])
def test_signal_cancels_the_render_within_2_s_and_cleans_up(tmp_path, name, number, times, code):
    process, lines = _start("make", ASTRONAUT, "-o", tmp_path / name, *LONG)
    _wait_for(lines, "Rendering")
    _until(lambda: any(path.name.startswith(".") and ".partial" in path.name or ".frames" in path.name
                       for path in tmp_path.iterdir()), "the render never started")  # its temporaries are there
    time.sleep(1.0)  # well into the render
    assert process.poll() is None
    sent = time.monotonic()
    for _ in range(times):
        os.killpg(process.pid, number)  # the whole foreground group, as the terminal's Ctrl-C does
        time.sleep(0.05)
    process.wait(timeout=10)
    took = time.monotonic() - sent
    time.sleep(0.2)
    assert process.returncode == code and took < 2.0, (process.returncode, took)
    errors = [line.strip() for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: cancelled by"), lines[-5:]
    assert _names(tmp_path) == []  # nothing: no output, no .partial, no frames folder, no lock


@pytest.mark.slow
def test_cancelled_batch_still_prints_its_summary(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(ASTRONAUT, photos / "astronaut.png")
    process, lines = _start("batch", photos, "-o", tmp_path / "results", *LONG)
    _wait_for(lines, "Rendering")
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=10)
    out = process.stdout.read()
    assert process.returncode == 130
    assert out.splitlines()[-1] == f"Batch: 0 made, 0 skipped (already there), 0 failed, of 1 photos in {photos}"
    time.sleep(0.2)
    assert [line for line in lines if line.startswith("error:")] == [
        "error: cancelled by Ctrl-C; the unfinished output and its temporary files were removed\n"
    ]
    assert _names(tmp_path / "results") == []


@pytest.mark.slow
def test_next_run_removes_what_a_killed_run_left(tmp_path):
    import tempfile

    from portrait3d_blender.core import journal, supervisor

    output = tmp_path / "loop.gif"
    process, lines = _start("make", ASTRONAUT, "-o", output, *LONG)
    _wait_for(lines, "Rendering")

    def frames_folder():
        return [name for name in _names(tmp_path) if name.startswith(".loop.") and name.endswith(".frames.gif")]

    _until(frames_folder, "the render's frames folder never appeared")
    process.kill()  # SIGKILL: no clean-up at all; the worker dies with it
    process.wait()
    journals = list(Path(tempfile.gettempdir()).glob(f"portrait3d-run-{process.pid}-*.journal"))
    assert len(journals) == 1  # the killed run's journal names what it left
    workers = [int(text) for kind, text in journal.entries(journals[0]) if kind == "W"]
    _until(lambda: not any(supervisor._alive(pid) for pid in workers), "the worker outlived its supervisor")
    assert frames_folder()
    result = run_cli("make", ASTRONAUT, "-o", output, *TINY)
    assert result.returncode == 0, result.stderr
    assert _names(tmp_path) == ["loop.gif"] and not journals[0].exists()


# -- unwritable and contested destinations -------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("command", [
    ("make", ASTRONAUT, "-o", "{ro}/clip.mp4", *TINY),
    ("make", ASTRONAUT, "-o", "{ro}/clip.gif", *TINY),
    ("make", ASTRONAUT, "-o", "{ro}/frames/", *TINY),
    ("batch", "{photos}", "-o", "{ro}", *TINY),
])
def test_read_only_folder_is_refused_before_any_work(tmp_path, command):
    read_only, photos = tmp_path / "ro", tmp_path / "photos"
    read_only.mkdir()
    photos.mkdir()
    shutil.copy(ASTRONAUT, photos / "astronaut.png")
    read_only.chmod(0o555)
    if shutil.which("setpriv") is None or subprocess.run([*SETPRIV, "true"], capture_output=True).returncode:
        pytest.skip("setpriv is not available, or may not change capabilities here")
    if subprocess.run([*SETPRIV, "touch", str(read_only / "probe")], capture_output=True).returncode == 0:
        pytest.skip("setpriv cannot drop CAP_DAC_OVERRIDE here")
    arguments = [str(part).format(ro=read_only, photos=photos) for part in command]
    started = time.monotonic()
    result = subprocess.run([*SETPRIV, sys.executable, "-m", "portrait3d_blender", *arguments], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [f"error: Cannot write in {read_only}: Permission denied"], result.stderr
    assert "Rendering" not in result.stderr and time.monotonic() - started < 20  # before the networks ran
    assert _names(read_only) == []


@pytest.mark.slow
def test_existing_folder_named_like_a_video_is_refused(tmp_path):
    (tmp_path / "X.mp4").mkdir()
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "X.mp4", *TINY)
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [
        f"error: Output is a folder, not a .mp4 file: {tmp_path / 'X.mp4'} (end it with / to render PNG frames into it)"
    ]
    assert _names(tmp_path / "X.mp4") == []


@pytest.mark.slow
def test_two_runs_racing_for_one_output_cannot_both_win(tmp_path):
    output = tmp_path / "clip.webm"
    runs = [_start("make", ASTRONAUT, "-o", output, *TINY) for _ in range(2)]
    codes = sorted(process.wait(timeout=300) for process, _ in runs)
    assert codes == [0, 1]
    loser = next(lines for process, lines in runs if process.returncode == 1)
    time.sleep(0.2)
    assert any("Another run is writing" in line or "Output exists" in line for line in loser), loser
    assert _names(tmp_path) == ["clip.webm"] and _clip_frames(output) == 4


# -- batch: names, its own outputs, empty results ------------------------------------------------------------

@pytest.mark.slow
def test_batch_gives_same_named_photos_their_own_results_and_never_eats_its_outputs(tmp_path):
    shutil.copy(ASTRONAUT, tmp_path / "x.png")
    Image.open(ASTRONAUT).convert("RGB").save(tmp_path / "x.jpg", quality=90)
    for run in range(3):
        result = run_cli("batch", tmp_path, "-o", tmp_path, *TINY, "--format", "gif", "--depth-maps")
        assert result.returncode == 0, result.stderr
        expected = (f"Batch: 2 made, 0 skipped (already there), 0 failed, of 2 photos in {tmp_path}" if run == 0 else
                    f"Batch: 0 made, 2 skipped (already there), 0 failed, of 2 photos in {tmp_path}; "
                    "6 of its own outputs left out")
        assert expected in result.stdout.splitlines(), result.stdout
    assert _names(tmp_path) == [
        ".portrait3d-batch.json", "x.jpg", "x.png", "x_jpg.gif", "x_jpg_depth.png", "x_jpg_mask.png",
        "x_png.gif", "x_png_depth.png", "x_png_mask.png",
    ]


@pytest.mark.slow
def test_batch_remakes_an_empty_or_truncated_result(tmp_path):
    photos, results = tmp_path / "photos", tmp_path / "results"
    photos.mkdir()
    shutil.copy(ASTRONAUT, photos / "y.png")
    (results / "y").mkdir(parents=True)  # an empty folder where the PNG frames go
    result = run_cli("batch", photos, "-o", results, *TINY, "--format", "png")
    assert result.returncode == 0, result.stderr
    assert "Batch: 1 made, 0 skipped" in result.stdout
    assert _names(results / "y") == [f"frame_000{i}.png" for i in range(1, 5)]
    (results / "y" / "frame_0004.png").write_bytes(b"")  # damaged afterwards: no longer what the manifest says
    again = run_cli("batch", photos, "-o", results, *TINY, "--format", "png")
    assert again.returncode == 0 and "Batch: 1 made, 0 skipped" in again.stdout, again.stdout
    assert (results / "y" / "frame_0004.png").stat().st_size > 0


# -- geometry, odd inputs, stereo videos, GIF timing ---------------------------------------------------------

@pytest.mark.slow
def test_extreme_aspect_is_refused_up_front_naming_the_limit(tmp_path):
    Image.new("RGB", (1, 10000), (128, 128, 128)).save(tmp_path / "thin.png")
    result = run_cli("make", tmp_path / "thin.png", "-o", tmp_path / "thin.gif", "--width", 160)
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [
        "error: --width 160 on a 1×10000 photo makes 160×1600000 frames; GIF takes at most 65,535 px a side"
    ]
    assert _names(tmp_path) == ["thin.png"]


def test_fifo_as_the_photo_says_so(tmp_path):
    os.mkfifo(tmp_path / "photo.jpg")
    result = run_cli("depth", tmp_path / "photo.jpg", "-o", tmp_path / "depth.png")
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [
        f"error: Expected a photo file, got a FIFO (named pipe): {tmp_path / 'photo.jpg'}"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name, stereo, width", [("sbs.mp4", "sbs", 128), ("anaglyph.webm", "anaglyph", 64)])
def test_stereo_videos_are_written_whole(tmp_path, name, stereo, width):
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / name, *TINY, "--stereo", stereo)
    assert result.returncode == 0, result.stderr
    assert _names(tmp_path) == [name]  # no hidden _L file beside it
    import cv2

    capture = cv2.VideoCapture(str(tmp_path / name))
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (width, 64)
    capture.release()
    assert _clip_frames(tmp_path / name) == 4


@pytest.mark.slow
def test_gif_at_30_fps_plays_at_30_fps(tmp_path):
    output = tmp_path / "loop.gif"
    result = run_cli("make", ASTRONAUT, "-o", output, *TINY[:2], "--frames", 6, "--fps", 30, *TINY[4:])
    assert result.returncode == 0, result.stderr
    delays = []
    with Image.open(output) as gif:
        for index in range(gif.n_frames):
            gif.seek(index)
            delays.append(gif.info["duration"])
    assert delays == [30, 40, 30, 30, 40, 30] and len(delays) / (sum(delays) / 1000) == 30


def test_any_next_run_sweeps_up_after_a_run_killed_with_its_journal(tmp_path):
    import tempfile

    from portrait3d_blender.core import supervisor

    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id that no longer runs
    left = tmp_path / ".clip.0123abcd.partial.mp4"
    left.write_bytes(b"half a video")
    journal = Path(tempfile.gettempdir()) / f"portrait3d-run-{gone.pid}-test.journal"
    journal.write_text(f"W\t{gone.pid}\nT\t{left}\n")
    result = run_cli("depth", tmp_path / "missing.jpg", "-o", tmp_path / "depth.png")
    assert result.returncode == 1 and "not found" in result.stderr
    assert not left.exists() and not journal.exists()
    running = Path(tempfile.gettempdir()) / f"portrait3d-run-{os.getpid()}-test.journal"  # this test's own pid
    running.write_text(f"T\t{left}\n")
    left.write_bytes(b"still being written")
    supervisor.sweep_abandoned()
    assert left.exists() and running.exists()  # a live run's temporaries are left alone
    running.unlink()
