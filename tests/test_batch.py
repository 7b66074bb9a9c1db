"""`batch`: every photo of a folder, past bad files, resuming where it stopped."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import ASTRONAUT, GRACE_HOPPER
from tests.test_cli import _error_lines, run_cli

TINY = ("--frames", 2, "--width", 48, "--samples", 1, "--mesh-resolution", 24, "--format", "gif")


@pytest.mark.slow
def test_batch_goes_on_past_bad_files_and_resumes(tmp_path):
    photos, results = tmp_path / "photos", tmp_path / "results"
    photos.mkdir()
    shutil.copy(GRACE_HOPPER, photos / "hopper.jpg")
    shutil.copy(ASTRONAUT, photos / "astronaut.png")
    (photos / "broken.jpg").write_bytes(GRACE_HOPPER.read_bytes()[:2000])  # truncated
    (photos / "notes.txt").write_text("not a photo, not even tried")

    first = run_cli("batch", photos, "-o", results, *TINY)
    assert first.returncode == 1  # something failed, and the exit code says so
    assert "Batch: 2 made, 0 skipped (already there), 1 failed, of 3 photos" in first.stdout
    assert any("broken.jpg" in line for line in _error_lines(first.stderr))
    assert sorted(path.name for path in results.iterdir()) == [".portrait3d-batch.json", "astronaut.gif", "hopper.gif"]

    made = (results / "hopper.gif").stat().st_mtime_ns
    (photos / "broken.jpg").unlink()
    second = run_cli("batch", photos, "-o", results, *TINY)
    assert second.returncode == 0, second.stderr
    assert "Batch: 0 made, 2 skipped (already there), 0 failed, of 2 photos" in second.stdout
    assert (results / "hopper.gif").stat().st_mtime_ns == made  # resumed: nothing redone


def test_batch_refuses_single_file_options(tmp_path):
    result = run_cli("batch", tmp_path, "-o", tmp_path / "out", "--blend", tmp_path / "x.blend")
    assert result.returncode == 1
    assert _error_lines(result.stderr) == ["error: --blend name one file; batch writes one result per photo"]


def test_batch_needs_a_folder(tmp_path):
    result = run_cli("batch", tmp_path / "missing", "-o", tmp_path / "out")
    assert result.returncode == 1 and "Not a folder" in result.stderr


def test_the_manifest_is_read_once_per_batch(tmp_path, monkeypatch, capsys):
    """The plan (which of the folder's files are the batch's own outputs) and the batch share one reading."""
    from portrait3d_blender import cli
    from portrait3d_blender.core import batch_plan

    shutil.copy(ASTRONAUT, tmp_path / "astronaut.png")
    monkeypatch.setattr(cli, "run_make", lambda single: Path(single.output).write_bytes(b"GIF89a"))
    reads, read = [], batch_plan.Manifest.__init__

    def counting(manifest, folder):
        reads.append(folder)
        read(manifest, folder)

    monkeypatch.setattr(batch_plan.Manifest, "__init__", counting)
    arguments = ["batch", str(tmp_path), "-o", str(tmp_path), "--format", "gif"]  # beside the photos
    for made, skipped, own in ((1, 0, ""), (0, 1, "; 1 of its own outputs left out")):
        reads.clear()
        cli.run_batch(cli._parser().parse_args(arguments))
        assert len(reads) == 1
        assert f"Batch: {made} made, {skipped} skipped (already there), 0 failed, of 1 photos in {tmp_path}{own}" \
            in capsys.readouterr().out
