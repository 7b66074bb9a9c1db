"""Rendering the animation to each output format: frame counts, looping GIF, atomic and non-clobbering writes."""

from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")

from PIL import Image  # noqa: E402

from portrait3d_blender.blender import outputs  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import output_files, pipeline  # noqa: E402

FRAMES = 5


@pytest.fixture
def tiny_photo(empty_scene, astronaut_analysis):
    """A 3D photo that renders in a fraction of a second per frame."""
    settings = pipeline.Settings(render_size=64, render_samples=1, frames=FRAMES, fps=10, mesh_resolution=32)
    plan = pipeline.plan_scene(astronaut_analysis, settings)
    blender_scene.build_3d_photo(empty_scene, astronaut_analysis, plan, settings)
    return empty_scene


def _leftovers(folder):
    return [path.name for path in folder.iterdir() if path.name.startswith(".")]


@pytest.mark.slow
def test_gif_loops_forever_with_every_frame(tiny_photo, tmp_path):
    tiny_photo.render.filepath = "//mine/"
    output = outputs.render_animation(tiny_photo, tmp_path / "loop.gif")
    assert tiny_photo.render.filepath == "//mine/"  # not the deleted folder of frames
    with Image.open(output) as gif:
        assert gif.n_frames == FRAMES
        assert gif.info["loop"] == 0
        assert gif.info["duration"] == 100  # 10 fps
        assert gif.size == (64, 64)
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["clip.webm", "clip.mp4"])
def test_videos_have_every_frame(tiny_photo, tmp_path, name):
    output = outputs.render_animation(tiny_photo, tmp_path / name)
    clip = bpy.data.movieclips.load(str(output))
    try:
        assert clip.frame_duration == FRAMES
        assert tuple(clip.size) == (64, 64)
    finally:
        bpy.data.movieclips.remove(clip)
    assert _leftovers(tmp_path) == []
    assert tiny_photo.render.filepath == str(output)  # not the deleted temporary file


@pytest.mark.slow
def test_png_sequence_is_a_folder_of_numbered_frames(tiny_photo, tmp_path):
    folder = tmp_path / "frames"
    outputs.render_animation(tiny_photo, folder)
    names = sorted(path.name for path in folder.iterdir())
    assert names == [f"frame_{frame:04d}.png" for frame in range(1, FRAMES + 1)]
    with Image.open(folder / names[0]) as frame:
        assert frame.size == (64, 64) and frame.mode == "RGB"
    # Rendering again into the same folder (the caller allowed it) replaces our frames but keeps the user's files.
    (folder / "notes.txt").write_text("mine")
    tiny_photo.frame_end = 3
    outputs.render_animation(tiny_photo, folder)
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["frame_0001.png", "frame_0002.png", "frame_0003.png", "notes.txt"]
    assert _leftovers(tmp_path) == []


def test_incomplete_render_leaves_the_existing_output_alone(tiny_photo, tmp_path):
    output = tmp_path / "loop.gif"
    output.write_bytes(b"previous")
    pending = outputs.PendingOutput(output)
    pending.configure(tiny_photo)  # nothing rendered: no frames
    with pytest.raises(output_files.OutputError, match="was not written: the render has 0 of 5 frames"):
        pending.commit()
    assert output.read_bytes() == b"previous"
    assert not pending.target.exists() and _leftovers(tmp_path) == []


def test_a_gif_decodes_each_rendered_frame_once(tiny_photo, tmp_path, monkeypatch):
    """Checked as it is encoded, not read back first and then decoded again; the palette's 16 samples aside."""
    tiny_photo.frame_end = tiny_photo.frame_start + 19
    pending = outputs.PendingOutput(tmp_path / "loop.gif")
    pending.configure(tiny_photo)
    for frame in range(20):  # as Blender renders them
        Image.new("RGB", pending.size, (12 * frame, 80, 160)).save(pending.target / f"frame_{frame + 1:04d}.png")
    opened, open_image = [], Image.open

    def counting(path, *args, **kwargs):
        opened.append(Path(path).name)
        return open_image(path, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    pending.commit()
    frames = [name for name in opened if name.startswith("frame_")]
    assert len(frames) == 20 + 16 and len(set(frames)) == 20
    with open_image(tmp_path / "loop.gif") as gif:
        assert gif.n_frames == 20 and gif.size == (64, 64)
    assert _leftovers(tmp_path) == []


def test_a_gif_frame_that_does_not_read_back_leaves_no_gif(tiny_photo, tmp_path):
    pending = outputs.PendingOutput(tmp_path / "loop.gif")
    pending.configure(tiny_photo)
    for frame in range(FRAMES):
        Image.new("RGB", pending.size, (40 * frame, 80, 160)).save(pending.target / f"frame_{frame + 1:04d}.png")
    last = pending.target / f"frame_{FRAMES:04d}.png"
    last.write_bytes(last.read_bytes()[:-60])  # cut short, as on a full disk
    with pytest.raises(output_files.OutputError, match=f"was not written: frame_{FRAMES:04d}.png does not read back"):
        pending.commit()
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_failed_render_removes_its_temporary_folder(tiny_photo, tmp_path):
    tiny_photo.camera = None  # Blender refuses to render without a camera
    with pytest.raises(output_files.OutputError, match="frames was not written: Cannot render, no camera$"):
        outputs.render_animation(tiny_photo, tmp_path / "frames")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_render_operator_writes_the_chosen_format_and_refuses_to_overwrite(tiny_photo, tmp_path):
    settings = tiny_photo.portrait3d
    settings.output_format = "GIF"
    settings.output_path = str(tmp_path / "operator.mp4")  # the format choice wins over the typed suffix
    assert bpy.ops.portrait3d.render_animation() == {"FINISHED"}
    with Image.open(tmp_path / "operator.gif") as gif:
        assert gif.n_frames == FRAMES
    assert sorted(path.name for path in tmp_path.iterdir()) == ["operator.gif"]
    with pytest.raises(RuntimeError, match="exists"):
        bpy.ops.portrait3d.render_animation()
    settings.overwrite = True
    assert bpy.ops.portrait3d.render_animation() == {"FINISHED"}
    assert outputs._on_render_complete not in bpy.app.handlers.render_complete
    assert outputs._on_render_cancel not in bpy.app.handlers.render_cancel


def test_render_job_refuses_an_output_another_run_is_writing(tiny_photo, tmp_path):
    from portrait3d_blender.core import output_guard

    output = tmp_path / "clip.gif"
    with output_guard.claim([output]):  # as a `make` to the same file in another process holds it
        with pytest.raises(output_files.OutputError, match="^Another run is writing .*clip.gif right now"):
            outputs.start_render_job(tiny_photo, output)
    assert list(tmp_path.iterdir()) == []
    outputs.start_render_job(tiny_photo, output)  # free again; the lock goes with the finished job
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.gif"]
