"""A second held-out set of real photos for depth evaluation, annotated before any method looked at them.

`models/ordinal_pairs_heldout2.json` holds its ordinal pairs, annotated by eye and committed before any depth
method was run on these photos. The first set (`models/heldout_photos.py`, NAMES) stays as it was; `load` there
also returns these photos.

Sources (development tooling only: nothing here reaches the add-on or its tests' data):

* PyPI archives, fetched once with `pip download` into the git-ignored `models/data/downloads/` and checked
  against the SHA-256 pinned in `pinned_archives.ARCHIVES`:
  - scipy 1.9.3's `scipy/misc/ascent.dat`: people on an outdoor staircase (public domain, from
    public-domain-image.com as scipy's docstring says);
  - face_recognition 1.3.0's `tests/test_images/`: photographs of Barack Obama and Joe Biden that are by every
    sign the White House's (an official portrait, a speech at a podium, the Blue Room): works of the US federal
    government, so public domain, though the MIT-licensed package does not name their source;
  - ultralytics 8.3.0's `ultralytics/assets/` `bus.jpg` (people standing on a street before a bus) and
    `zidane.jpg` (two men, one behind the other, a crowd behind): shipped in an AGPL-3.0 package with no
    stated photo licence, so these two are evaluation-only: never in docs/ figures or tests.
* perspective views of the CC0 360° photographs inside bpy that the first set did not use (forest, city,
  sunset, studio; interior at other yaws).
* composites: real people (the US-government photos above), cut out with MediaPipe's person mask and pasted
  into those views. Where a composite has furniture in front of a person, the view's own pixels inside a
  polygon traced around that furniture are pasted back over the person, so the furniture is in front by
  construction; in a group, the smaller people stand higher and farther back and are pasted first.

    .venv/bin/python models/heldout_photos.py --set 2 --out /tmp/heldout2   # writes each photo as a PNG
    .venv/bin/python models/heldout_photos.py --check   # checks the frozen pairs against the photos
"""

import io
import pickle
from pathlib import Path

import numpy as np

from models import heldout_photos, pinned_archives

FR = "face_recognition-1.3.0/tests/test_images/"
# Real photos: (archive, member, crop box (x0, y0, x1, y1) in the member's pixels or None, scale after the crop).
REAL = {
    "ascent_stairs": ("scipy", "scipy/misc/ascent.dat", None, 1.0),
    "obama_podium": ("face_recognition", FR + "obama2.jpg", None, 1.0),
    "obama_portrait": ("face_recognition", FR + "obama.jpg", None, 1.0),
    "obama_face_closeup": ("face_recognition", FR + "obama.jpg", (280, 0, 700, 480), 1.0),
    "biden_face_closeup": ("face_recognition", FR + "biden.jpg", (330, 40, 800, 600), 1.0),
    "obama_blue_room": ("face_recognition", FR + "obama3.jpg", None, 0.5),
    "biden_blue_room": ("face_recognition", FR + "biden.jpg", None, 0.5),
    "bus_street": ("ultralytics", "ultralytics/assets/bus.jpg", None, 1.0),
    "zidane_pair": ("ultralytics", "ultralytics/assets/zidane.jpg", None, 1.0),
}
EVALUATION_ONLY = ("bus_street", "zidane_pair")  # no photo licence stated: never in docs/ or tests
# Views of bpy's 360° photos: (environment, yaw, pitch in degrees, height, width), as heldout_photos.VIEWS.
VIEWS_2 = {
    "forest_fence": ("forest", 120, 15, 480, 640),
    "city_carpark": ("city", 240, 15, 480, 640),
    "sunset_square": ("sunset", 120, 15, 480, 640),
}
# The composites' people: (photo of REAL, crop box (x0, y0, x1, y1) that holds only that person, or None).
PEOPLE = {
    "obama": ("obama_portrait", None),
    "biden": ("biden_blue_room", None),
    "obama_standing": ("obama_blue_room", (0, 0, 625, 1166)),  # left of the woman at the right edge
    "grace_hopper": (None, None),  # matplotlib's portrait (heldout_photos.portrait), not held out itself
}
# A table drawn in front of the people: its top's corners (back left, back right, front right, front left),
# then the height of its front panel in px. Both are textured with the real desk top of TABLE_TEXTURE.
TABLE_TEXTURE = (("interior", 270, 20, 480, 640), (380, 270, 540, 300))  # (view, box x0, y0, x1, y1)
# Composites: (background view, people back row first as (person, height px, centre x, bottom y), table).
COMPOSITES_2 = {
    "composite_room_table": (("interior", 200, 10, 480, 640),
                             (("biden", 380, 380, 400), ("obama", 330, 250, 400)),
                             (((20, 340), (620, 340), (700, 420), (-60, 420)), 70)),
    "composite_square_table": (("sunset", 240, 10, 480, 640),
                               (("grace_hopper", 140, 330, 365), ("obama_standing", 420, 450, 470)),
                               (((30, 360), (610, 360), (690, 430), (-50, 430)), 60)),
}
NAMES_2 = tuple(REAL) + tuple(VIEWS_2) + tuple(COMPOSITES_2)


def real_photo(key, member, box, scale, clockwise=0):
    """A real photo from an archive as uint8 RGB, cropped to `box`, resized by `scale` and then turned upright by
    `clockwise` degrees (a multiple of 90: for a photo stored on its side, as its album records it)."""
    import cv2
    from PIL import Image

    data = pinned_archives.member_bytes(key, member)
    if member.endswith(".dat"):  # scipy's pickled grey ascent (a pinned file, so unpickling it is safe)
        grey = np.asarray(pickle.loads(data)).astype(np.uint8)
        rgb = np.repeat(grey[..., None], 3, axis=2)
    else:
        image = Image.open(io.BytesIO(data))
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:  # a cut-out: on white, as viewers do
            image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
        rgb = np.array(image.convert("RGB"))
    if box is not None:
        x0, y0, x1, y1 = box
        rgb = rgb[y0:y1, x0:x1]
    if scale != 1.0:
        size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.rot90(rgb, k=-(clockwise // 90)))


def person(name):
    """A composite's person as RGB with the whole photo around them (cropped to PEOPLE's box)."""
    photo_name, box = PEOPLE[name]
    if photo_name is None:
        return heldout_photos.portrait(name)
    rgb = load(photo_name)
    if box is not None:
        x0, y0, x1, y1 = box
        rgb = rgb[y0:y1, x0:x1]
    return np.ascontiguousarray(rgb)


def table(photo, layers, top, panel):
    """Draw a table over float `photo` in place: its top quad, then a darker front panel below the front edge.

    Both are the real desk texture of TABLE_TEXTURE warped into place; what is drawn covers everything under
    it, so the table is in front of whatever was pasted before it. `layers` gets the table's number (its
    maximum plus one) where the table covers at least half of a pixel.
    """
    import cv2

    view, (x0, y0, x1, y1) = TABLE_TEXTURE
    texture = heldout_photos.perspective_view(*view)[y0:y1, x0:x1].astype(np.float32)
    source = np.float32([[0, 0], [x1 - x0, 0], [x1 - x0, y1 - y0], [0, y1 - y0]])
    back_left, back_right, front_right, front_left = top
    front_left_low, front_right_low = (front_left[0], front_left[1] + panel), (front_right[0], front_right[1] + panel)
    height, width = photo.shape[:2]
    number = layers.max() + 1
    for quad, shade in (((back_left, back_right, front_right, front_left), 1.0),
                        ((front_left, front_right, front_right_low, front_left_low), 0.55)):
        target = np.float32(quad)
        layer = cv2.warpPerspective(texture, cv2.getPerspectiveTransform(source, target), (width, height),
                                    borderMode=cv2.BORDER_REFLECT)
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [np.int32(target)], 255, lineType=cv2.LINE_AA)
        alpha = mask.astype(np.float32) / 255
        photo[:] = alpha[..., None] * layer * shade + (1 - alpha[..., None]) * photo
        layers[alpha > 0.5] = number


def composite_layers(view, people, table_spec):
    """A composite and its layer map: 0 for the view, i for the i-th person pasted, len(people) + 1 for the table.

    People are pasted back row first over a view of a 360° photo, then the table is drawn in front of them all,
    so a pixel of a higher layer is nearer than one of a lower layer by construction. A layer owns a pixel where
    its alpha is over one half.
    """
    photo = heldout_photos.perspective_view(*view).astype(np.float32)
    layers = np.zeros(photo.shape[:2], np.int32)
    for number, (name, height, centre_x, bottom_y) in enumerate(people, start=1):
        rgb, alpha = heldout_photos.cutout(person(name), height)
        heldout_photos.paste(photo, rgb, alpha, centre_x, bottom_y)
        placed = np.zeros((*layers.shape, 1), np.float32)  # the person's alpha, placed as in the photo
        heldout_photos.paste(placed, np.ones_like(rgb[..., :1]), alpha, centre_x, bottom_y)
        layers[placed[..., 0] > 0.5] = number
    table(photo, layers, *table_spec)
    return (np.clip(photo, 0, 255) + 0.5).astype(np.uint8), layers


def composite(view, people, table_spec):
    """The composite photo of composite_layers, uint8 RGB."""
    return composite_layers(view, people, table_spec)[0]


def load(name):
    """One photo of the second held-out set as uint8 H×W×3 RGB."""
    if name in REAL:
        return real_photo(*REAL[name])
    if name in VIEWS_2:
        return heldout_photos.perspective_view(*VIEWS_2[name])
    if name in COMPOSITES_2:
        return composite(*COMPOSITES_2[name])
    raise ValueError(f"no photo called {name!r} in the second held-out set")


PAIRS = Path(__file__).resolve().parent / "ordinal_pairs_heldout2.json"


def check():
    """Load every photo (downloading the archives once) and check the frozen pairs against them.

    Each photo must have the size that the JSON records, and in a composite each pair's near point must lie on
    a layer pasted after its far point's (a person over the view, a nearer person over a farther one, the table
    over them all), which is what makes the composites' order true by construction. Returns the problems found.
    """
    import json

    frozen = json.loads(PAIRS.read_text())
    problems = []
    for name in NAMES_2:
        if name in COMPOSITES_2:
            photo, layers = composite_layers(*COMPOSITES_2[name])
        else:
            photo, layers = load(name), None
        if [photo.shape[1], photo.shape[0]] != frozen["sizes"][name]:
            problems.append(f"{name}: {photo.shape[1]}×{photo.shape[0]}, the pairs expect {frozen['sizes'][name]}")
        for pair in (pair for pair in frozen["pairs"] if pair["image"] == name and layers is not None):
            (near_x, near_y), (far_x, far_y) = pair["near"], pair["far"]
            if layers[near_y, near_x] <= layers[far_y, far_x]:
                problems.append(f"{name}: near {pair['near']} is not on a layer in front of far {pair['far']}")
    return problems
