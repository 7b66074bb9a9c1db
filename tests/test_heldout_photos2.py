"""The second held-out real-photo set: its frozen pairs (models/ordinal_pairs_heldout2.json) and how its
composites are built (models/heldout_photos2.py).

Offline only: the real photos come from PyPI archives that `heldout_photos.py --check` downloads (a dev step,
never a test's), so here the pairs are checked against the sizes frozen with them, and the composites'
construction on a person and a view that ship in the dev venv.
"""

import json
from collections import Counter

import numpy as np

from models import heldout_photos, heldout_photos2

KINDS = {"person_vs_background", "foreground_vs_person", "furniture_ground_vs_wall", "ground_plane",
         "front_vs_back_row", "hard"}


def _frozen():
    return json.loads(heldout_photos2.PAIRS.read_text())


def test_every_pair_names_a_photo_of_the_set_and_lies_inside_it():
    frozen = _frozen()
    assert set(frozen["sizes"]) == set(heldout_photos2.NAMES_2)
    assert set(frozen["evaluation_only"]) == set(heldout_photos2.EVALUATION_ONLY) <= set(heldout_photos2.REAL)
    for pair in frozen["pairs"]:
        assert set(pair) == {"image", "near", "far", "kind"} and pair["kind"] in KINDS, pair
        width, height = frozen["sizes"][pair["image"]]
        for x, y in (pair["near"], pair["far"]):
            assert isinstance(x, int) and isinstance(y, int) and 0 <= x < width and 0 <= y < height, pair
        assert pair["near"] != pair["far"], pair


def test_the_set_is_the_size_the_evaluation_needs_and_new_to_the_project():
    frozen = _frozen()
    kinds = Counter(pair["kind"] for pair in frozen["pairs"])
    assert len(frozen["pairs"]) >= 80 and min(kinds[kind] for kind in KINDS - {"ground_plane"}) >= 10, kinds
    assert {pair["image"] for pair in frozen["pairs"]} == set(heldout_photos2.NAMES_2)  # every photo is used
    assert not set(heldout_photos2.NAMES_2) & set(heldout_photos.NAMES)
    first_set_views = {(environment, yaw) for environment, yaw, *_ in heldout_photos.VIEWS.values()}
    second_set_views = [spec[:2] for spec in heldout_photos2.VIEWS_2.values()]
    second_set_views += [view[:2] for view, _, _ in heldout_photos2.COMPOSITES_2.values()]
    assert not first_set_views & set(second_set_views)


def test_the_views_and_composites_have_the_sizes_the_pairs_were_annotated_on():
    sizes = _frozen()["sizes"]
    for name, (_, _, _, height, width) in heldout_photos2.VIEWS_2.items():
        assert sizes[name] == [width, height]
    for name, ((_, _, _, height, width), _, _) in heldout_photos2.COMPOSITES_2.items():
        assert sizes[name] == [width, height]


def test_a_composite_stacks_view_back_person_front_person_and_table_in_that_order():
    """Built from parts that need no download: Grace Hopper twice in the room view of composite_room_table."""
    view = heldout_photos2.COMPOSITES_2["composite_room_table"][0]
    people = (("grace_hopper", 240, 300, 340), ("grace_hopper", 300, 380, 400))  # back row first
    table = (((40, 330), (600, 330), (680, 400), (-40, 400)), 60)  # top from y 330 to 400, panel to 460
    photo, layers = heldout_photos2.composite_layers(view, people, table)
    background = heldout_photos.perspective_view(*view)
    assert photo.dtype == np.uint8 and photo.shape == background.shape == (480, 640, 3)
    assert layers.shape == (480, 640) and set(np.unique(layers)) == {0, 1, 2, 3}
    # The table covers its top and its front panel across the frame, and hides both people's lower edges.
    assert (layers[332:399, 45:595] == 3).all() and (layers[402:458] == 3).all()
    assert not (layers[:329] == 3).any() and not (layers[462:] == 3).any()
    assert not np.isin(layers[331:], (1, 2)).any()
    assert np.abs(photo[layers == 3].astype(int) - background[layers == 3]).mean() > 20
    # The front person covers the back one: the back one shows only left of the front one and above it.
    back, front = np.nonzero(layers == 1), np.nonzero(layers == 2)
    assert back[1].min() < front[1].min() - 40 and front[1].max() > back[1].max() + 100
    assert back[0].size > 10_000 and front[0].size > back[0].size
    # Far from both people and above the table, the room view is untouched.
    assert (photo[:320, :150] == background[:320, :150]).all() and (photo[:320, 560:] == background[:320, 560:]).all()
