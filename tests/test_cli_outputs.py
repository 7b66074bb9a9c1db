"""`make` and `depth` outputs from the command line: formats by suffix, presets, depth maps, no clobbering."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ASTRONAUT
from tests.test_cli import _error_lines, run_cli

TINY = ("--frames", 4, "--fps", 10, "--width", 64, "--samples", 1, "--mesh-resolution", 32)


@pytest.mark.slow
def test_make_gif_with_depth_maps(tmp_path):
    output = tmp_path / "astronaut.gif"
    result = run_cli("make", ASTRONAUT, "-o", output, *TINY, "--depth-maps")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "astronaut.gif", "astronaut_depth.png", "astronaut_mask.png",
    ]
    with Image.open(output) as gif:
        assert (gif.n_frames, gif.info["loop"], gif.size) == (4, 0, (64, 64))
        assert gif.info["duration"] == 100  # 10 fps, in milliseconds
    with Image.open(tmp_path / "astronaut_depth.png") as depth, Image.open(tmp_path / "astronaut_mask.png") as mask:
        assert depth.mode == mask.mode == "L" and depth.size == mask.size == (512, 512)
        depth, mask = np.asarray(depth), np.asarray(mask)
    # White = near: the map is the analysis's nearness (1 = nearest) in 8 bits; the mask is the person's.
    # (Analysed here, right after the CLI, rather than from the session fixture: the shipped weights may change.)
    from portrait3d_blender.core import pipeline

    astronaut_analysis = pipeline.analyse_photo(ASTRONAUT)
    np.testing.assert_allclose(depth[::8, ::8], np.round(astronaut_analysis.nearness[::8, ::8] * 255), atol=2)
    np.testing.assert_allclose(mask[::8, ::8], np.round(astronaut_analysis.mask[::8, ::8] * 255), atol=2)
    assert 0.1 < (mask > 128).mean() < 0.9


@pytest.mark.slow
def test_make_png_frames_into_a_folder_with_the_preview_preset(tmp_path):
    result = run_cli("make", ASTRONAUT, "-o", f"{tmp_path / 'frames'}/", "--preset", "preview", "--frames", 3,
                     "--samples", 1, "--mesh-resolution", 32)
    assert result.returncode == 0, result.stderr
    names = sorted(path.name for path in (tmp_path / "frames").iterdir())
    assert names == ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    with Image.open(tmp_path / "frames" / names[0]) as frame:
        assert frame.size == (384, 384)  # the preview preset's size
    assert sorted(path.name for path in tmp_path.iterdir()) == ["frames"]


@pytest.mark.slow
def test_existing_output_is_kept_without_overwrite(tmp_path):
    output = tmp_path / "taken.webm"
    output.write_bytes(b"keep me")
    result = run_cli("make", ASTRONAUT, "-o", output, *TINY)
    assert result.returncode == 1
    assert _error_lines(result.stderr) == [f"error: Output exists: {output} (pass --overwrite to replace it)"]
    assert output.read_bytes() == b"keep me"


@pytest.mark.slow
def test_overwrite_replaces_a_webm(tmp_path):
    output = tmp_path / "taken.webm"
    output.write_bytes(b"old")
    result = run_cli("make", ASTRONAUT, "-o", output, *TINY, "--overwrite",
                     "--move", "dolly-zoom", "--easing", "linear")
    assert result.returncode == 0, result.stderr
    import bpy

    clip = bpy.data.movieclips.load(str(output))
    try:
        assert clip.frame_duration == 4
    finally:
        bpy.data.movieclips.remove(clip)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken.webm"]


@pytest.mark.slow
def test_unknown_suffix_is_one_clear_line(tmp_path):
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.avi", *TINY)
    assert result.returncode == 1
    assert len(_error_lines(result.stderr)) == 1 and ".mp4, .webm or .gif" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_existing_depth_map_blocks_before_any_render(tmp_path):
    (tmp_path / "clip_depth.png").write_bytes(b"mine")
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.mp4", *TINY, "--depth-maps")
    assert result.returncode == 1 and "clip_depth.png" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip_depth.png"]


@pytest.mark.slow
def test_depth_8bit(tmp_path):
    output = tmp_path / "depth.png"
    result = run_cli("depth", ASTRONAUT, "-o", output, "--8bit")
    assert result.returncode == 0, result.stderr
    with Image.open(output) as depth:
        assert depth.mode == "L" and depth.size == (512, 512)
        assert np.asarray(depth).max() >= 250
    again = run_cli("depth", ASTRONAUT, "-o", output, "--8bit")
    assert again.returncode == 1 and "Output exists" in again.stderr


@pytest.mark.slow
def test_make_exports_meshes(tmp_path):
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.mp4", *TINY,
                     "--export", tmp_path / "mesh.glb", "--export", tmp_path / "mesh.ply")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4", "mesh.glb", "mesh.ply"]
    assert (tmp_path / "mesh.glb").read_bytes()[:4] == b"glTF"
    assert f"Wrote {tmp_path / 'mesh.glb'}" in result.stdout


@pytest.mark.slow
def test_bad_export_suffix_is_refused_before_any_work(tmp_path):
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.mp4", *TINY, "--export", tmp_path / "mesh.fbx")
    assert result.returncode == 1 and _error_lines(result.stderr) == [
        f"error: Mesh export must end in .glb, .obj or .ply: {tmp_path / 'mesh.fbx'}"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_make_with_depth_of_field_a_refocus_still_and_side_by_side_stereo(tmp_path):
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "sbs.gif", *TINY, "--move", "swing",
                     "--dof", 1.4, "--still", tmp_path / "refocus.png", "--stereo", "sbs")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["refocus.png", "sbs.gif"]
    with Image.open(tmp_path / "sbs.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (128, 64)  # two 64-pixel views side by side
    with Image.open(tmp_path / "refocus.png") as still:
        assert still.size == (128, 64)


@pytest.mark.slow
def test_make_focuses_on_a_picked_pixel(tmp_path, astronaut_analysis):
    blend = tmp_path / "scene.blend"
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.gif", *TINY, "--dof", 2.0, "--focus-at", "480,40",
                     "--blend", blend)
    assert result.returncode == 0, result.stderr
    import bpy

    from portrait3d_blender.core import pipeline

    bpy.ops.wm.open_mainfile(filepath=str(blend))
    camera = bpy.context.scene.camera
    assert camera.data.dof.use_dof and camera.data.dof.aperture_fstop == pytest.approx(2.0)
    settings = pipeline.Settings(mesh_resolution=32)
    expected = pipeline.surface_point(astronaut_analysis, settings, 480, 40)
    np.testing.assert_allclose(tuple(camera.data.dof.focus_object.location), expected, atol=1e-5)
    bpy.ops.wm.read_factory_settings(use_empty=True)


@pytest.mark.slow
@pytest.mark.parametrize("options, message", [
    (("--focus-at", "10,10"), "error: --focus-at goes with --dof F_STOP"),
    (("--dof", 2.0, "--focus-at", "600,10"), "error: --focus-at 600,10 is outside the photo (512×512 pixels)"),
    (("--dof", 2.0, "--focus-at", "middle"), "argument --focus-at: expected X,Y in pixels, got 'middle'"),
])
def test_bad_focus_point_is_one_line_and_writes_nothing(tmp_path, options, message):
    result = run_cli("make", ASTRONAUT, "-o", tmp_path / "clip.gif", *TINY, *options)
    assert result.returncode != 0 and message in result.stderr
    assert list(tmp_path.iterdir()) == []
