"""Train the portrait depth U-Net on the synthetic renders of models/datagen.py.

Loss, at every decoder scale (deep supervision, targets area-downsampled): the prediction is aligned to the
target disparity by per-image least squares (scale and shift, as MiDaS), then penalised by the L1 residual
and by multi-scale gradient matching of the residual. The alignment is done twice: over the whole image and
over the person alone, because the product cares most about the person's own relief.

Inputs are augmented the way real photos differ from the renders: colour, white balance, grayscale, blur,
depth-dependent background blur (portrait mode), noise, JPEG artefacts, flips, crops of any aspect letterboxed with zeros exactly as at inference, and a
person mask damaged the way MediaPipe's masks are (shifted edges, softness, holes, extra blobs, none at all).

    .venv/bin/python models/train.py --data models/data/train --run first --minutes 40 --threads 1
    .venv/bin/python models/train.py --data models/data/train --run first --minutes 60 --resume

Checkpoints go to models/runs/<run>/last.pt (resumable); every checkpoint also writes its weights in the
shipped format to models/runs/<run>/stepN.pt. Copy the one validation picks to models/portrait_depth.pt, then
run models/export_onnx.py: the add-on runs the ONNX export, not the .pt.
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.nn import functional as F

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from models.unet import ENCODER_WIDTHS, INPUT_CHANNELS, WEIGHTS_FORMAT, PortraitDepthUNet, load_checkpoint  # noqa: E402
from portrait3d_blender.core.depth import NETWORK_SIZE_PORTRAIT, letterbox  # noqa: E402
from portrait3d_blender.core.segment import person_mask  # noqa: E402

TEST_SEED_START = 1_000_000  # same boundary as datagen.py: these seeds are never trained on
SCALE_WEIGHTS = (0.1, 0.2, 0.3, 0.5, 1.0)  # loss weight per decoder scale, coarsest first
GRADIENT_WEIGHT = 0.5
PERSON_WEIGHT = 1.0


# ----------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------

class RenderCache:
    """All training renders in memory (≈250 kB each); re-scans the folders so a growing dataset is picked up.

    Each render also gets MediaPipe's own person mask, computed once: at inference the network sees
    MediaPipe's mistakes, so training shows it those as well as synthetic damage. Renders are keyed by their
    path, so folders may reuse seeds (procedural and MakeHuman people are different scenes)."""

    def __init__(self, folders):
        self.folders = [Path(folder) for folder in folders]
        self.samples = {}

    def refresh(self):
        for meta_path in sorted(p for folder in self.folders for p in folder.glob("*_meta.json")):
            stem = str(meta_path)[: -len("_meta.json")]
            if stem in self.samples or int(meta_path.name.split("_")[0]) >= TEST_SEED_START:
                continue
            rgb = cv2.cvtColor(cv2.imread(stem + "_rgb.png"), cv2.COLOR_BGR2RGB)
            mask = cv2.imread(stem + "_mask.png", cv2.IMREAD_GRAYSCALE)
            depth = np.load(stem + "_depth.npy")
            segmented = (person_mask(rgb) * 255).astype(np.uint8)
            self.samples[stem] = (rgb, mask, depth, segmented)
        return len(self.samples)


def augment_colour(rgb, rng):
    """Photometric changes between renders and phone photos; rgb float32 [0,1] H×W×3."""
    if rng.uniform() < 0.8:
        rgb = rgb * rng.uniform(0.8, 1.2, 3)  # white balance
        rgb = (rgb - 0.5) * rng.uniform(0.7, 1.3) + 0.5 + rng.uniform(-0.15, 0.15)  # contrast, brightness
        grey = rgb.mean(2, keepdims=True)
        rgb = grey + (rgb - grey) * rng.uniform(0.5, 1.4)  # saturation
        rgb = np.clip(rgb, 0, 1) ** rng.uniform(0.7, 1.4)  # gamma
    if rng.uniform() < 0.12:
        rgb = np.repeat(rgb.mean(2, keepdims=True), 3, axis=2)
    if rng.uniform() < 0.3:
        rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.3, 1.5))
    if rng.uniform() < 0.4:
        rgb = rgb + rng.normal(0, rng.uniform(0.005, 0.04), rgb.shape).astype(np.float32)
    rgb = np.clip(rgb, 0, 1)
    if rng.uniform() < 0.4:
        ok, encoded = cv2.imencode(".jpg", (rgb * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 90))])
        rgb = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255
    return rgb.astype(np.float32)


def fake_bokeh(rgb, disparity, mask, rng):
    """Blur what is far from the subject's depth, as portrait-mode and large-aperture photos do."""
    focus = np.median(disparity[mask > 0.5]) if mask.sum() > 50 else disparity.max()
    defocus = np.abs(disparity - focus) / max(focus, 1e-6)
    blurred = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(1.5, 5))
    weight = np.clip(defocus * rng.uniform(2, 6), 0, 1)[..., None]
    return (rgb * (1 - weight) + blurred * weight).astype(np.float32)


def corrupt_mask(mask, rng):
    """Imitate MediaPipe selfie segmentation: shifted and soft edges, missed parts, extra blobs, or nothing."""
    if rng.uniform() < 0.05:
        return np.zeros_like(mask)
    h, w = mask.shape
    mask = mask.copy()
    size = int(rng.integers(1, 9))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    choice = rng.uniform()
    if choice < 0.35:
        mask = cv2.dilate(mask, kernel)
    elif choice < 0.7:
        mask = cv2.erode(mask, kernel)
    for _ in range(rng.poisson(0.6)):  # a missed hand or hair strand, or an included chair
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(4, w // 4)), int(rng.integers(4, h // 4)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform() < 0.5), -1)
    if rng.uniform() < 0.7:
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.5, 4))
    if rng.uniform() < 0.3:  # low-resolution segmentation upsampled, as MediaPipe's 256×256 output is
        small = cv2.resize(mask, (max(8, w // 4), max(8, h // 4)), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(mask * rng.uniform(0.8, 1.0), 0, 1).astype(np.float32)


def random_crop(arrays, rng, portrait):
    """Crop a window of random size and aspect in the batch's orientation (the network input is chosen by
    the photo's orientation, so a portrait photo's aspect is between 1:2 and 1:1)."""
    h, w = arrays[0].shape[:2]
    aspect = rng.uniform(0.5, 1.0) if portrait else rng.uniform(1.0, 2.0)  # width / height
    area = rng.uniform(0.35, 1.0) * h * w
    crop_w = int(min(w, math.sqrt(area * aspect)))
    crop_h = int(min(h, crop_w / aspect))
    crop_w = int(min(w, crop_h * aspect))
    top, left = int(rng.integers(0, h - crop_h + 1)), int(rng.integers(0, w - crop_w + 1))
    return [a[top:top + crop_h, left:left + crop_w] for a in arrays]


def make_example(sample, rng, portrait):
    """One augmented (input 4×H×W, disparity, valid, person) example letterboxed to the network size."""
    rgb, mask, depth, segmented = sample
    arrays = [rgb.astype(np.float32) / 255, (mask > 127).astype(np.float32),
              1.0 / np.maximum(depth.astype(np.float32), 1e-3), segmented.astype(np.float32) / 255]
    if rng.uniform() < 0.85:
        arrays = random_crop(arrays, rng, portrait)
    if rng.uniform() < 0.5:
        arrays = [a[:, ::-1] for a in arrays]
    rgb, mask, disparity, segmented = (np.ascontiguousarray(a) for a in arrays)
    size = NETWORK_SIZE_PORTRAIT if portrait else NETWORK_SIZE_PORTRAIT[::-1]
    if rng.uniform() < 0.5:
        noisy_mask = segmented if rng.uniform() < 0.7 else corrupt_mask(segmented, rng)
    else:
        noisy_mask = corrupt_mask(mask, rng)
    if rng.uniform() < 0.2:
        rgb = fake_bokeh(rgb, disparity, mask, rng)
    rgb = augment_colour(rgb, rng)
    rgb_boxed, _ = letterbox(rgb, size)
    noisy_boxed, _ = letterbox(noisy_mask, size)
    disparity_boxed, _ = letterbox(disparity, size)
    person_boxed, _ = letterbox(mask, size)
    valid_boxed, _ = letterbox(np.ones_like(mask), size)
    network_input = np.concatenate([rgb_boxed, noisy_boxed[..., None]], 2).transpose(2, 0, 1)
    return network_input, disparity_boxed, valid_boxed > 0.999, person_boxed > 0.5


def make_batch(cache, stems, rng, batch_size):
    portrait = rng.uniform() < 0.75
    chosen = rng.choice(len(stems), batch_size)
    examples = [make_example(cache.samples[stems[k]], rng, portrait) for k in chosen]
    return [torch.from_numpy(np.stack(parts)).float() for parts in zip(*examples)]


# ----------------------------------------------------------------------------------------------------------
# Loss
# ----------------------------------------------------------------------------------------------------------

def align_scale_shift(prediction, target, weight):
    """Per-image least-squares scale and shift mapping prediction onto target over weighted pixels.

    Returns the aligned prediction and the scales (one per image)."""
    dims = (1, 2, 3)
    n = weight.sum(dims).clamp_min(1e-6)
    sum_p, sum_t = (weight * prediction).sum(dims), (weight * target).sum(dims)
    sum_pp, sum_pt = (weight * prediction * prediction).sum(dims), (weight * prediction * target).sum(dims)
    det = n * sum_pp - sum_p * sum_p
    scale = (n * sum_pt - sum_p * sum_t) / det.clamp_min(1e-6)
    shift = (sum_t - scale * sum_p) / n
    return scale.view(-1, 1, 1, 1) * prediction + shift.view(-1, 1, 1, 1), scale


def normalise(values, weight):
    """Zero mean, unit mean-absolute-deviation over the weighted pixels, so every image counts alike."""
    dims = (1, 2, 3)
    n = weight.sum(dims, keepdim=True).clamp_min(1e-6)
    mean = (weight * values).sum(dims, keepdim=True) / n
    spread = (weight * (values - mean).abs()).sum(dims, keepdim=True) / n
    return (values - mean) / spread.clamp_min(1e-6)


def ssi_loss(prediction, target, weight):
    """Scale-and-shift-invariant L1 plus gradient matching on the aligned residual, averaged over images
    that have pixels in `weight`.

    Least squares would happily align an upside-down prediction with a negative scale, but the product
    reads the raw output as "larger = nearer"; so both maps are normalised first and a negative scale
    is penalised."""
    has_pixels = (weight.sum((1, 2, 3)) > 16).float()
    if has_pixels.sum() == 0:
        return prediction.sum() * 0
    target = normalise(target, weight)
    aligned, scale = align_scale_shift(normalise(prediction, weight), target, weight)
    residual = (aligned - target) * weight
    n = weight.sum((1, 2, 3)).clamp_min(1)
    l1 = residual.abs().sum((1, 2, 3)) / n
    gradient = torch.zeros_like(l1)
    for step in (1, 2, 4):  # gradient matching at several spacings of the same map
        r, w = residual[..., ::step, ::step], weight[..., ::step, ::step]
        gx = (r[..., :, 1:] - r[..., :, :-1]).abs() * w[..., :, 1:] * w[..., :, :-1]
        gy = (r[..., 1:, :] - r[..., :-1, :]).abs() * w[..., 1:, :] * w[..., :-1, :]
        gradient = gradient + (gx.sum((1, 2, 3)) + gy.sum((1, 2, 3))) / w.sum((1, 2, 3)).clamp_min(1)
    per_image = l1 + GRADIENT_WEIGHT * gradient + F.relu(-scale)
    return (per_image * has_pixels).sum() / has_pixels.sum()


def downsample_target(disparity, valid, person, size):
    """Area-average the valid disparity to a decoder scale; a pixel stays valid if all its sources were."""
    valid_f = valid.float()
    pooled_valid = F.adaptive_avg_pool2d(valid_f, size)
    pooled = F.adaptive_avg_pool2d(disparity * valid_f, size) / pooled_valid.clamp_min(1e-6)
    pooled_person = F.adaptive_avg_pool2d(person.float(), size)
    valid_small = (pooled_valid > 0.999).float()
    return pooled, valid_small, valid_small * (pooled_person > 0.5).float()


def deep_supervision_loss(predictions, disparity, valid, person):
    disparity, valid, person = disparity.unsqueeze(1), valid.unsqueeze(1), person.unsqueeze(1)
    total = 0.0
    for weight, prediction in zip(SCALE_WEIGHTS[-len(predictions):], predictions):
        target, valid_small, person_small = downsample_target(disparity, valid, person, prediction.shape[-2:])
        total = total + weight * (ssi_loss(prediction, target, valid_small)
                                  + PERSON_WEIGHT * ssi_loss(prediction, target, person_small))
    return total


# ----------------------------------------------------------------------------------------------------------
# Checkpoints and export
# ----------------------------------------------------------------------------------------------------------

def export_weights(model, widths, path):
    """Write the weights file (the format models/unet.py::load_checkpoint and export_onnx.py read) atomically."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    torch.save({"format": WEIGHTS_FORMAT, "widths": list(widths), "input_channels": INPUT_CHANNELS,
                "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}, temporary)
    os.replace(temporary, path)


def save_checkpoint(path, model, optimizer, state):
    temporary = Path(str(path) + ".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, temporary)
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, nargs="+", default=[REPO_ROOT / "models/data/train"],
                        help="one or more folders of renders (datagen.py); all are drawn from alike")
    parser.add_argument("--run", default="main")
    parser.add_argument("--minutes", type=float, required=True, help="wall-clock training budget of this call")
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--total-steps", type=int, default=20000, help="length of the cosine learning-rate schedule")
    parser.add_argument("--threads", type=int, default=1, help="1 while datagen runs, 2 once it has stopped")
    parser.add_argument("--checkpoint-minutes", type=float, default=5)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--init", type=Path, help="start from these weights (models/portrait_depth.pt's format) "
                        "instead of random ones: a fine-tuning run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    run_dir = REPO_ROOT / "models/runs" / args.run
    run_dir.mkdir(parents=True, exist_ok=True)
    model = PortraitDepthUNet(ENCODER_WIDTHS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    state = {"step": 0, "images_seen": 0, "seconds": 0.0, "history": []}
    if args.resume and (run_dir / "last.pt").exists():
        checkpoint = torch.load(run_dir / "last.pt", weights_only=False)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        state = checkpoint["state"]
        print(f"resumed at step {state['step']}", flush=True)
    elif args.init:
        model.load_state_dict(load_checkpoint(args.init).state_dict())
        print(f"started from {args.init}", flush=True)
    rng = np.random.default_rng(args.seed + state["step"])
    cache = RenderCache(args.data)

    start = last_checkpoint = last_refresh = time.time()
    while not cache.refresh():  # a run may start before data generation has written its first render
        time.sleep(30)
    stems = sorted(cache.samples)
    running = []
    model.train()
    while time.time() - start < args.minutes * 60:
        if time.time() - last_refresh > 120:
            cache.refresh()
            stems = sorted(cache.samples)
            last_refresh = time.time()
        progress = min(1.0, state["step"] / args.total_steps)
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))) * min(1.0, (state["step"] + 1) / 200)
        for group in optimizer.param_groups:
            group["lr"] = lr
        network_input, disparity, valid, person = make_batch(cache, stems, rng, args.batch_size)
        loss = deep_supervision_loss(model(network_input), disparity, valid, person)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        state["step"] += 1
        state["images_seen"] += args.batch_size
        running.append(loss.item())
        if state["step"] % 50 == 0:
            elapsed = state["seconds"] + time.time() - start
            print(f"step {state['step']}  loss {np.mean(running):.4f}  lr {lr:.2e}  renders {len(stems)}  "
                  f"images {state['images_seen']}  {elapsed / 60:.1f} min", flush=True)
            state["history"].append({"step": state["step"], "loss": float(np.mean(running)), "renders": len(stems)})
            running = []
        if time.time() - last_checkpoint > args.checkpoint_minutes * 60:
            write_outputs(run_dir, model, optimizer, state, start, len(stems))
            last_checkpoint = time.time()
    write_outputs(run_dir, model, optimizer, state, start, len(stems))


def write_outputs(run_dir, model, optimizer, state, start, n_renders):
    snapshot = dict(state, seconds=state["seconds"] + time.time() - start, renders=n_renders)
    save_checkpoint(run_dir / "last.pt", model, optimizer, snapshot)
    export_weights(model, ENCODER_WIDTHS, run_dir / f"step{state['step']}.pt")  # 1.8 MB: kept to pick from on validation
    (run_dir / "record.json").write_text(json.dumps({k: v for k, v in snapshot.items() if k != "history"}, indent=1))
    print(f"checkpoint at step {state['step']} ({n_renders} renders)", flush=True)


if __name__ == "__main__":
    main()
