"""Per-stage and whole-operator timings on a 12-megapixel portrait, warm (median of repeated runs).

Prints a Markdown table; no assertions. Budgets on a 2-core laptop-class CPU: segmentation ≤ 60 ms,
depth ≤ 50 ms, a 512×384-quad mesh into Blender ≤ 100 ms, the whole operator ≤ 1.5 s (render excluded).
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

REPEATS = 7


def timed(function, repeats=REPEATS):
    function()  # warm-up: imports, model loading, caches
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def twelve_megapixel_portrait(folder):
    """grace_hopper.jpg upscaled to 3000×4000 (12 MP), saved as a camera would: a quality-92 JPEG."""
    source = Path(__file__).resolve().parents[1] / "examples" / "grace_hopper.jpg"
    path = Path(folder) / "portrait_12mp.jpg"
    Image.open(source).resize((3000, 4000), Image.LANCZOS).save(path, quality=92)
    return path


def main():
    import cv2

    from portrait3d_blender.core import depth, geometry, image, pipeline, segment

    folder = tempfile.mkdtemp()
    photo_path = twelve_megapixel_portrait(folder)
    photo = image.load_photo(photo_path)
    rgb = photo.working_rgb
    mask = segment.person_mask(rgb)
    settings = pipeline.Settings()
    rows = []
    rows.append(("load 12 MP JPEG → working copy", timed(lambda: image.load_photo(photo_path))))
    rows.append(("segmentation (MediaPipe selfie)", timed(lambda: segment.person_mask(rgb))))
    rows.append(("face detection", timed(lambda: segment.largest_face(rgb))))
    rows.append(("body check (pose landmarks; run only when no face is found)", timed(lambda: segment.body_detected(rgb))))
    size = depth.network_size_for(*rgb.shape[:2])
    batch = depth.probe_input(size)
    rows.append((f"depth network alone ({size[0]}×{size[1]}, ONNX in OpenCV)",
                 timed(lambda: depth.shipped_network(batch), 20)))
    rows.append(("depth network incl. letterbox + edge-aware upsampling",
                 timed(lambda: depth.network_nearness(rgb, mask))))
    rows.append(("people: fine face search + Face Mesh check", timed(lambda: pipeline.find_people(rgb, mask))))
    people = pipeline.find_people(rgb, mask)
    rows.append((f"depth composed with {len(people)} person's faces and the ground (depth_prior)",
                 timed(lambda: depth.estimate_nearness(rgb, mask, people))))
    rows.append(("analyse_photo (all of the above)", timed(lambda: pipeline.analyse_photo(photo_path))))
    analysis = pipeline.analyse_photo(photo_path)

    def first_plan():
        analysis._layer_cache.clear()  # as for a photo just analysed: layer maps and grid not worked out yet
        return pipeline.plan_scene(analysis, settings)

    rows.append(("plan_scene, first time for a photo (512-quad grid + camera path)", timed(first_plan)))
    rows.append(("plan_scene again (layer maps and grid cached)", timed(lambda: pipeline.plan_scene(analysis, settings))))

    import bpy

    import portrait3d_blender
    from portrait3d_blender.blender import mesh as blender_mesh

    portrait3d_blender.register()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    intrinsics = geometry.Intrinsics(4000, 3000, 3000.0)
    grid = geometry.build_grid_mesh(np.full((768, 1024), 2.0, np.float32), intrinsics, np.zeros(3), 512)

    def mesh_into_blender():
        mesh = blender_mesh.new_mesh("bench", grid)
        bpy.data.meshes.remove(mesh)

    rows.append((f"mesh into Blender ({grid.quads.shape[0]:,} quads)", timed(mesh_into_blender)))

    def whole_operator():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        start = time.perf_counter()
        bpy.ops.portrait3d.create_3d_photo(filepath=str(photo_path))
        return time.perf_counter() - start

    whole_operator()
    operator_ms = statistics.median(whole_operator() for _ in range(5)) * 1000.0
    rows.append(("whole operator, 12 MP photo (render excluded)", operator_ms))

    from portrait3d_blender.blender import scene as blender_scene
    from portrait3d_blender.blender.photo3d import Photo3D

    photo_3d = Photo3D(bpy.data.collections[0])
    refine_settings = pipeline.Settings(depth_strength=1.5)
    rows.append(("Update 3D Photo (refine in place, networks cached)",
                 timed(lambda: blender_scene.refine_3d_photo(bpy.context.scene, photo_3d, refine_settings), 3)))
    single_sheet = pipeline.Settings(depth_strength=1.5, layered=False)
    rows.append(("Update 3D Photo, single sheet",
                 timed(lambda: blender_scene.refine_3d_photo(bpy.context.scene, photo_3d, single_sheet), 3)))

    print(f"OpenCV threads: {cv2.getNumThreads()}, photo {photo.width}×{photo.height}")
    print("| stage | median ms |")
    print("|---|---:|")
    for name, milliseconds in rows:
        print(f"| {name} | {milliseconds:.1f} |")


if __name__ == "__main__":
    main()
