"""A ninth held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-8 (`heldout_photos.py` to `heldout_photos8.py`) have each had a first run looked at; this one gives the
next honest number. `models/ordinal_pairs_heldout9.json` holds its ordinal pairs, annotated by eye on these
photos and committed before any depth method was run on them or any depth map of them was looked at.
`heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): two Debian packages
already pinned for the eighth set, fetched once by `apt-get download` into the git-ignored
`models/data/downloads/`, checked against the SHA-256 pinned in `pinned_archives.ARCHIVES` and read by
`heldout_photos2.real_photo`. No photo here is read by an earlier set:

* the Debian package kphotoalbum 5.9.1-1's demo album (the eighth set reads only `pool.jpg`, `bar55.jpg`,
  `bar55_2.jpg` and `cold_water.jpg`): `demo/anne_helene.jpg` (400 × 600: a woman in sunglasses sitting
  cross-legged on a beach, her hands clasped in front of her, a sandal and a bag on the sand before her,
  people sitting and standing far behind, the sea and a dune), `demo/jesper.jpg` (a man's face close up, tilted,
  his hand behind his head, a dark room behind), `demo/jesper_2.jpg` (a man talking, his face frontal, a jacket
  and an open collar, a blurred wall and a white door frame behind), `demo/new_wave_2.jpg` (a young man's face
  close up under a quiff, lit by the flash, posters and a wooden wall behind) and `demo/grand_canyon_2.jpg` (a
  man in a knitted hat at a railing, the canyon and the sky far behind); and four the album stores on their
  side (no EXIF orientation), turned upright by the angle its `demo/index.xml` records for each:
  `demo/wayne.jpg` (90°: a billiard lounge, a man in a white shirt holding a cue in front, a man in a red
  sweater farther back behind the pool table that fills the bottom right, a carpeted floor, a jukebox, a stone
  chimney and a panelled wall), `demo/new_wave_1.jpg` (90°: a young man crouching inside a metal cabinet,
  raising a can, his chin on his hand, the cabinet's back wall and floor), `demo/grand_canyon_1.jpg` (180°: a
  woman in a white anorak in front of a man in a dark jacket, her shoulder over his arm, the canyon and the
  sky behind) and `demo/pool_2.jpg` (270°: a man in a sweatshirt behind a pool table that fills the frame, a
  chalk cube on its rail and balls on the felt before him, a dark bar behind). Its other photos are of pets,
  landscapes and a logo;
* the Debian package ruby-rmagick-doc 4.2.3-2's `html/ex/images/Hot_Air_Balloons_H.jpg` (678 × 435: a crowd
  on a field at several depths, the nearest at the bottom of the frame, a cyclist, balloons being inflated
  behind them, a wooded hill and a blue sky); the eighth set reads only its `Ballerina3.jpg`.

Still no child and no face in profile: none was found in the archives reachable.

No package states a licence for these photos: Debian's copyright files put all of kphotoalbum under GPL-2+
without naming the demo album's photographer (nor the consent of the people in its private snapshots) and all
of ruby-rmagick-doc under RMagick's MIT without naming a photographer (the balloons are by every sign a stock
photo). So every photo of this set is evaluation-only: never in docs/ figures or tests.

    .venv/bin/python -m models.heldout_photos9 --out /tmp/heldout9   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos9 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

KPHOTOALBUM = "./usr/share/kphotoalbum/demo/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop[,
# degrees to turn it clockwise after that, as the album's index.xml says]).
REAL_9 = {
    "beach_sitting_woman": ("kphotoalbum", KPHOTOALBUM + "anne_helene.jpg", None, 1.0),
    "tilted_face_closeup": ("kphotoalbum", KPHOTOALBUM + "jesper.jpg", None, 1.0),
    "open_mouth_portrait": ("kphotoalbum", KPHOTOALBUM + "jesper_2.jpg", None, 1.0),
    "quiff_face_posters": ("kphotoalbum", KPHOTOALBUM + "new_wave_2.jpg", None, 1.0),
    "canyon_railing_man": ("kphotoalbum", KPHOTOALBUM + "grand_canyon_2.jpg", None, 1.0),
    "billiard_room_two_players": ("kphotoalbum", KPHOTOALBUM + "wayne.jpg", None, 1.0, 90),
    "locker_man_with_can": ("kphotoalbum", KPHOTOALBUM + "new_wave_1.jpg", None, 1.0, 90),
    "canyon_railing_couple": ("kphotoalbum", KPHOTOALBUM + "grand_canyon_1.jpg", None, 1.0, 180),
    "pool_table_shot": ("kphotoalbum", KPHOTOALBUM + "pool_2.jpg", None, 1.0, 270),
    "balloon_field_crowd": ("ruby-rmagick-doc",
                            "./usr/share/doc/ruby-rmagick-doc/html/ex/images/Hot_Air_Balloons_H.jpg", None, 1.0),
}
NAMES_9 = tuple(REAL_9)
EVALUATION_ONLY_9 = NAMES_9  # no photo licence stated by either package: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout9.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_9, which="ninth")
check = functools.partial(real_photo_sets.check, REAL_9, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_9, PAIRS, __doc__.splitlines()[0])
