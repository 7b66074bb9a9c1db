"""Single sheet vs layered 3D photo on real photos, in one run: rubber-sheet faces, holes, layering time.

For each photo: the share of quads whose longest edge is over 20× their shortest, and the share of pixels
where a magenta world shows through at four orbit frames (Cycles, 256 px). Then the layering time for a
12-megapixel photo. `--figure PATH` also saves a before/after strip (single sheet on top, layered below).
Prints Markdown; no assertions (the tests hold the thresholds).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ORBIT_FRAMES = (1, 23, 46, 68)  # four quarter-turns of the default 90-frame orbit


def render_orbit_frames(scene, folder, tag):
    """Render the four frames with a magenta world; return the frames and their magenta shares."""
    import bpy

    from tests.conftest import magenta_world

    scene.world = magenta_world()
    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    frames, shares = [], []
    for frame in ORBIT_FRAMES:
        scene.frame_set(frame)
        scene.render.filepath = str(Path(folder) / f"{tag}_{frame}.png")
        bpy.ops.render.render(write_still=True)
        pixels = np.asarray(Image.open(scene.render.filepath).convert("RGB")).astype(int)
        magenta = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] > 200)
        frames.append(Image.fromarray(pixels.astype(np.uint8)))
        shares.append(float(magenta.mean()))
    return frames, shares


def measure(photo_path, folder):
    import bpy

    from portrait3d_blender.blender import scene as blender_scene
    from portrait3d_blender.core import pipeline
    from tests import mesh_checks  # the rubber-sheet metric the tests hold thresholds on

    analysis = pipeline.analyse_photo(photo_path)
    rows, strips = [], []
    for layered in (False, True):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        settings = pipeline.Settings(layered=layered, render_size=256, render_samples=4)
        plan = pipeline.plan_scene(analysis, settings)
        quads = sum(len(layer.mesh.quads) for layer in plan.layers)
        stretched = mesh_checks.stretched_share_of_layers(plan.layers)
        blender_scene.build_3d_photo(bpy.context.scene, analysis, plan, settings)
        frames, shares = render_orbit_frames(bpy.context.scene, folder, f"{Path(photo_path).stem}_{layered}")
        rows.append((Path(photo_path).name, "layered" if layered else "single sheet", quads, stretched, max(shares)))
        strips.append(frames)
    return rows, strips


def layering_time_12mp(folder):
    from portrait3d_blender.core import pipeline

    path = Path(folder) / "portrait_12mp.jpg"
    Image.open(ROOT / "examples" / "grace_hopper.jpg").resize((3000, 4000), Image.LANCZOS).save(path, quality=92)
    analysis = pipeline.analyse_photo(path)
    timings = {}
    for layered in (False, True):
        settings = pipeline.Settings(layered=layered)
        pipeline.plan_scene(analysis, settings)
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            pipeline.plan_scene(analysis, settings)
            samples.append(time.perf_counter() - start)
        timings[layered] = statistics.median(samples) * 1000
    return timings


def main():
    from tests.conftest import ASTRONAUT, GRACE_HOPPER, make_group_photo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figure", type=Path, help="save a before/after strip of the first photo here")
    arguments = parser.parse_args()
    folder = tempfile.mkdtemp()
    print("| photo | mesh | quads | quads > 20:1 | world showing through (worst of 4 frames) |")
    print("|---|---|---:|---:|---:|")
    for index, photo in enumerate((GRACE_HOPPER, ASTRONAUT, make_group_photo(folder))):
        rows, strips = measure(photo, folder)
        for name, kind, quads, stretched, holes in rows:
            print(f"| {name} | {kind} | {quads:,} | {stretched:.3%} | {holes:.3%} |")
        if index == 0 and arguments.figure:
            width, height = strips[0][0].size
            figure = Image.new("RGB", (width * len(ORBIT_FRAMES), height * 2))
            for row, frames in enumerate(strips):
                for column, frame in enumerate(frames):
                    figure.paste(frame, (column * width, row * height))
            figure.save(arguments.figure, quality=88)  # JPEG or PNG, by the name's suffix
    timings = layering_time_12mp(folder)
    print()
    print("| 12 MP photo, mesh of 512 quads on the long side | median ms |")
    print("|---|---:|")
    print(f"| plan_scene, single sheet | {timings[False]:.0f} |")
    print(f"| plan_scene, layered (tears, back-fill, inpainting, decontamination) | {timings[True]:.0f} |")


if __name__ == "__main__":
    main()
