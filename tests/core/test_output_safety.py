"""Outputs that do not read back are refused; locks, stale temporaries, limits and the batch's plan (no Blender)."""

import os

import numpy as np
import pytest
from PIL import Image

from portrait3d_blender.core import batch_plan, output_files, output_guard, verify
from portrait3d_blender.core.errors import OutputError, PhotoError
from portrait3d_blender.core.image import load_photo

from tests.conftest import ASTRONAUT


def _ply(path, vertices=3, faces=1, cut=0):
    header = (f"ply\nformat binary_little_endian 1.0\nelement vertex {vertices}\nproperty float x\nproperty float y\n"
              f"property float z\nelement face {faces}\nproperty list uchar uint vertex_indices\nend_header\n")
    body = np.zeros((vertices, 3), np.float32).tobytes() + (bytes([3]) + np.arange(3, dtype=np.uint32).tobytes()) * faces
    path.write_bytes((header.encode() + body)[:len(header) + len(body) - cut])
    return path


def test_ply_must_hold_every_vertex_and_end_where_its_header_says(tmp_path):
    verify.ply(_ply(tmp_path / "whole.ply"), 3)
    with pytest.raises(OutputError, match="has 3 of 4 vertices"):
        verify.ply(_ply(tmp_path / "whole.ply"), 4)
    with pytest.raises(OutputError, match="ends inside its face list|header describes"):
        verify.ply(_ply(tmp_path / "cut.ply", faces=2, cut=5), 3)  # a disk that filled up mid-file


def test_obj_and_glb_cut_short_are_refused(tmp_path):
    obj = tmp_path / "mesh.obj"
    obj.write_text("# comment\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    verify.obj(obj, 3)
    obj.write_bytes(obj.read_bytes()[:-4])
    with pytest.raises(OutputError, match="middle of a line"):
        verify.obj(obj, 3)
    glb = tmp_path / "mesh.glb"
    glb.write_bytes(b"glTF" + (2).to_bytes(4, "little") + (1000).to_bytes(4, "little") + bytes(100))
    with pytest.raises(OutputError, match="its header says 1000"):
        verify.glb(glb, 3)


def test_blend_without_its_end_block_is_refused(tmp_path):
    blend = tmp_path / "scene.blend"
    blend.write_bytes(b"BLENDER-v500" + bytes(1000) + b"ENDB" + bytes(20))
    verify.blend_bytes(blend)
    blend.write_bytes(b"BLENDER-v500" + bytes(1000))
    with pytest.raises(OutputError, match="no end block"):
        verify.blend_bytes(blend)


def test_zero_byte_and_truncated_pngs_are_refused(tmp_path):
    whole = tmp_path / "frame_0001.png"
    Image.open(ASTRONAUT).save(whole)
    verify.frames_folder([whole], 1, (512, 512))
    cut = tmp_path / "frame_0002.png"
    cut.write_bytes(whole.read_bytes()[:5000])
    empty = tmp_path / "frame_0003.png"
    empty.write_bytes(b"")
    for broken in (cut, empty):
        with pytest.raises(OutputError, match="does not read back"):
            verify.frames_folder([whole, broken], 2)
    with pytest.raises(OutputError, match="has 1 of 2 frames"):
        verify.frames_folder([whole], 2)


def test_a_failed_write_leaves_nothing_and_names_the_output(tmp_path):
    output = tmp_path / "map.png"
    with pytest.raises(OutputError, match=f"^{output} was not written: .*does not read back"):
        with output_files.atomic_file(output, verify.image) as temporary:
            temporary.write_bytes(b"\x89PNG\r\n\x1a\n")  # a PNG signature and nothing else
    assert list(tmp_path.iterdir()) == []


def test_blender_tracebacks_become_their_last_error_line():
    wrapped = ("Error: Python: Traceback (most recent call last):\n  File \"x.py\", line 1\n"
               "OSError: [Errno 28] No space left on device\nLocation: ops.py:109\n")
    assert verify.blender_error_line(RuntimeError(wrapped)) == "OSError: [Errno 28] No space left on device"
    assert verify.blender_error_line(RuntimeError("Error: No space left on device\n")) == "No space left on device"


def test_gif_delays_keep_30_fps_in_hundredths():
    delays = output_files.gif_delays(30, 30)
    assert set(delays) == {30, 40} and all(delay % 10 == 0 for delay in delays)  # whole hundredths
    assert sum(delays) == 1000  # 30 frames in exactly one second
    assert output_files.gif_delays(4, 10) == [100] * 4
    with pytest.raises(OutputError, match="at most 50 fps"):
        output_guard.check_render("GIF", 64, 64, 60)


def test_encoder_limits_are_named():
    with pytest.raises(OutputError, match="^--width 160 on a 1×10000 photo makes 160×1600000 frames; GIF takes at most"):
        output_guard.check_render("GIF", 160, 1_600_000, 24, "--width 160 on a 1×10000 photo ")
    with pytest.raises(OutputError, match="H.264 .* at most 35,651,584 pixels a frame"):
        output_guard.check_render("MP4", 8192, 8192, 24)
    output_guard.check_render("MP4", 3840, 2160, 24)


def test_a_second_claim_on_one_output_is_refused_and_stale_temporaries_go(tmp_path):
    output = tmp_path / "clip.mp4"
    stale = output_files.temporary_name(output)
    stale.write_bytes(b"left by a killed run")
    stale_view = stale.with_name(f"{stale.stem}_L{stale.suffix}")  # a stereo video's name
    stale_view.write_bytes(b"left by a killed run")
    other = tmp_path / ".clip.0123abcd.partial.blend"  # another output's temporary: not ours to remove
    other.write_bytes(b"someone else's")
    with output_guard.claim([output]):
        assert sorted(path.name for path in tmp_path.iterdir()) == [".clip.0123abcd.partial.blend", ".clip.mp4.lock"]
        with pytest.raises(OutputError, match="Another run is writing .*clip.mp4"):
            with output_guard.claim([tmp_path / "other.gif", output]):
                pass
        assert not (tmp_path / ".other.gif.lock").exists()  # the lock it took before the refusal is released
    assert sorted(path.name for path in tmp_path.iterdir()) == [".clip.0123abcd.partial.blend"]


def test_fifo_is_not_called_an_empty_photo(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    with pytest.raises(PhotoError, match="^Expected a photo file, got a FIFO"):
        load_photo(fifo)


def test_batch_plan_gives_each_photo_its_output_and_skips_its_own(tmp_path):
    for name in ("x.jpg", "x.png", "y.jpg", "y.gif", "y_depth.png", "y_mask.png", ".y.0123abcd.partial.png"):
        (tmp_path / name).write_bytes(b"")
    work, own = batch_plan.plan(tmp_path, tmp_path, "GIF")
    assert [(photo.name, output.name) for photo, output in work] == [
        ("x.jpg", "x_jpg.gif"), ("x.png", "x_png.gif"), ("y.jpg", "y.gif"),
    ]
    assert sorted(photo.name for photo in own) == ["y.gif", "y_depth.png", "y_mask.png"]
    elsewhere, none = batch_plan.plan(tmp_path, tmp_path / "out", "MP4")  # another folder: all are photos
    assert len(elsewhere) == 6 and none == []


def test_batch_never_plans_a_gif_photo_onto_itself(tmp_path):
    (tmp_path / "x.gif").write_bytes(b"")
    work, own = batch_plan.plan(tmp_path, tmp_path, "GIF")
    assert [(photo.name, output.name) for photo, output in work] == [("x.gif", "x_gif.gif")] and own == []
    elsewhere, _ = batch_plan.plan(tmp_path, tmp_path / "out", "GIF")  # another folder: no clash
    assert [output.name for _, output in elsewhere] == ["x.gif"]


def test_manifest_counts_a_result_done_only_while_its_files_are_unchanged(tmp_path):
    result = tmp_path / "x.gif"
    result.write_bytes(b"GIF89a complete")
    manifest = batch_plan.Manifest(tmp_path)
    assert not manifest.is_done(result)
    manifest.record(result, tmp_path / "x.jpg", [result])
    assert batch_plan.Manifest(tmp_path).is_done(result)
    result.write_bytes(b"GIF89a complXte")  # same size, other bytes
    assert not batch_plan.Manifest(tmp_path).is_done(result)
    (tmp_path / batch_plan.MANIFEST_NAME).write_text("{ cut sho")
    assert batch_plan.Manifest(tmp_path).entries == {}  # damaged: nothing counts as done


def test_gif_is_checked_by_its_playing_time_so_still_frames_pass_and_a_cut_one_does_not(tmp_path):
    frames = []
    for index, shade in enumerate((40, 40, 200)):  # the first two identical: Pillow stores them as one
        frames.append(tmp_path / f"frame_{index}.png")
        Image.new("RGB", (32, 24), (shade, shade, shade)).save(frames[-1])
    output = tmp_path / "loop.gif"
    output_files.write_gif_atomic(frames, output, 30)
    delays = output_files.gif_delays(3, 30)
    verify.gif(output, delays, (32, 24))
    with Image.open(output) as gif:
        assert gif.n_frames == 2
    with pytest.raises(OutputError, match="plays 2 frames in 100 ms, not 4 in 130 ms"):
        verify.gif(output, output_files.gif_delays(4, 30), (32, 24))
    output.write_bytes(output.read_bytes()[:-40])
    with pytest.raises(OutputError, match="GIF"):
        verify.gif(output, delays, (32, 24))
