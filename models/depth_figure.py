"""The README's figures of shipped depth on real photos.

    .venv/bin/python models/depth_figure.py [--out docs/depth_real_photos.jpg] [--group docs/group_3d.jpg]

`--out`: photo | network alone | shipped, one row per photo; depth is shown as nearness (bright = near) with
the inferno colour map. The photos: a group on a staircase, a speaker before two people behind a lectern,
a standing man in a furnished room, a face filling the frame and a group behind a table (the second
held-out set, models/heldout_photos2.py, public domain and CC0 only: its evaluation-only photos are never
shown), the cameraman's profile, Grace Hopper, a room, the coffee cup and Middlebury's motorcycle.
`--group`: the group behind the table as a layered 3D photo: the photo, its shipped depth and four frames
of its orbit, rendered by the add-on's own CLI (`make`, Cycles, 8 samples, orbit 0.08).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import heldout_photos  # noqa: E402

PHOTOS = ("ascent_stairs", "obama_podium", "obama_blue_room", "biden_face_closeup", "composite_room_table", "camera",
          "grace_hopper", "room_bed", "coffee", "motorcycle")
GROUP = "composite_room_table"
ROW_HEIGHT = 160


def _photo(name):
    from skimage.data import stereo_motorcycle

    from models import evaluate

    return stereo_motorcycle()[0] if name == "motorcycle" else evaluate.load_photo(name)


def _coloured(nearness):
    import cv2

    return cv2.applyColorMap((np.clip(nearness, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]


def figure_rows():
    import cv2

    from portrait3d_blender.core import depth
    from models import evaluate

    rows = []
    for name in PHOTOS:
        rgb = _photo(name)
        mask, people = evaluate.analyse(rgb)
        tiles = [rgb, _coloured(depth.network_nearness(rgb, mask)),
                 _coloured(depth.estimate_nearness(rgb, mask, people))]
        width = round(rgb.shape[1] * ROW_HEIGHT / rgb.shape[0])
        rows.append(np.concatenate([cv2.resize(np.ascontiguousarray(t), (width, ROW_HEIGHT),
                                               interpolation=cv2.INTER_AREA) for t in tiles], axis=1))
    widest = max(row.shape[1] for row in rows)
    return np.concatenate([np.pad(row, ((0, 4), (0, widest - row.shape[1]), (0, 0)), constant_values=255)
                           for row in rows], axis=0)


def group_sheet():
    """Photo, shipped depth and orbit frames 1, 3, 5, 7 of the group behind a table, in two rows of three."""
    import subprocess
    import tempfile

    from PIL import Image

    from models import evaluate
    from portrait3d_blender.core import depth

    rgb = heldout_photos.load(GROUP)
    mask, people = evaluate.analyse(rgb)
    tiles = [rgb, _coloured(depth.estimate_nearness(rgb, mask, people))]
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "group.png"
        Image.fromarray(rgb).save(photo)
        subprocess.run([sys.executable, "-m", "portrait3d_blender", "make", str(photo), "-o", f"{folder}/frames/",
                        "--width", str(rgb.shape[1]), "--samples", "8", "--frames", "8", "--orbit-size", "0.08"],
                       cwd=ROOT, check=True, capture_output=True)
        tiles += [np.array(Image.open(f"{folder}/frames/frame_{i:04d}.png").convert("RGB")) for i in (1, 3, 5, 7)]
    rows = [np.concatenate(tiles[:3], axis=1), np.concatenate(tiles[3:], axis=1)]
    return np.concatenate(rows, axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "depth_real_photos.jpg")
    parser.add_argument("--group", type=Path, default=ROOT / "docs" / "group_3d.jpg")
    args = parser.parse_args()
    from PIL import Image

    Image.fromarray(figure_rows()).save(args.out, quality=85)
    Image.fromarray(group_sheet()).save(args.group, quality=85)
    print(args.out, args.group)


if __name__ == "__main__":
    main()
