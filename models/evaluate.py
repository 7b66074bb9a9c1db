"""One evaluation table: a plane, silhouette inflation and the U-Net, side by side, on three test sets.

(a) the held-out synthetic split (seeds ≥ 1,000,000 of datagen.py, never trained on): scale-and-shift-
    invariant AbsRel and δ1 (<1.25), inside the true person mask and over the whole image;
(b) Middlebury 2014 "motorcycle" (shipped in scikit-image): the same metrics over its valid pixels;
(c) ordinal pairs annotated by eye on three public-domain portraits (models/ordinal_pairs.json): WHDR, the
    share of pairs whose order is wrong (a tie counts as wrong).

Alignment is per image in disparity space (least-squares scale and shift over the evaluated pixels); the
aligned disparity is floored at 1 / (farthest true depth) and inverted to depth, and the depths are compared.
The model and the inflation baseline get the person mask from MediaPipe selfie segmentation, as in the product.

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

from models.unet import load_checkpoint, numpy_network  # noqa: E402
from portrait3d_blender.core import depth  # noqa: E402
from portrait3d_blender.core.segment import person_mask  # noqa: E402

TEST_SEED_START = 1_000_000
METHODS = ("plane", "inflation", "model")


# ----------------------------------------------------------------------------------------------------------
# Methods: each maps (rgb uint8, person mask float) to a relative disparity at the photo's resolution
# ----------------------------------------------------------------------------------------------------------

def plane_disparity(rgb, mask):
    """Everything at one depth: what a flat photo card gives."""
    return np.ones(rgb.shape[:2], np.float32)


def inflation_disparity(rgb, mask):
    """The silhouette blown up like a balloon: sqrt of the normalised distance to the mask edge, 0 outside."""
    inside = (mask > 0.5).astype(np.uint8)
    if inside.sum() == 0:
        return np.zeros(rgb.shape[:2], np.float32)
    distance = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    return np.sqrt(distance / distance.max()).astype(np.float32)


def make_model_disparity(weights):
    network = numpy_network(load_checkpoint(weights))  # the torch reference; the ONNX export matches it to 1e-6

    def model_disparity(rgb, mask):
        disparity = depth.predict_disparity(rgb, mask, network)
        return cv2.resize(disparity, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    return model_disparity


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


def synthetic_split(folder, methods, limit):
    """Mean AbsRel / δ1 per method over the test renders, inside the person and over the whole image."""
    metas = sorted(Path(folder).glob("*_meta.json"))
    metas = [m for m in metas if int(m.name.split("_")[0]) >= TEST_SEED_START][:limit]
    scores = {name: {"person": [], "image": []} for name in methods}
    for meta_path in metas:
        stem = str(meta_path)[: -len("_meta.json")]
        rgb = cv2.cvtColor(cv2.imread(stem + "_rgb.png"), cv2.COLOR_BGR2RGB)
        true_person = cv2.imread(stem + "_mask.png", cv2.IMREAD_GRAYSCALE) > 127
        true_disparity = 1 / np.maximum(np.load(stem + "_depth.npy").astype(np.float32), 1e-3)
        mask = person_mask(rgb)
        for name, method in methods.items():
            disparity = method(rgb, mask)
            if true_person.sum() >= 100:
                scores[name]["person"].append(aligned_depth_metrics(disparity, true_disparity, true_person))
            scores[name]["image"].append(aligned_depth_metrics(disparity, true_disparity, np.ones_like(true_person)))
    return {name: {region: np.mean(values, 0).tolist() for region, values in regions.items()}
            for name, regions in scores.items()}, len(metas)


def middlebury_motorcycle(methods):
    from skimage.data import stereo_motorcycle

    left, _, disparity = stereo_motorcycle()
    valid = np.isfinite(disparity) & (disparity > 0)
    mask = person_mask(left)
    return {name: aligned_depth_metrics(method(left, mask), disparity, valid) for name, method in methods.items()}


def load_portrait(name):
    import matplotlib.cbook
    from PIL import Image
    from skimage import data

    if name == "astronaut":
        return data.astronaut()
    if name == "camera":
        return np.repeat(data.camera()[..., None], 3, axis=2)
    if name == "grace_hopper":
        return np.array(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))
    raise ValueError(name)


def ordinal_whdr(pairs_path, methods):
    """WHDR per method over all pairs and per kind of pair; the prediction must be strictly ordered."""
    pairs = json.loads(Path(pairs_path).read_text())["pairs"]
    wrong = {name: {} for name in methods}
    for image_name in sorted({p["image"] for p in pairs}):
        rgb = load_portrait(image_name)
        mask = person_mask(rgb)
        for name, method in methods.items():
            disparity = method(rgb, mask)
            for pair in (p for p in pairs if p["image"] == image_name):
                (nx, ny), (fx, fy) = pair["near"], pair["far"]
                is_wrong = not disparity[ny, nx] > disparity[fy, fx]
                for key in ("all", pair["kind"]):
                    wrong[name].setdefault(key, []).append(is_wrong)
    return {name: {key: float(np.mean(v)) for key, v in kinds.items()} for name, kinds in wrong.items()}, len(pairs)


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
    parser.add_argument("--limit", type=int, default=1000, help="at most this many synthetic test renders")
    parser.add_argument("--json", type=Path, help="also save the numbers here")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    methods = {"plane": plane_disparity, "inflation": inflation_disparity, "model": make_model_disparity(args.weights)}
    synthetic, n_renders = synthetic_split(args.test_data, methods, args.limit)
    motorcycle = middlebury_motorcycle(methods)
    whdr, n_pairs = ordinal_whdr(args.pairs, methods)
    milliseconds = inference_milliseconds(args.weights)

    rows = [
        (f"synthetic test, person ({n_renders} renders): AbsRel ↓", [synthetic[m]["person"][0] for m in METHODS]),
        ("synthetic test, person: δ1 ↑", [synthetic[m]["person"][1] for m in METHODS]),
        ("synthetic test, whole image: AbsRel ↓", [synthetic[m]["image"][0] for m in METHODS]),
        ("synthetic test, whole image: δ1 ↑", [synthetic[m]["image"][1] for m in METHODS]),
        ("Middlebury motorcycle: AbsRel ↓", [motorcycle[m][0] for m in METHODS]),
        ("Middlebury motorcycle: δ1 ↑", [motorcycle[m][1] for m in METHODS]),
        (f"real portraits, ordinal ({n_pairs} pairs): WHDR ↓", [whdr[m]["all"] for m in METHODS]),
    ]
    for kind in sorted(k for k in whdr["model"] if k != "all"):
        rows.append((f"  WHDR, {kind.replace('_', ' ')} pairs ↓", [whdr[m][kind] for m in METHODS]))
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
            "motorcycle": motorcycle, "whdr": whdr, "pairs": n_pairs, "inference_ms": milliseconds,
            "weights_mb": weights_mb, "table": "\n".join(lines)}, indent=1))


if __name__ == "__main__":
    main()
