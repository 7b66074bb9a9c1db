"""The README's figure of shipped depth on real photos: photo | network alone | shipped, one row per photo.

    .venv/bin/python models/depth_figure.py [--out docs/depth_real_photos.jpg]

Depth is shown as nearness (bright = near) with the inferno colour map. The photos are the portraits that
picked the checkpoint, Middlebury's motorcycle and the held-out photos of models/heldout_photos.py.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHOTOS = ("grace_hopper", "camera", "composite_room_pair", "composite_courtyard_pair", "room_bed", "room_desk",
          "courtyard_dog", "coffee", "motorcycle")
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
        tiles = [rgb, _coloured(depth.network_nearness(rgb, mask)), _coloured(depth.estimate_nearness(rgb, mask, people))]
        width = round(rgb.shape[1] * ROW_HEIGHT / rgb.shape[0])
        rows.append(np.concatenate([cv2.resize(np.ascontiguousarray(t), (width, ROW_HEIGHT),
                                               interpolation=cv2.INTER_AREA) for t in tiles], axis=1))
    widest = max(row.shape[1] for row in rows)
    return np.concatenate([np.pad(row, ((0, 4), (0, widest - row.shape[1]), (0, 0)), constant_values=255)
                           for row in rows], axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "depth_real_photos.jpg")
    args = parser.parse_args()
    from PIL import Image

    Image.fromarray(figure_rows()).save(args.out, quality=85)
    print(args.out)


if __name__ == "__main__":
    main()
