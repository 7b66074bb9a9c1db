"""Real photos for a held-out depth evaluation, made offline from files that ship in the development venv.

No training run, tuning or checkpoint choice looked at these (`models/ordinal_pairs_heldout.json` holds the
ordinal pairs, annotated by eye before any method's output on them was looked at):

* scikit-image's `chelsea` (a cat before a wall), `coffee` (a cup on a table) and `rocket` (a launch pad);
* perspective views cut out of the CC0 360° photographs that ship inside bpy
  (`datafiles/studiolights/world/*.exr`): a hotel room (bed, chair, desk before walls) and a courtyard
  (paving, walls, a dog);
* composites: real portraits (Grace Hopper, the astronaut; those two photos also picked the shipped
  checkpoint) cut out with MediaPipe's person mask and pasted into those views at two sizes. The smaller
  person stands farther back, so a composite tests the ordering of a group, not a real group photo.

    .venv/bin/python models/heldout_photos.py --out /tmp/heldout   # writes every photo as a PNG to look at
    .venv/bin/python models/heldout_photos.py --set 2 --out /tmp/heldout2   # the second set (heldout_photos2.py)
"""

import argparse
import os
from pathlib import Path

import numpy as np

# (environment, yaw, pitch in degrees, output height, width): the camera looks `pitch` below the horizon.
VIEWS = {
    "room_bed": ("interior", 120, 25, 360, 480),
    "room_desk": ("interior", 300, 25, 360, 480),
    "room_chair": ("interior", 0, 25, 360, 480),
    "courtyard_dog": ("courtyard", 240, 25, 360, 480),
    "courtyard_garage": ("courtyard", 0, 25, 360, 480),
}
FIELD_OF_VIEW = 80.0
# Composites: background view and the pasted people, back row first: (portrait, height px, centre x, bottom y).
COMPOSITES = {
    "composite_room_pair": ("room_bed", (("astronaut", 170, 330, 250), ("grace_hopper", 260, 150, 360))),
    "composite_courtyard_pair": ("courtyard_dog", (("grace_hopper", 150, 140, 200), ("astronaut", 250, 330, 360))),
}
SKIMAGE = ("chelsea", "coffee", "rocket")
NAMES = SKIMAGE + tuple(VIEWS) + tuple(COMPOSITES)


def _environment(name):
    os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")  # read before cv2's first EXR call
    import importlib.util

    import cv2

    bpy_folder = Path(importlib.util.find_spec("bpy").origin).parent  # found, not imported: bpy is slow to start
    folder = next(bpy_folder.glob("*/datafiles/studiolights/world"))
    environment = cv2.imread(str(folder / f"{name}.exr"), cv2.IMREAD_UNCHANGED)
    if environment is None:
        raise RuntimeError(f"OpenCV cannot read {folder / name}.exr (OPENCV_IO_ENABLE_OPENEXR must be set first)")
    return environment[..., ::-1]


def perspective_view(environment_name, yaw, pitch, height, width):
    """A pinhole view (uint8 RGB) of an equirectangular HDR photo, exposed at its 95th percentile, sRGB-ish."""
    import cv2

    environment = _environment(environment_name)
    focal = (width / 2) / np.tan(np.radians(FIELD_OF_VIEW) / 2)
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float64)
    rays = np.stack([(columns - width / 2 + 0.5) / focal, -(rows - height / 2 + 0.5) / focal,
                     np.ones_like(rows)], -1)
    p, y = np.radians(pitch), np.radians(yaw)
    tilt = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    turn = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rays = rays @ (turn @ tilt).T
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    u = (np.arctan2(rays[..., 0], rays[..., 2]) / (2 * np.pi) + 0.5) * environment.shape[1]
    v = (0.5 - np.arcsin(rays[..., 1]) / np.pi) * environment.shape[0]
    view = cv2.remap(np.ascontiguousarray(environment), u.astype(np.float32), v.astype(np.float32),
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    view = np.clip(view / np.percentile(view, 95) * 0.8, 0, 1) ** (1 / 2.2)
    return (view * 255 + 0.5).astype(np.uint8)


def portrait(name):
    """The real portraits of models/ordinal_pairs.json (they picked the shipped checkpoint: not held out)."""
    import matplotlib.cbook
    from PIL import Image
    from skimage import data

    if name == "astronaut":
        return data.astronaut()
    if name == "camera":
        return np.repeat(data.camera()[..., None], 3, axis=2)
    if name == "grace_hopper":
        return np.array(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))
    raise ValueError(name)


def cutout(rgb, height):
    """The photo's person (RGB and soft alpha from MediaPipe's mask), cropped to the mask, `height` px tall."""
    import cv2

    from portrait3d_blender.core.segment import person_mask

    alpha = person_mask(rgb)
    rows, columns = np.nonzero(alpha > 0.5)
    box = (slice(rows.min(), rows.max() + 1), slice(columns.min(), columns.max() + 1))
    rgb, alpha = rgb[box], alpha[box]
    width = round(rgb.shape[1] * height / rgb.shape[0])
    return (cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA),
            cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA))


def paste(photo, rgb, alpha, centre_x, bottom_y):
    """Blend a cut-out (RGB, alpha) into float `photo` in place, its bottom centre at (centre_x, bottom_y)."""
    height, width = alpha.shape
    top, left = bottom_y - height, centre_x - width // 2
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(bottom_y, photo.shape[0]), min(left + width, photo.shape[1])
    part = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    a = alpha[part][..., None]
    photo[y0:y1, x0:x1] = a * rgb[part] + (1 - a) * photo[y0:y1, x0:x1]


def composite(background_name, people):
    """People pasted back row first over a view; what is pasted later covers what is behind it."""
    photo = load(background_name).astype(np.float32)
    for name, height, centre_x, bottom_y in people:
        paste(photo, *cutout(portrait(name), height), centre_x, bottom_y)
    return (photo + 0.5).astype(np.uint8)


def load(name):
    """One held-out photo as uint8 H×W×3 RGB."""
    from skimage import data

    if name in SKIMAGE:
        return getattr(data, name)()
    if name in VIEWS:
        return perspective_view(*VIEWS[name])
    if name in COMPOSITES:
        return composite(*COMPOSITES[name])
    from models import (heldout_photos2, heldout_photos3, heldout_photos4, heldout_photos5, heldout_photos6,
                        heldout_photos7, heldout_photos8, heldout_photos9, heldout_photos10)

    for names, load_photo in ((heldout_photos2.NAMES_2, heldout_photos2.load),
                              (heldout_photos3.NAMES_3, heldout_photos3.load),
                              (heldout_photos4.NAMES_4, heldout_photos4.load),
                              (heldout_photos5.NAMES_5, heldout_photos5.load),
                              (heldout_photos6.NAMES_6, heldout_photos6.load),
                              (heldout_photos7.NAMES_7, heldout_photos7.load),
                              (heldout_photos8.NAMES_8, heldout_photos8.load),
                              (heldout_photos9.NAMES_9, heldout_photos9.load),
                              (heldout_photos10.NAMES_10, heldout_photos10.load)):
        if name in names:
            return load_photo(name)
    raise ValueError(f"no held-out photo called {name!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder to write each photo of the set into as a PNG")
    parser.add_argument("--set", type=int, choices=(1, 2), default=1,
                        help="1: the first held-out set (NAMES); 2: the second (models/heldout_photos2.py, NAMES_2)")
    parser.add_argument("--check", action="store_true",
                        help="instead: check the second set's frozen pairs against its photos")
    args = parser.parse_args()
    if not args.check and args.out is None:
        parser.error("--out or --check is needed")
    from PIL import Image

    from models import heldout_photos2

    if args.check:
        problems = heldout_photos2.check()
        print("\n".join(problems) or f"{len(heldout_photos2.NAMES_2)} photos match {heldout_photos2.PAIRS.name}")
        raise SystemExit(1 if problems else 0)

    args.out.mkdir(parents=True, exist_ok=True)
    for name in NAMES if args.set == 1 else heldout_photos2.NAMES_2:
        Image.fromarray(load(name)).save(args.out / f"{name}.png")
        print(args.out / f"{name}.png")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
