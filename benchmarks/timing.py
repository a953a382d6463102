"""The timing pass's cost and steadiness: interleaved (timing.time_configs) against the sequential pass it replaced,
on the configurations of examples/quick.toml, in one process, alternating; and ``retime`` of a stored study.

    python -m benchmarks.timing [--passes 3] [--store DIR] [--write]

The sequential pass is the previous code, rebuilt from timing.race: configurations one after another, largest
batch first (one thread where one thread won at a larger batch), each thread count raced 5 times for 0.05 s,
the median of the repeats whose thread had its core. Each pass prints its seconds and its epoch-time ratios
t_B / t_16. With --store holding the quick study, the wall time of `python -m studies retime quick` (a fresh
process: imports included). --write puts the table into BENCHMARKS.md (section "timing").
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

from benchmarks.sections import write_section
from studies.engine.data import load_dataset
from studies.engine.loop_rules import CONTENDED
from studies.execution import timing
from studies.execution.interleave import time_interleaved
from studies.execution.worker import cpu_threads_for
from studies.spec.config import StudySpec

OLD_BUDGET_S, OLD_REPEATS, OLD_MARGIN = 0.05, 5, 0.87


def sequential(runs, device) -> dict:
    """The previous timing pass: batch size → epoch time (s)."""
    out, one_up_to = {}, 0
    data = load_dataset(runs[0].dataset, runs[0].data, device)
    for run in sorted(runs, key=lambda r: -r.batch_size):
        threads = [1] if run.batch_size <= one_up_to else timing.ladder(os.cpu_count() or 1)
        trainer = timing.trainer_for(run, data, device)
        samples: dict = {}
        raced = timing.race({t: (trainer, t, 1) for t in threads}, OLD_BUDGET_S, OLD_REPEATS, samples=samples)
        best = min(threads)
        for t in sorted(threads):
            if raced[t][1] < OLD_MARGIN * raced[best][0]:
                best = t
        won = samples.get(best, [])
        clean = [s for s, c in won if not c < CONTENDED] or [s for s, _ in won]
        out[run.batch_size] = (statistics.median(clean) if clean else raced[best][0]) * len(trainer.bounds)
        if best == 1 and len(threads) > 1:
            one_up_to = max(one_up_to, run.batch_size)
    return out


_WALL: dict = {}


def interleaved(runs, device) -> dict:
    data = load_dataset(runs[0].dataset, runs[0].data, device)
    trainers = {r.batch_size: timing.trainer_for(r, data, device) for r in runs}
    got = time_interleaved(trainers, {b: timing.ladder(cpu_threads_for(b)) for b in trainers})
    _WALL.clear()
    _WALL.update({b: g.wall_step_s * len(trainers[b].bounds) for b, g in got.items()})
    return {b: g.step_time_s * len(trainers[b].bounds) for b, g in got.items()}


def wall_minimum(runs, device) -> dict:
    """The interleaved pass just run, by its minimum wall time instead (no new measurement)."""
    return dict(_WALL)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--store", help="a store holding the quick study, to time `retime quick`")
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    spec = StudySpec.from_toml("examples/quick.toml")
    device = torch.device("cpu")
    runs = [r for r in spec.expand(n_train=4000) if r.seed == 0]
    load_dataset(runs[0].dataset, runs[0].data, device)
    rows = []
    for i in range(args.passes):
        for name, fn in (("sequential (before)", sequential), ("interleaved", interleaved),
                         ("same pass, minimum wall time", wall_minimum)):
            t0 = time.perf_counter()
            ep = fn(runs, device)
            took = time.perf_counter() - t0
            base = ep[min(ep)]
            rows.append((name, i + 1, took, "/".join(f"{ep[b] / base:.2f}" for b in sorted(ep)),
                         "/".join(f"{1e3 * ep[b]:.1f}" for b in sorted(ep)), os.getloadavg()[0]))
            print(rows[-1], flush=True)
    lines = ["## The timing pass: interleaved vs sequential (examples/quick.toml's 4 configurations)", "",
             f"`python -m benchmarks.timing --passes {args.passes}{' --store S' if args.store else ''} --write` "
             f"on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; one process, the two passes alternating.",
             "", "| pass | # | seconds | t_B / t_16 (B = 16/64/256/1024) | epoch ms | load |", "|---|---|---|---|---|---|"]
    lines += [f"| {n} | {i} | {'—' if n.startswith('same') else f'{s:.2f}'} | {r} | {ms} | {ld:.1f} |"
              for n, i, s, r, ms, ld in rows]
    for name in ("sequential (before)", "interleaved"):
        lines.append(f"\nMedian cost, {name}: {statistics.median(s for n, _, s, *_ in rows if n == name):.2f} s.")
    if args.store:
        t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-m", "studies", "retime", "quick", "--store", args.store, "--quiet"],
                              capture_output=True, text=True)
        took, c1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        lines.append(f"\n`python -m studies retime quick --store S` (a fresh process, imports included): "
                     f"{took:.1f} s wall, {cpu:.1f} s CPU, load {os.getloadavg()[0]:.1f}, exit {done.returncode} "
                     f"({done.stdout.strip()[:120]}).")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("BENCHMARKS.md", "timing", text)


if __name__ == "__main__":
    main()
