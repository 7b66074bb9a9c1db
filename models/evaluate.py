"""One evaluation table: baselines, the U-Net alone and the shipped depth (the U-Net composed with MediaPipe
geometry, core/depth_prior.py), side by side, on these test sets.

(a) the held-out synthetic split (seeds ≥ 1,000,000 of datagen.py, never trained on): scale-and-shift-
    invariant AbsRel and δ1 (<1.25), inside the true person mask and over the whole image;
(b) Middlebury 2014 "motorcycle" (shipped in scikit-image): the same metrics over its valid pixels;
(c) ordinal pairs annotated by eye on three public-domain portraits (models/ordinal_pairs.json): WHDR, the
    share of pairs whose order is wrong (a tie counts as wrong). These photos also picked the shipped
    checkpoint: not held out;
(d) held-out ordinal pairs on photos no training, tuning or checkpoint choice looked at, each set frozen in
    git before any method ran on it: the tenth (models/ordinal_pairs_heldout10.json, heldout_photos10.py), not
    run yet; the ninth (ordinal_pairs_heldout9.json, heldout_photos9.py), looked at once, on what ships; the
    eighth (ordinal_pairs_heldout8.json, heldout_photos8.py), looked at once, on the weights that ship; the seventh
    (ordinal_pairs_heldout7.json, heldout_photos7.py), looked at once, on step 4014 of run mh3 with the
    composition as it ships; the sixth (ordinal_pairs_heldout6.json, heldout_photos6.py), looked at once, on
    step 3710 of run mh2; the fifth
    (ordinal_pairs_heldout5.json, heldout_photos5.py), looked at once, on the blend that shipped before it; the
    fourth (ordinal_pairs_heldout4.json, heldout_photos4.py), looked at once per model and never used to
    revise anything; the third (ordinal_pairs_heldout3.json, heldout_photos3.py), the second
    (ordinal_pairs_heldout2.json, heldout_photos2.py) and the first (ordinal_pairs_heldout.json,
    heldout_photos.py), whose results were each looked at once before the composition was revised. A set's
    row says "looked at" once its numbers have been seen;
(e) face relief: Spearman correlation between a method's disparity at the Face Mesh landmarks the camera
    sees (a z-buffer of the Face Mesh surface; all 468 as well) and the landmarks' own nearness (-z), for
    every face of at least 80 px in the real photos. The shipped depth takes its face relief from those
    landmarks, so its number says the relief arrived, not that it is right.

Methods: plane (one depth), ramp (lower in the frame is nearer), inflation (the silhouette blown up), prior
(the hand-made prior of issue 11: mask + inflation + ramp), model (the network alone: the weights given,
as the product ran it before depth_prior) and shipped (what the product runs now).

Alignment is per image in disparity space (least-squares scale and shift over the evaluated pixels); the
aligned disparity is floored at 1 / (farthest true depth) and inverted to depth, and the depths are compared.
Every method gets the person mask and people (faces with their Face Mesh landmarks) as the product finds them
(pipeline.find_person): MediaPipe's mask, kept only where a face or a body is detected.

    .venv/bin/python models/evaluate.py --weights models/portrait_depth.pt --json models/runs/eval.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from models import (heldout_photos, heldout_photos2, heldout_photos3, heldout_photos4, heldout_photos5,  # noqa: E402
                    heldout_photos6, heldout_photos7, heldout_photos8, heldout_photos9, heldout_photos10)
from models.unet import load_checkpoint, numpy_network  # noqa: E402
from portrait3d_blender.core import depth, face_landmarks, pipeline  # noqa: E402
from portrait3d_blender.core.depth_prior import MIN_FACE_PX, ground_ramp  # noqa: E402

TEST_SEED_START = 1_000_000
METHODS = ("plane", "ramp", "inflation", "prior", "model", "shipped")
HEAD_PAIR_RATIO = 1.15  # two rendered heads make a front/back pair when one is this much farther
# The held-out ordinal sets, newest first as the table lists them: the suffix of `--heldoutN-pairs`, of
# models/ordinal_pairs_heldoutN.json and of the JSON keys; the set's name; how often its numbers were seen.
HELDOUT_SETS = (("10", "tenth", "first run pending"), ("9", "ninth", "looked at once"),
                ("8", "eighth", "looked at once"), ("7", "seventh", "looked at once"), ("6", "sixth", "looked at once"),
                ("5", "fifth", "looked at once"), ("4", "fourth", "looked at once per model"), ("3", "third", "looked at once"),
                ("2", "second", "looked at once"), ("", "first", "looked at once"))
VISIBLE_TOLERANCE = 0.05  # a landmark within this share of its face's width of the front surface is seen


def analyse(rgb):
    """The person mask and people (face box, Face Mesh landmarks) as the add-on finds them."""
    mask, _, people, _ = pipeline.find_person(rgb)
    return mask, people


# ----------------------------------------------------------------------------------------------------------
# Methods: each maps (rgb uint8, person mask float, people) to a relative disparity at the photo's resolution
# ----------------------------------------------------------------------------------------------------------

def plane_disparity(rgb, mask, people):
    """Everything at one depth: what a flat photo card gives."""
    return np.ones(rgb.shape[:2], np.float32)


def ramp_disparity(rgb, mask, people):
    """Lower in the frame is nearer, nothing else."""
    return np.array(ground_ramp(*rgb.shape[:2]))


def inflation_disparity(rgb, mask, people):
    """The silhouette blown up like a balloon: sqrt of the normalised distance to the mask edge, 0 outside."""
    inside = (mask > 0.5).astype(np.uint8)
    if inside.sum() == 0:
        return np.zeros(rgb.shape[:2], np.float32)
    distance = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    return np.sqrt(distance / distance.max()).astype(np.float32)


def prior_disparity(rgb, mask, people):
    """Issue 11's hand-made prior: the person (inflated) in front, the rest nearer the lower it is."""
    person = 0.6 + 0.4 * inflation_disparity(rgb, mask, people)
    return (1 - mask) * 0.5 * ramp_disparity(rgb, mask, people) + mask * person


def make_network_methods(weights):
    """The network alone and the shipped composition, both on the weights given (torch reference; the ONNX
    export matches it to 1e-6)."""
    network = numpy_network(load_checkpoint(weights))

    def model_disparity(rgb, mask, people):
        return depth.network_nearness(rgb, mask, network)

    def shipped_disparity(rgb, mask, people):
        return depth.estimate_nearness(rgb, mask, people, network=network)
    return {"model": model_disparity, "shipped": shipped_disparity}


def all_methods(weights):
    return {"plane": plane_disparity, "ramp": ramp_disparity, "inflation": inflation_disparity,
            "prior": prior_disparity, **make_network_methods(weights)}


# ----------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------

def aligned_depth_metrics(predicted_disparity, true_disparity, region):
    """AbsRel and δ1 of depths after least-squares scale-and-shift alignment of disparity over `region`."""
    p = predicted_disparity[region].astype(np.float64)
    t = true_disparity[region].astype(np.float64)
    design = np.stack([p, np.ones_like(p)], 1)
    if np.ptp(p) < 1e-12:  # constant prediction: the best fit is the mean
        aligned = np.full_like(t, t.mean())
    else:
        scale, shift = np.linalg.lstsq(design, t, rcond=None)[0]
        aligned = scale * p + shift
    aligned = np.maximum(aligned, t.min())  # floor at the farthest true depth's disparity
    predicted_depth, true_depth = 1 / aligned, 1 / t
    abs_rel = float(np.mean(np.abs(predicted_depth - true_depth) / true_depth))
    delta1 = float(np.mean(np.maximum(predicted_depth / true_depth, true_depth / predicted_depth) < 1.25))
    return abs_rel, delta1


def head_pairs(meta, true_depth):
    """(nearer head pixel, farther head pixel) for each two people of a render whose heads the camera sees and
    whose distances differ by at least `HEAD_PAIR_RATIO`: ground truth for front vs back row ordering."""
    height, width = true_depth.shape
    heads = []
    for person in meta.get("people", []):
        if "head_pixel" not in person:
            continue
        x, y = (int(round(v)) for v in person["head_pixel"])
        # in the frame, and not hidden: the rendered depth at the head's pixel is the head's own
        if 0 <= x < width and 0 <= y < height and abs(true_depth[y, x] - person["head_distance_m"]) < 0.15:
            heads.append((person["head_distance_m"], (x, y)))
    heads.sort()
    return [(near, far) for i, (near_distance, near) in enumerate(heads) for far_distance, far in heads[i + 1:]
            if far_distance >= HEAD_PAIR_RATIO * near_distance]


def synthetic_split(folder, methods, limit, first_seed=TEST_SEED_START):
    """Mean AbsRel / δ1 per method over the test renders (seeds from `first_seed`), inside the person and over
    the whole image, and the WHDR of the renders' head pairs (`head_pairs`; renders whose meta records the
    heads)."""
    metas = sorted(Path(folder).glob("*_meta.json"))
    metas = [m for m in metas if int(m.name.split("_")[0]) >= first_seed][:limit]
    scores = {name: {"person": [], "image": [], "heads": []} for name in methods}
    for meta_path in metas:
        stem = str(meta_path)[: -len("_meta.json")]
        rgb = cv2.cvtColor(cv2.imread(stem + "_rgb.png"), cv2.COLOR_BGR2RGB)
        true_person = cv2.imread(stem + "_mask.png", cv2.IMREAD_GRAYSCALE) > 127
        true_depth = np.load(stem + "_depth.npy").astype(np.float32)
        true_disparity = 1 / np.maximum(true_depth, 1e-3)
        pairs = head_pairs(json.loads(meta_path.read_text()), true_depth)
        mask, people = analyse(rgb)
        for name, method in methods.items():
            disparity = method(rgb, mask, people)
            if true_person.sum() >= 100:
                scores[name]["person"].append(aligned_depth_metrics(disparity, true_disparity, true_person))
            scores[name]["image"].append(aligned_depth_metrics(disparity, true_disparity, np.ones_like(true_person)))
            scores[name]["heads"] += [not disparity[ny, nx] > disparity[fy, fx] for (nx, ny), (fx, fy) in pairs]
    summary = {name: {region: np.mean(values, 0).tolist() for region, values in regions.items() if values}
               for name, regions in scores.items()}
    return summary, len(metas), len(scores[next(iter(methods))]["heads"])


def split_rows(title, scores):
    """The four table rows of a synthetic split's scores (`synthetic_split`): AbsRel and δ1, person and image."""
    rows = []
    for region, label in (("person", "person"), ("image", "whole image")):
        for index, metric in ((0, "AbsRel ↓"), (1, "δ1 ↑")):
            rows.append((f"{title}, {label}: {metric}", [scores[m][region][index] for m in METHODS]))
    return rows


def middlebury_motorcycle(methods):
    from skimage.data import stereo_motorcycle

    left, _, disparity = stereo_motorcycle()
    valid = np.isfinite(disparity) & (disparity > 0)
    mask, people = analyse(left)
    return {name: aligned_depth_metrics(method(left, mask, people), disparity, valid)
            for name, method in methods.items()}


def load_photo(name):
    """A photo of either ordinal set: the three portraits that picked the checkpoint, or a held-out one."""
    if name in ("astronaut", "camera", "grace_hopper"):
        return heldout_photos.portrait(name)
    return heldout_photos.load(name)


def ordinal_whdr(pairs_path, methods):
    """WHDR per method over all pairs and per kind of pair; the prediction must be strictly ordered."""
    pairs = json.loads(Path(pairs_path).read_text())["pairs"]
    wrong = {name: {} for name in methods}
    for image_name in sorted({p["image"] for p in pairs}):
        rgb = load_photo(image_name)
        mask, people = analyse(rgb)
        for name, method in methods.items():
            disparity = method(rgb, mask, people)
            for pair in (p for p in pairs if p["image"] == image_name):
                (nx, ny), (fx, fy) = pair["near"], pair["far"]
                is_wrong = not disparity[ny, nx] > disparity[fy, fx]
                for key in ("all", pair["kind"]):
                    wrong[name].setdefault(key, []).append(is_wrong)
    return {name: {key: float(np.mean(v)) for key, v in kinds.items()} for name, kinds in wrong.items()}, len(pairs)


def spearman(a, b):
    """Rank correlation of two 1-D arrays (ties broken by order: the values here are continuous)."""
    ranks_a, ranks_b = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


FACE_PHOTOS = ("astronaut", "grace_hopper", "camera", "composite_room_pair", "composite_courtyard_pair",
               *heldout_photos2.NAMES_2, *heldout_photos3.NAMES_3, *heldout_photos4.NAMES_4,
               *heldout_photos5.NAMES_5, *heldout_photos6.NAMES_6, *heldout_photos7.NAMES_7,
               *heldout_photos8.NAMES_8, *heldout_photos9.NAMES_9, *heldout_photos10.NAMES_10)


def visible_landmarks(points, tolerance):
    """Which landmarks the camera sees: those within `tolerance` (pixels of z) of the Face Mesh's front-most
    surface at their pixel (`face_landmarks.front_surface`, a z-buffer). In a profile the far cheek's
    landmarks fall on the near cheek's pixels, where the true depth is the near cheek's: no depth map can
    match them there, so the relief is scored on the seen landmarks (and, for comparison, on all 468)."""
    corner = np.floor(points[:, :2].min(axis=0)) - 1
    local = points - np.array([*corner, 0.0], np.float32)
    width, height = (np.ceil(local[:, :2].max(axis=0)).astype(int) + 2)
    front, covered = face_landmarks.front_surface((height, width), local)
    column, row = np.round(local[:, :2]).astype(int).T
    return covered[row, column] & (points[:, 2] <= front[row, column] + tolerance)


def face_relief(methods):
    """Per method, the Spearman correlation at each face ≥ MIN_FACE_PX of the real photos, over its seen
    landmarks and over all 468: ({photo#face: r}, {photo#face: r})."""
    seen_scores, all_scores = {name: {} for name in methods}, {name: {} for name in methods}
    for photo in FACE_PHOTOS:
        rgb = load_photo(photo)
        mask, people = analyse(rgb)
        disparities = {name: method(rgb, mask, people) for name, method in methods.items()}
        for index, (face, points) in enumerate(people):
            if face.width < MIN_FACE_PX:
                continue
            x = np.clip(np.round(points[:, 0]).astype(int), 0, rgb.shape[1] - 1)
            y = np.clip(np.round(points[:, 1]).astype(int), 0, rgb.shape[0] - 1)
            seen = visible_landmarks(points, VISIBLE_TOLERANCE * face.width)
            key = f"{photo}#{index} ({face.width:.0f} px, {seen.sum()} seen)"
            for name, disparity in disparities.items():
                values = disparity[y, x]
                for scores, chosen in ((seen_scores, seen), (all_scores, slice(None))):
                    scores[name][key] = (spearman(values[chosen], -points[chosen, 2])
                                         if np.ptp(values[chosen]) > 0 else 0.0)
    return seen_scores, all_scores


def inference_milliseconds(weights, repeats=20):
    """Median forward time at 256×192 with two CPU threads, as the product runs it: the ONNX export in OpenCV."""
    import tempfile

    from models.export_onnx import export

    cv2.setNumThreads(2)
    with tempfile.TemporaryDirectory() as folder:
        export(weights, Path(folder))
        network = depth.load_model(Path(folder) / depth.model_file_name(depth.NETWORK_SIZE_PORTRAIT),
                                   depth.NETWORK_SIZE_PORTRAIT)
    batch = depth.probe_input(depth.NETWORK_SIZE_PORTRAIT)
    times = []
    for _ in range(repeats + 3):
        start = time.perf_counter()
        network(batch)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times[3:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=REPO_ROOT / "models/portrait_depth.pt")
    parser.add_argument("--test-data", type=Path, default=REPO_ROOT / "models/data/test")
    parser.add_argument("--pairs", type=Path, default=REPO_ROOT / "models/ordinal_pairs.json")
    for suffix, _, _ in HELDOUT_SETS:
        parser.add_argument(f"--heldout{suffix}-pairs", type=Path,
                            default=REPO_ROOT / f"models/ordinal_pairs_heldout{suffix}.json")
    parser.add_argument("--people-data", type=Path, default=REPO_ROOT / "models/data/test_makehuman",
                        help="a test split of MakeHuman people (datagen.py --people makehuman); skipped if absent")
    parser.add_argument("--limit", type=int, default=1000, help="at most this many synthetic test renders")
    parser.add_argument("--json", type=Path, help="also save the numbers here")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    methods = all_methods(args.weights)
    synthetic, n_renders, _ = synthetic_split(args.test_data, methods, args.limit)
    people_split = args.people_data.is_dir() and any(args.people_data.glob("*_meta.json"))
    people, n_people, n_heads = synthetic_split(args.people_data, methods, args.limit) if people_split else ({}, 0, 0)
    motorcycle = middlebury_motorcycle(methods)
    whdr, n_pairs = ordinal_whdr(args.pairs, methods)
    heldout = {suffix: ordinal_whdr(getattr(args, f"heldout{suffix}_pairs"), methods)
               for suffix, _, _ in reversed(HELDOUT_SETS)}  # {suffix: (scores, number of pairs)}
    relief, relief_all = face_relief(methods)
    milliseconds = inference_milliseconds(args.weights)

    rows = split_rows(f"synthetic test ({n_renders} renders)", synthetic)
    if people:
        rows += split_rows(f"synthetic MakeHuman people ({n_people} renders)", people)
        if n_heads:
            rows.append((f"synthetic MakeHuman people, front vs back heads ({n_heads} pairs): WHDR ↓",
                         [people[m]["heads"] for m in METHODS]))
    rows += [
        ("Middlebury motorcycle: AbsRel ↓", [motorcycle[m][0] for m in METHODS]),
        ("Middlebury motorcycle: δ1 ↑", [motorcycle[m][1] for m in METHODS]),
    ]
    ordinal_sets = [(f"held-out real photos, {name} set, ordinal ({heldout[suffix][1]} pairs, {seen})",
                     heldout[suffix][0]) for suffix, name, seen in HELDOUT_SETS]
    ordinal_sets.append((f"portraits that picked the checkpoint, ordinal ({n_pairs} pairs, not held out)", whdr))
    for label, scores in ordinal_sets:
        rows.append((f"{label}: WHDR ↓", [scores[m]["all"] for m in METHODS]))
        for kind in sorted(k for k in scores["model"] if k != "all"):
            rows.append((f"  WHDR, {kind.replace('_', ' ')} pairs ↓", [scores[m][kind] for m in METHODS]))
    faces = sorted(relief["model"])
    rows.append((f"face relief, Spearman at the seen landmarks, worst of {len(faces)} faces ≥ {MIN_FACE_PX} px ↑",
                 [min(relief[m].values(), default=float("nan")) for m in METHODS]))
    for face in faces:
        rows.append((f"  {face} ↑", [relief[m][face] for m in METHODS]))
    rows.append(("face relief, Spearman at all 468 landmarks, worst face ↑",
                 [min(relief_all[m].values(), default=float("nan")) for m in METHODS]))
    lines = ["| metric | " + " | ".join(METHODS) + " |", "|---|" + "---:|" * len(METHODS)]
    lines += [f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |" for label, values in rows]
    weights_mb = args.weights.stat().st_size / 1e6
    lines.append("")
    lines.append(f"Model: {args.weights.name}, {weights_mb:.2f} MB; inference {milliseconds:.1f} ms at 256×192 "
                 f"on 2 CPU threads (ONNX export in OpenCV, median of 20).")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({
            "weights": str(args.weights), "synthetic": synthetic, "synthetic_renders": n_renders,
            "makehuman": people, "makehuman_renders": n_people, "motorcycle": motorcycle,
            "whdr": whdr, "pairs": n_pairs,
            **{f"heldout{suffix}_{key}": value for suffix, (scores, n) in heldout.items()
               for key, value in (("whdr", scores), ("pairs", n))},
            "face_relief_seen": relief, "face_relief_all": relief_all,
            "inference_ms": milliseconds, "weights_mb": weights_mb, "table": "\n".join(lines)}, indent=1))


if __name__ == "__main__":
    main()
