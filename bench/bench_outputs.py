"""Time and size of each output format and mesh export for one photo (prints; asserts nothing).

    .venv/bin/python bench/bench_outputs.py [PHOTO] [--frames N] [--preset preview|final]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402

from portrait3d_blender.blender import export, outputs  # noqa: E402
from portrait3d_blender.blender import scene as blender_scene  # noqa: E402
from portrait3d_blender.core import output_files, pipeline, verify  # noqa: E402


def _size(path):
    path = Path(path)
    return sum(item.stat().st_size for item in path.iterdir()) if path.is_dir() else path.stat().st_size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("photo", nargs="?", type=Path, default=Path(__file__).resolve().parents[1] / "examples" /
                        "grace_hopper.jpg")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--preset", choices=tuple(output_files.PRESETS), default="preview")
    arguments = parser.parse_args()

    analysis = pipeline.analyse_photo(arguments.photo)
    long_side = max(analysis.photo.width, analysis.photo.height)
    settings = pipeline.Settings(frames=arguments.frames, compute_device="CPU",
                                 **output_files.preset_settings(arguments.preset, long_side))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    photo, device = blender_scene.make_3d_photo(bpy.context.scene, arguments.photo, settings, analysis=analysis)
    scene = bpy.context.window.scene = photo.scene  # the 3D photo's own scene
    print(f"{arguments.photo.name}: {arguments.frames} frames of {scene.render.resolution_x}×"
          f"{scene.render.resolution_y}, {settings.render_samples} samples, {device}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name in ("clip.mp4", "clip.webm", "clip.gif", "frames"):
            start = time.perf_counter()
            outputs.render_animation(scene, folder / name)
            print(f"  {name:10s} {time.perf_counter() - start:6.1f} s  {_size(folder / name) / 1024:8.0f} KiB")
        objects = photo.mesh_objects
        print(f"  meshes: {sum(len(obj.data.vertices) for obj in objects)} vertices in {len(objects)} objects")
        for name in ("mesh.glb", "mesh.obj", "mesh.ply"):
            start = time.perf_counter()
            written = export.export_meshes(bpy.context, photo, folder / name)
            total = sum(path.stat().st_size for path in written)
            print(f"  {name:10s} {time.perf_counter() - start:6.2f} s  {total / 1024:8.0f} KiB in {len(written)} files")
        _time_verification(folder, settings.frames, settings.fps, outputs.blender_render.frame_size(scene),
                           sum(len(obj.data.vertices) for obj in objects))


def _time_verification(folder, frames, fps, size, vertices):
    """How long reading each output back takes (the check every output passes before it is renamed into place)."""
    checks = {
        "clip.mp4": lambda path: verify.video(path, frames, size),
        "clip.webm": lambda path: verify.video(path, frames, size),
        "clip.gif": lambda path: verify.gif(path, output_files.gif_delays(frames, fps), size),
        "frames": lambda path: verify.frames_folder(output_files.frame_files(path), frames, size),
        **{f"mesh{suffix}": lambda path, check=check: check(path, vertices) for suffix, check in verify.MESH_CHECKS.items()},
    }
    for name, check in checks.items():
        start = time.perf_counter()
        check(folder / name)
        print(f"  verify {name:10s} {(time.perf_counter() - start) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
