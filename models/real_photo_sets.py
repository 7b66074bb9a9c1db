"""What the held-out sets of real photos read from pinned package archives (`heldout_photos3.py` to
`heldout_photos10.py`) share: a photo by name, the check of the photos against the sizes frozen with their pairs,
and the command line that writes the photos out or runs that check.

A set is a dict {name: (archive key of pinned_archives.ARCHIVES, member, crop box (x0, y0, x1, y1) in the
member's pixels or None, scale after the crop[, degrees to turn it clockwise after that])}, read by
`heldout_photos2.real_photo`, and the JSON of its frozen pairs, whose `sizes` hold each photo's [width, height].
"""

import argparse
import json
from pathlib import Path

from models import heldout_photos2


def load(photos, name, which):
    """One photo of the set `photos` (called the `which` held-out set in errors) as uint8 H×W×3 RGB."""
    if name in photos:
        return heldout_photos2.real_photo(*photos[name])
    raise ValueError(f"no photo called {name!r} in the {which} held-out set")


def check(photos, pairs_path):
    """Load every photo of the set (downloading its archives once) and check that each has the size its pairs
    were annotated on (the JSON's `sizes`). Returns the problems found."""
    sizes = json.loads(Path(pairs_path).read_text())["sizes"]
    problems = []
    for name, spec in photos.items():
        height, width = heldout_photos2.real_photo(*spec).shape[:2]
        if [width, height] != sizes[name]:
            problems.append(f"{name}: {width}×{height}, the pairs expect {sizes[name]}")
    return problems


def main(photos, pairs_path, description):
    """The command line of a set's module: `--out DIR` writes each photo as a PNG, `--check` runs `check`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, help="folder to write each photo of the set into as a PNG")
    parser.add_argument("--check", action="store_true", help="instead: check the frozen pairs against the photos")
    args = parser.parse_args()
    if args.check:
        problems = check(photos, pairs_path)
        print("\n".join(problems) or f"{len(photos)} photos match {Path(pairs_path).name}")
        raise SystemExit(1 if problems else 0)
    if args.out is None:
        parser.error("--out or --check is needed")
    from PIL import Image

    args.out.mkdir(parents=True, exist_ok=True)
    for name, spec in photos.items():
        Image.fromarray(heldout_photos2.real_photo(*spec)).save(args.out / f"{name}.png")
        print(args.out / f"{name}.png")
