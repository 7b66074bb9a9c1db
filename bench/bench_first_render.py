"""A new user's first minutes, timed: Blender's startup file (Cube, Light, Camera), Create 3D Photo, then
Render Animation at the panel's defaults (prints; asserts nothing).

    .venv/bin/python bench/bench_first_render.py [PHOTO] [--frames N]

Prints the time of each step, what was rendered, and the share of the first frame's pixels that change when
the startup Cube is deleted and the frame rendered again (0 %: the Cube is nowhere in the 3D photo's render).
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import portrait3d_blender  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("photo", nargs="?", type=Path, default=ROOT / "examples" / "grace_hopper.jpg")
    parser.add_argument("--frames", type=int, help="frames to render (default: the panel's)")
    arguments = parser.parse_args()
    portrait3d_blender.register()
    bpy.ops.wm.read_homefile(app_template="")
    folder = Path(tempfile.mkdtemp(prefix="portrait3d-first-render-"))
    photo = shutil.copy(arguments.photo, folder)
    settings = bpy.context.scene.portrait3d
    settings.output_format = "PNG"  # frames, so the first one can be compared
    if arguments.frames:
        settings.frames = arguments.frames
    start = time.perf_counter()
    bpy.ops.portrait3d.create_3d_photo(filepath=str(photo))
    create_s = time.perf_counter() - start
    scene = bpy.context.scene
    start = time.perf_counter()
    bpy.ops.portrait3d.render_animation()
    render_s = time.perf_counter() - start
    frames = sorted((folder / f"{Path(photo).stem}_3d").glob("frame_*.png"))
    first = np.asarray(Image.open(frames[0])).astype(int)
    bpy.data.objects.remove(bpy.data.objects["Cube"])
    scene.frame_end, scene.portrait3d.overwrite = scene.frame_start, True  # the first frame again
    bpy.ops.portrait3d.render_animation()
    again = np.asarray(Image.open(frames[0])).astype(int)
    changed = float(np.mean(np.any(first != again, axis=2)))
    print(f"{Path(photo).name}: Create 3D Photo {create_s:.1f} s; Render Animation ({settings.render_preset}, "
          f"{len(frames)} frames of {scene.render.resolution_x}×{scene.render.resolution_y}, "
          f"{scene.cycles.samples} samples) {render_s:.1f} s")
    print(f"first frame's pixels that change when the startup Cube is deleted: {changed:.1%}")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
