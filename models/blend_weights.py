"""Blend two checkpoints of the same network: (1 - alpha) × the first + alpha × the second, weight by weight.

A fine-tune fits its new data better and can lose what the weights it started from did well. When both
checkpoints descend from the same run, every point on the straight line between their weights is a working
network, and the points in between often hold up better on data unlike either's training data than both ends
(Wortsman et al., "Robust fine-tuning of zero-shot models", 2022). For part of one session the shipped weights
were such a point, the MakeHuman fine-tune (models/finetune_mh_step4271.pt) blended with the weights it started
from (models/pretrained_step3370.pt), and the next fine-tuning was weighed against its blends with
step 3370; models/README.md section 4 has the record of both picks.

    .venv/bin/python models/blend_weights.py models/pretrained_step3370.pt models/finetune_mh_step4271.pt \\
        --alpha 0.75 --out /tmp/blend.pt

BatchNorm's running statistics are blended like the weights; integer buffers (the batch counters) are the
second checkpoint's. Needs torch (development only).
"""

import argparse
import sys
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from models.unet import load_checkpoint, read_checkpoint  # noqa: E402


def blend(first, second, alpha):
    """The checkpoint dict (1 - alpha) × `first` + alpha × `second`; both must be the same network."""
    if (first["widths"], first["input_channels"]) != (second["widths"], second["input_channels"]):
        raise ValueError("the two checkpoints are different networks (widths or input channels differ)")
    weights_a, weights_b = first["state_dict"], second["state_dict"]
    if weights_a.keys() != weights_b.keys():
        raise ValueError("the two checkpoints hold different layers")
    blended = {name: torch.lerp(weights_a[name], value, alpha) if value.is_floating_point() else value
               for name, value in weights_b.items()}
    return {**second, "state_dict": blended}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--alpha", type=float, required=True, help="share of the second checkpoint, 0 to 1")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not 0.0 <= args.alpha <= 1.0:
        parser.error("--alpha must lie between 0 and 1")
    try:
        first, second = read_checkpoint(args.first), read_checkpoint(args.second)
    except ValueError as error:
        parser.error(str(error))
    torch.save(blend(first, second, args.alpha), args.out)
    load_checkpoint(args.out)  # it loads as the network it claims to be
    print(f"{args.out}: {1 - args.alpha:.2f} × {args.first.name} + {args.alpha:.2f} × {args.second.name}")


if __name__ == "__main__":
    main()
