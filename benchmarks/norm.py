"""Batch norm on vs off in the stacked engine: µs per run-step of models.py's MLP 256-256 on digits.

    python -m benchmarks.norm [--write]       # about two minutes on a 2-core CPU; --write: section "norm" of BENCHMARKS.md

For each optimizer and batch size, the same run (seed 0) with norm = "none", "batch" and "ghost" (ghost_batch 16)
trained by the stacked engine alone (K = 1) and as a stack of 8 seeds (µs per run-step), and the batch-norm run
by the plain loop (autograd through GhostBatchNorm, torch.optim), one thread, the timing pass's harness (warm-up,
measurements sized to the budget, in alternation, medians).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import torch

from benchmarks.sections import write_section
from benchmarks.training import BUDGET_S, REPEATS, Wall, run_for
from studies.engine.data import load_dataset
from studies.engine.models import run_model
from studies.engine.stacked import StackedTrainer
from studies.execution.timing import PlainTrainer, race

CPU = torch.device("cpu")
NORMS = {"none": {}, "batch": {"norm": "batch"}, "ghost": {"norm": "ghost", "ghost_batch": 16}}
SEEDS = 8


def bench(batch_sizes=(4, 32, 256, 1437), optimizers=("momentum", "adam"), budget_s=BUDGET_S, repeats=REPEATS):
    data, rows = load_dataset("digits"), []
    torch.set_num_threads(1)
    for opt in optimizers:
        for b in batch_sizes:
            runs = {n: [dataclasses.replace(run_for(data, b, opt, seed=s), **kw) for s in range(SEEDS)]
                    for n, kw in NORMS.items()}
            entries = {}
            for n, rs in runs.items():
                if n == "ghost" and b <= 16:
                    continue   # a batch no larger than the ghost batch is plain batch norm
                entries[f"{n}@1"] = (Wall(StackedTrainer(rs[:1], data, CPU)), 1, 1)
                entries[f"{n}@{SEEDS}"] = (Wall(StackedTrainer(rs, data, CPU)), 1, SEEDS)
            entries["plain batch"] = (Wall(PlainTrainer(runs["batch"][0], data, CPU,
                                                        run_model(runs["batch"][0], data))), 1, 1)
            got = {k: v[0] * 1e6 for k, v in race(entries, budget_s, repeats).items()}
            rows.append({"optimizer": opt, "batch": b, **got})
            print(f"  {opt} B={b}: " + ", ".join(f"{k} {v:.0f}us" for k, v in got.items()), flush=True)
    return rows


def markdown(rows, command: str, minutes: float) -> str:
    cols = ["opt", "B", "none", "batch", "ghost 16", "batch/none", "ghost/none", f"none, {SEEDS} seeds",
            f"batch, {SEEDS} seeds", f"ghost, {SEEDS} seeds", f"batch/none, {SEEDS} seeds", "plain loop, batch",
            "plain/engine, batch"]
    fmt = lambda v: "–" if v is None else f"{v:.0f}"  # noqa: E731
    ratio = lambda a, b: "–" if a is None or b is None else f"{a / b:.2f}×"  # noqa: E731
    lines = []
    for r in rows:
        g = lambda k: r.get(k)  # noqa: E731
        lines.append([r["optimizer"], str(r["batch"]), fmt(g("none@1")), fmt(g("batch@1")), fmt(g("ghost@1")),
                      ratio(g("batch@1"), g("none@1")), ratio(g("ghost@1"), g("none@1")), fmt(g(f"none@{SEEDS}")),
                      fmt(g(f"batch@{SEEDS}")), fmt(g(f"ghost@{SEEDS}")), ratio(g(f"batch@{SEEDS}"), g(f"none@{SEEDS}")),
                      fmt(g("plain batch")), ratio(g("plain batch"), g("batch@1"))])
    def span(a: str, b: str) -> str:
        vals = [r[a] / r[b] for r in rows if r.get(a) and r.get(b)]
        return f"{min(vals):.2f}–{max(vals):.2f}×" if vals else "–"
    summary = (f"Batch norm costs {span('batch@1', 'none@1')} the step without it alone and "
               f"{span(f'batch@{SEEDS}', f'none@{SEEDS}')} in a stack of {SEEDS} (ghost: {span('ghost@1', 'none@1')} "
               f"and {span(f'ghost@{SEEDS}', f'none@{SEEDS}')}): digits' matmuls are small, so the norm's element-wise "
               f"passes weigh. With batch norm the engine is {span('plain batch', 'batch@1')} as fast as the plain "
               "loop alone. A shared 2-core machine moves single figures by up to ±30 %.")
    return "\n".join([
        "## Batch norm on vs off: the stacked engine (digits, MLP 256-256), µs per run-step",
        "", f"`{command}` — {time.strftime('%Y-%m-%d %H:%M')} ({minutes:.1f} min), torch {torch.__version__}, one "
        f"thread, load average {os.getloadavg()[0]:.1f}. The same runs with norm = none, batch and ghost "
        f"(ghost_batch = 16; at B ≤ 16 it is batch norm) in the stacked engine alone and as a stack of {SEEDS} "
        "seeds (per run-step), and the batch-norm run in the plain loop (autograd through GhostBatchNorm). "
        "Medians of the timing pass's harness.", "",
        "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols), *("| " + " | ".join(x) + " |" for x in lines),
        "", summary])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--write", action="store_true")
    p.add_argument("--small", action="store_true", help="two batch sizes, short budgets: a quick look")
    p.add_argument("--repeats", type=int, default=REPEATS, help="timed repeats of each loop, in alternation")
    p.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of one timed repeat")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    kw = dict(batch_sizes=(4, 256), optimizers=("momentum",), budget_s=0.05, repeats=1) if args.small else \
        dict(budget_s=args.budget, repeats=args.repeats)
    rows = bench(**kw)
    command = " ".join(["python -m benchmarks.norm", *(argv if argv is not None else sys.argv[1:])])
    text = markdown(rows, command, (time.perf_counter() - t0) / 60)
    print(text)
    if args.write:
        write_section("BENCHMARKS.md", "norm", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
