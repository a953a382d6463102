"""What the critical-point measurements cost next to training: a study (digits, MLP 64-32-10,
2,410 weights, momentum lr 0.05, B = 16 vs full batch, seeds 0 and 1, to 100 % train accuracy, spectrum on).

    python -m benchmarks.precision [--write]

Per run: training time (the probes included, as they run inside training), the noise-scale probes' share of
it, and each new estimator's time; --write puts the table into BENCHMARKS.md between the ``precision``
markers (benchmarks/training.py and benchmarks/measurements.py keep their own sections).
"""
from __future__ import annotations

import argparse
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from studies import StudySpec, run_study  # noqa: E402

SPEC = """
name = "precision-bench"
dataset = "digits"
hidden = [32]
batch_sizes = [16, "full"]
optimizers = ["momentum"]
shuffle = [true]
seeds = [0, 1]
epochs = 600
target_train_acc = 1.0
[lr]
momentum = 0.05
[measure]
sharpness_eps = [1e-3]
landscape = false
spectrum = true
"""
COLS = ["sharpness_rand", "noise_scale", "hessian", "spectrum"]
START, END = "<!-- precision:start -->", "<!-- precision:end -->"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = p.parse_args()
    spec = StudySpec.from_toml_text(SPEC)
    with tempfile.TemporaryDirectory() as store:
        t0 = time.perf_counter()
        runs, epochs = run_study(spec, store)
        wall = time.perf_counter() - t0
    probes = epochs.groupby("run_id").agg(points=("noise_scale", lambda s: int(s.notna().sum())),
                                          probe_s=("noise_scale_time_s", "sum"))
    runs = runs.merge(probes, on="run_id")
    head = ["batch_size", "seed", "epochs", "train_s", "probes", "probe_s"] + [f"{c}_s" for c in COLS] + ["measure_s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in runs.sort_values(["batch_size", "seed"]).to_dict("records"):
        cells = [r["batch_size"], r["seed"], r["epochs"], f"{r['total_time_s']:.2f}", r["points"],
                 f"{r['probe_s']:.2f}"] + [f"{r.get(f'{c}_time_s', float('nan')):.2f}" for c in COLS] \
            + [f"{r['measure_time_s']:.2f}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    text = "\n".join([
        "## Cost of the critical-point measurements", "",
        f"`python -m benchmarks.precision --write` — {platform.machine()}, torch {torch.__version__}, "
        f"{time.strftime('%Y-%m-%d')}; the study of the issue's \"Done when\" (digits, 2,410 weights, B = 16 vs "
        "full batch, seeds 0 and 1, spectrum on). The machine was shared with other jobs, so absolute times are "
        "inflated; compare columns within a row.", "",
        "`train_s`: the run's training wall time, the noise-scale probes included (`probes` points, `probe_s` "
        "seconds in all); `sharpness_rand_s`: antithetic random sharpness (20 loss evaluations); `noise_scale_s`: "
        "B_simple at the final weights (64 small-batch gradients in one batched pass, and the exact full "
        "gradient); `hessian_s`: λ_max and λ_min by one Lanczos run, the exact trace and the gradient norm; "
        "`spectrum_s`: the dense Hessian (2,410 HVPs, vmapped) and its eigenvalues; `measure_s`: all "
        "measurements of the run (ε-sharpness and SAM included).", "",
        *lines, "",
        f"Study: {wall:.1f} s wall; training {runs.total_time_s.sum():.1f} s (probes {runs.probe_s.sum():.1f} s "
        f"of it), measurements {runs.measure_time_s.sum():.1f} s. The first probe in a worker process pays "
        "torch.func's first-call set-up (vmap of grad: seconds on a loaded 2-core machine), so `probe_s` varies "
        "between runs trained in different processes.",
    ])
    print(text)
    if args.write:
        path = ROOT / "BENCHMARKS.md"
        old = path.read_text()
        block = f"{START}\n{text}\n{END}"
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, old, flags=re.S) \
            if START in old else old.rstrip() + "\n\n" + block + "\n"
        path.write_text(new)


if __name__ == "__main__":
    main()
