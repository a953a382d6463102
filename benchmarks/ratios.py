"""Whole-process ratios (measurements' share, sweep cost), repeated, because one pair of runs on a shared 2-core machine moves by
±15 %: (1) the share of a Keskar-style study that its default measurements cost, against the same study
with every measurement off; (2) a sweep of 4 learning rates × 8 seeds against 1 learning rate × 8 seeds.
The same studies as the acceptance check 11-perf; each run is `python -m studies run` on a fresh store.

    python -m benchmarks.ratios [--reps 5] [--write]

--write puts the table into BENCHMARKS.md between the ``ratios`` markers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sections import write_section  # noqa: E402

OFF = """[measure]
sharpness_eps = []
sharpness_random = false
sharpness_sam = false
hessian = false
landscape = false
noise_scale = false
"""
KESKAR = """name = "ratio-keskar"
dataset = "digits"
model = "mlp"
hidden = [256, 256]
batch_sizes = [32, "full"]
optimizers = ["momentum"]
shuffle = [true]
seeds = [0, 1]
epochs = 3000
target_train_acc = 1.0
[lr]
momentum = 0.05
"""
SWEEP = """name = "ratio-sweep"
dataset = "digits"
model = "mlp"
hidden = [256, 256]
batch_sizes = [4]
optimizers = ["momentum"]
shuffle = [true]
seeds = [0, 1, 2, 3, 4, 5, 6, 7]
epochs = 3
[lr]
momentum = {lr}
"""


def wall(spec_text: str, tmp: Path, name: str) -> float:
    """Seconds of one whole `python -m studies run` process on a fresh store."""
    spec, store = tmp / f"{name}.toml", tmp / f"store-{name}"
    spec.write_text(spec_text)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studies", "run", str(spec), "--store", str(store), "--quiet"],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    rows, shares, sweeps = [], [], []
    for rep in range(1, args.reps + 1):
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            base = wall(KESKAR + OFF, tmp, f"base{rep}")
            measured = wall(KESKAR, tmp, f"measured{rep}")
            one = wall(SWEEP.format(lr="0.01") + OFF, tmp, f"one{rep}")
            four = wall(SWEEP.format(lr="[0.003, 0.01, 0.03, 0.1]") + OFF, tmp, f"four{rep}")
        share, ratio = (measured - base) / measured, four / one
        shares.append(share)
        sweeps.append(ratio)
        rows.append(f"| {rep} | {base:.2f} | {measured:.2f} | {100 * share:.0f} % | {one:.2f} | {four:.2f} | "
                    f"{ratio:.2f}× |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "## Whole-process ratios, repeated", "",
        f"`python -m benchmarks.ratios --reps {args.reps}{' --write' if args.write else ''}` — "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.1f}. The studies of the check "
        "11-perf: a Keskar-style digits study (MLP 256-256, momentum, B 32 and full, 2 seeds, to 100 % train "
        "accuracy) with the default [measure] against every measurement off; 4 lrs × 8 seeds at B = 4 against "
        "1 lr × 8 seeds (3 epochs). Goals: share ≤ 25 %, sweep ≤ 2×.", "",
        "| rep | unmeasured s | measured s | measurements' share | 1 lr s | 4 lrs s | 4 lrs / 1 lr |",
        "|---|---|---|---|---|---|---|", *rows, "",
        f"Median share {100 * statistics.median(shares):.0f} % (worst {100 * max(shares):.0f} %); median sweep "
        f"ratio {statistics.median(sweeps):.2f}× (worst {max(sweeps):.2f}×)."])
    print(text)
    if args.write:
        write_section(ROOT / "BENCHMARKS.md", "ratios", text)


if __name__ == "__main__":
    main()
