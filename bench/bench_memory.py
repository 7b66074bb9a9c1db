"""Peak memory of Create 3D Photo on a 50-megapixel photo (JPEG and PNG), each in a fresh process.

Prints a Markdown table; no assertions. The working copy is decoded small (JPEG draft mode), the texture is
capped at `Settings.max_texture_size` and handed to Blender as an 8-bit file, so the peak should stay near
one decoded photo plus Blender's own copy of the texture.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
import bpy
from portrait3d_blender.blender import scene as blender_scene
from portrait3d_blender.core import pipeline

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

bpy.ops.wm.read_factory_settings(use_empty=True)
blender_scene.make_3d_photo(bpy.context.scene, sys.argv[3], pipeline.Settings())  # warm: models loaded
warm = peak_mb()
bpy.ops.wm.read_factory_settings(use_empty=True)
blender_scene.make_3d_photo(bpy.context.scene, sys.argv[2], pipeline.Settings())
print(json.dumps({"warm_peak_mb": warm, "peak_mb": peak_mb()}))
"""


def main():
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # we make the big photo ourselves
    folder = Path(tempfile.mkdtemp())
    source = Image.open(ROOT / "examples" / "grace_hopper.jpg").convert("RGB")
    small = folder / "small.jpg"
    source.save(small)
    big = source.resize((5773, 8660), Image.BILINEAR)  # 50 megapixels, portrait
    photos = {"50 MP JPEG": folder / "big.jpg", "50 MP PNG": folder / "big.png"}
    big.save(photos["50 MP JPEG"], quality=90)
    big.save(photos["50 MP PNG"], compress_level=1)
    del big
    print("| photo | file MB | peak RSS MB (warm, small photo) | peak RSS MB (50 MP) |")
    print("|---|---:|---:|---:|")
    for label, path in photos.items():
        output = subprocess.run(
            [sys.executable, "-c", MEASURE, str(ROOT), str(path), str(small)],
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]
        numbers = json.loads(output)
        print(f"| {label} | {path.stat().st_size / 1e6:.1f} | {numbers['warm_peak_mb']:.0f} | {numbers['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
