"""How well the shipped person finding works on a folder of datagen renders (any --people kind).

Per render with a visible person: whether `pipeline.find_person` finds a person, how many faces Face Mesh confirms (its `people`)
against how many rendered heads lie inside the frame (and, of the heads 40 px tall or more, how many are
matched by a confirmed face), the IoU of its mask (> 0.5) with the rendered person
mask, and, where two or more confirmed faces can be matched to rendered heads, whether the bigger face belongs
to the nearer head (face size orders a group front to back).

    .venv/bin/python models/check_people.py models/data/test_makehuman --json models/runs/check_makehuman.json
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BIG_HEAD_PX = 40  # heads at least this tall in the frame should be found: Face Mesh needs a few pixels an eye


def heads_in_frame(meta):
    width, height = meta["camera"]["width"], meta["camera"]["height"]
    return [person for person in meta["people"] if "head_pixel" in person and person["head_distance_m"] > 0
            and 0 <= person["head_pixel"][0] < width and 0 <= person["head_pixel"][1] < height]


def match_faces(people, heads):
    """{head index: confirmed face} pairing each confirmed face with the rendered head nearest its centre
    (within a face width), the biggest face where two claim one head."""
    matched = {}
    for face, _ in people:
        distances = [np.hypot(face.center_x - h["head_pixel"][0], face.center_y - h["head_pixel"][1]) for h in heads]
        if distances and min(distances) < face.width:
            index = int(np.argmin(distances))
            if index not in matched or face.width > matched[index].width:
                matched[index] = face
    return matched


def group_order(matched, heads):
    """(right, total) over pairs of matched heads: the bigger face should be the nearer head."""
    pairs = [(a, b) for a in matched for b in matched if a < b]
    right = sum((matched[a].width > matched[b].width) == (heads[a]["head_distance_m"] < heads[b]["head_distance_m"])
                for a, b in pairs)
    return right, len(pairs)


def head_pixels(meta, head):
    """A head's height in pixels (crown to chin about 0.24 m) at its recorded distance."""
    return meta["camera"]["fy"] * 0.24 / head["head_distance_m"]


def check(folder):
    import cv2

    from portrait3d_blender.core.pipeline import find_person
    from portrait3d_blender.core.segment import has_person

    rows = []
    for meta_path in sorted(Path(folder).glob("*_meta.json")):
        stem = str(meta_path)[: -len("_meta.json")]
        meta = json.loads(meta_path.read_text())
        rgb = cv2.cvtColor(cv2.imread(stem + "_rgb.png"), cv2.COLOR_BGR2RGB)
        truth = cv2.imread(stem + "_mask.png", cv2.IMREAD_GRAYSCALE) > 127
        mask, _, people, found = find_person(rgb)
        found_mask = mask > 0.5
        union = np.logical_or(found_mask, truth).sum()
        heads = heads_in_frame(meta)
        matched = match_faces(people, heads)
        right, pairs = group_order(matched, heads)
        big = [i for i, head in enumerate(heads) if head_pixels(meta, head) >= BIG_HEAD_PX]
        rows.append({"seed": meta["seed"], "person_visible": bool(has_person(truth.astype(np.float32))), "found": bool(found), "faces_confirmed": len(people),
                     "heads_in_frame": len(heads), "iou": float(np.logical_and(found_mask, truth).sum() / union) if union else 1.0,
                     "big_heads": len(big), "big_heads_confirmed": sum(i in matched for i in big),
                     "order_right": right, "order_pairs": pairs})
    return rows


def summary(rows):
    """Rates over the renders where the rendered mask holds a person as big as `segment.has_person` asks
    (a camera in a wall, or only a sliver of someone, leaves nobody to find)."""
    skipped = sum(not r["person_visible"] for r in rows)
    rows = [r for r in rows if r["person_visible"]]
    n = len(rows)
    pairs = sum(r["order_pairs"] for r in rows)
    heads = sum(r["heads_in_frame"] for r in rows)  # recorded by --people makehuman only
    big = sum(r["big_heads"] for r in rows)
    return {"renders": n, "renders_without_a_visible_person_left_out": skipped,
            "person_found": sum(r["found"] for r in rows) / n,
            "a_face_confirmed": sum(r["faces_confirmed"] > 0 for r in rows) / n,
            "faces_confirmed_per_head_in_frame": (sum(r["faces_confirmed"] for r in rows) / heads) if heads else None,
            f"heads_of_{BIG_HEAD_PX}_px_or_more": sum(r["big_heads"] for r in rows),
            "share_of_those_heads_confirmed": (sum(r["big_heads_confirmed"] for r in rows) / big) if big else None,
            "mask_iou_mean": float(np.mean([r["iou"] for r in rows])),
            "mask_iou_median": float(np.median([r["iou"] for r in rows])),
            "group_order_pairs": pairs,
            "group_order_right": sum(r["order_right"] for r in rows) / pairs if pairs else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, help="write the per-render rows and the summary here")
    args = parser.parse_args()
    rows = check(args.folder)
    if not rows:
        parser.error(f"no *_meta.json renders in {args.folder}")
    result = summary(rows)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": result, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
