"""Live refinement: how long Update 3D Photo takes for each kind of change, default mesh, warm.

Builds the default 3D photo (512 quads on the long side, layered) of a 12-megapixel portrait, then times
`refine_3d_photo` for alternating values of each setting, so every call is a real change. Prints a Markdown
table of medians; no assertions. The issue's budget is 100 ms for the default mesh.
"""

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_pipeline import twelve_megapixel_portrait  # noqa: E402

REPEATS = 15


def main():
    import bpy

    import portrait3d_blender
    from portrait3d_blender.blender import scene as blender_scene
    from portrait3d_blender.blender.photo3d import Photo3D
    from portrait3d_blender.core import pipeline

    portrait3d_blender.register()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    photo_path = twelve_megapixel_portrait(tempfile.mkdtemp())
    bpy.ops.portrait3d.create_3d_photo(filepath=str(photo_path))
    scene = bpy.context.scene
    photo = Photo3D(next(iter(bpy.data.collections)))
    default = pipeline.Settings()

    def timed_changes(first, second):
        """Median ms of refining to `first` and `second` in turn (after one warm-up of each)."""
        samples = []
        for index in range(REPEATS + 2):
            settings = first if index % 2 == 0 else second
            start = time.perf_counter()
            layer_objects = blender_scene.refine_3d_photo(scene, photo, settings)
            if index >= 2:
                samples.append(time.perf_counter() - start)
        faces = sum(len(obj.data.polygons) for obj in layer_objects)
        return statistics.median(samples) * 1000.0, faces

    cases = [
        ("depth strength 1.0 ↔ 1.3", replace(default, depth_strength=1.3), default),
        ("tear threshold 0.02 ↔ 0.03", replace(default, tear_threshold=0.03), default),
        ("mesh resolution 512 ↔ 384", replace(default, mesh_resolution=384), default),
        ("layered ↔ single sheet", replace(default, layered=False), default),
        ("single sheet, depth strength 1.0 ↔ 1.3", replace(default, layered=False, depth_strength=1.3),
         replace(default, layered=False)),
    ]
    print(f"photo {photo_path.name}; {REPEATS} changes per row after warm-up")
    print("| change | median ms | faces after |")
    print("|---|---:|---:|")
    for name, first, second in cases:
        milliseconds, faces = timed_changes(first, second)
        print(f"| {name} | {milliseconds:.0f} | {faces:,} |")


if __name__ == "__main__":
    main()
