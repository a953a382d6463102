"""What the measurements cost next to the training they measure: examples/keskar-digits.toml in a fresh store.

    python -m benchmarks.measurements [--spec examples/keskar-digits.toml] [--write]

Prints one row per run (training time, each estimator's time, measurement share) and the study totals;
--write puts the table into BENCHMARKS.md between the ``measure`` markers.
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.sections import write_section
from studies import StudySpec, run_study

ESTIMATORS = ["sharpness_eps", "sharpness_rand", "sharpness_sam", "hessian", "noise_scale", "noise_scale_init"]


def table(runs) -> str:
    cols = ["batch_size", "seed", "epochs", "train_s"] + [f"{e}_s" for e in ESTIMATORS] + ["measure_s", "share"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in runs.sort_values(["batch_size", "seed"]).itertuples():
        d = r._asdict()
        train = d["total_time_s"]
        cells = [d["batch_size"], d["seed"], d["epochs"], f"{train:.2f}"]
        cells += [f"{d.get(f'{e}_time_s', float('nan')):.3f}" for e in ESTIMATORS]
        m = d["measure_time_s"]
        cells += [f"{m:.2f}", f"{m / (m + train):.0%}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--spec", default="examples/keskar-digits.toml")
    p.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = p.parse_args()
    spec = StudySpec.from_toml(Path(args.spec))
    with tempfile.TemporaryDirectory() as store:
        t0 = time.perf_counter()
        runs, _ = run_study(spec, store)
        wall = time.perf_counter() - t0
    train, measure = runs.total_time_s.sum(), runs.measure_time_s.sum()
    per_run = runs.measure_time_s.median()
    text = "\n".join([
        f"## Measurement cost ({spec.name})", "",
        f"`python -m benchmarks.measurements --spec {args.spec} --write` — {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}.", "",
        "Training time (`train_s`, evaluation passes included) and each estimator's time per run, in seconds; "
        "`share` = measurement / (measurement + training).", "",
        table(runs), "",
        f"Study: {wall:.1f} s wall; training {train:.1f} s, measurements {measure:.1f} s "
        f"({measure / (train + measure):.0%} of the two); median measurement time per run {per_run:.2f} s.",
    ])
    print(text)
    if args.write:
        write_section("BENCHMARKS.md", "measure", text)   # only its own section; benchmarks/training.py keeps its own


if __name__ == "__main__":
    main()
