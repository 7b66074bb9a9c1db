"""Score weights on the synthetic validation renders only: what picks a checkpoint or a constant.

Real photos never pick anything (they are for reporting, once per shipped model: evaluate.py). Validation
renders are seeds the training run never reads (`datagen.py --start-seed`, outside the training seeds) and
below the test split's 1,000,000.

    .venv/bin/python models/validate.py --weights models/portrait_depth.pt models/runs/mh/step*.pt \\
        --data models/data/val models/data/val_makehuman
"""

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from models.evaluate import make_network_methods, synthetic_split  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, nargs="+", required=True)
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="folders of validation renders")
    args = parser.parse_args()
    for folder in args.data:
        if not any(folder.glob("*_meta.json")):
            parser.error(f"{folder} holds no renders (*_meta.json): make them with datagen.py, see models/README.md")
    import torch

    torch.set_num_threads(1)
    print("| weights | " + " | ".join(f"{folder.name}: {m} person AbsRel, image AbsRel, heads WHDR"
                                       for folder in args.data for m in ("model", "shipped")) + " |")
    # All weights in one pass over each folder, so MediaPipe analyses every render once, not once per weights
    methods = {(weights, kind): method for weights in args.weights
               for kind, method in make_network_methods(weights).items()}
    splits = [synthetic_split(folder, methods, 1000, first_seed=0) for folder in args.data]
    for weights in args.weights:
        cells = []
        for scores, _, n_heads in splits:
            for kind in ("model", "shipped"):
                score = scores[weights, kind]
                heads = f"{score['heads']:.3f}" if n_heads else "-"
                cells.append(f"{score['person'][0]:.4f}, {score['image'][0]:.3f}, {heads}")
        print(f"| {weights} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
