"""Memory over a batch of 50 photos: resident memory after each photo, growth after warm-up.

The 50 photos are crops, flips and resizes (five sizes, all met during the warm-up) of the three
public-domain portraits, in several formats, with a couple of broken files among them. Each is rendered tiny (the render is not what is measured). Prints a
Markdown table; no assertions.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageOps  # noqa: E402

WARM_UP = 5


def resident_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_photos(folder, count=50):
    from tests.conftest import ASTRONAUT, CAMERAMAN, GRACE_HOPPER

    sources = [Image.open(path).convert("RGB") for path in (GRACE_HOPPER, ASTRONAUT, CAMERAMAN)]
    for index in range(count):
        if index % 17 == 16:
            (folder / f"photo_{index:02d}.jpg").write_bytes(b"\xff\xd8\xff broken")
            continue
        photo = sources[index % 3]
        width, height = photo.size
        inset = index % 5 * 10
        size = ((360, 480), (640, 480), (900, 1200), (1200, 800), (512, 512))[index % 5]  # all within warm-up
        photo = photo.crop((inset, inset, width - inset, height - inset)).resize(size)
        if index % 2:
            photo = ImageOps.mirror(photo)
        suffix = (".jpg", ".png", ".webp")[index % 3]
        photo.save(folder / f"photo_{index:02d}{suffix}")


def main():
    from portrait3d_blender import cli

    folder = Path(tempfile.mkdtemp())
    photos, results = folder / "photos", folder / "results"
    photos.mkdir()
    make_photos(photos)
    arguments = cli._parser().parse_args([
        "batch", str(photos), "-o", str(results), "--format", "gif",
        "--frames", "2", "--width", "64", "--samples", "1",
    ])
    samples = []
    try:
        cli.run_batch(arguments, on_photo_done=lambda path, status: samples.append((path.name, status, resident_mb())))
    except cli.CommandError as error:
        print(f"(expected failures: {error})", file=sys.stderr)
    after_warm_up = samples[WARM_UP - 1][2]
    final = samples[-1][2]
    peak = max(sample[2] for sample in samples)
    print("| photos | failed | RSS after warm-up (MB) | RSS at the end (MB) | peak (MB) | growth after warm-up |")
    print("|---:|---:|---:|---:|---:|---:|")
    failed = sum(1 for sample in samples if sample[1] == "failed")
    print(f"| {len(samples)} | {failed} | {after_warm_up:.0f} | {final:.0f} | {peak:.0f} | "
          f"{(final - after_warm_up) / after_warm_up:+.1%} |")
    print()
    print("RSS (MB) after photos " + ", ".join(f"{index + 1}: {samples[index][2]:.0f}" for index in range(4, len(samples), 5)))


if __name__ == "__main__":
    main()
