"""Batchscope's engine against the loop a user would otherwise write, on the same runs: the measuring (the report
is training_report.py); writes BENCHMARKS.md's engine section.

    python -m benchmarks.training                        # a few minutes on a 2-core CPU; writes BENCHMARKS.md
    python -m benchmarks.training --small -o /tmp/b.md   # a quick look (tests/test_benchmarks.py runs the parts on tiny sizes)

The same data, model (models.py's MLP 256-256, the same seed), optimizer, learning rate and batch sizes for
  typical  DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True), torch.optim with its defaults,
           zero_grad / forward / backward / step, torch's default thread count (all cores);
  lean     a plain loop (data on the device, index_select batches, autograd,
           fused torch.optim, no .item()), one thread below batch 256 as the runner then chose;
  engine   Batchscope's (stacked.py with K = 1): hand-written MLP backward into preallocated buffers,
           direct fused optimizer kernels, the thread count its timing pass measured.
Every figure is wall time around whole epochs or, where an epoch is long, around its first N steps
scaled to the epoch (the tables give N); the loops run in alternation, REPEATS times; medians.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from benchmarks.sections import write_section
from benchmarks.training_report import markdown
from studies import StudySpec, run_study
from studies.spec.config import RunSpec
from studies.engine.data import Dataset, load_dataset
from studies.engine.device import denormals_flushed
from studies.engine.stacked import StackedTrainer
from studies.engine.models import build_model
from studies.execution.timing import PlainTrainer, best_stack, timing_pass, race as timing_race

CPU = torch.device("cpu")
HIDDEN = (256, 256)
BATCH_SIZES = (1, 4, 16, 64, 256, 1024, 4096)
OPTIMIZERS = ("sgd", "adam")
REPEATS = 3
BUDGET_S = 0.3          # wall time of one measurement (long epochs: their first steps, scaled)
NO_MEASURE = {"sharpness_eps": [], "sharpness_random": False, "sharpness_sam": False, "hessian": False,
              "landscape": False, "noise_scale": False}


# ---------------------------------------------------------------- data, runs, loops

def synthetic_mnist(n: int = 60_000, n_test: int = 2_000, features: int = 784, classes: int = 10,
                    seed: int = 0) -> Dataset:
    """An MNIST-sized set (standardised Gaussian inputs, labels from a random linear teacher)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + n_test, features, generator=g)
    y = (x @ torch.randn(features, classes, generator=g)).argmax(1)
    return Dataset(f"synthetic {n}x{features}", x[:n], y[:n], x[n:], y[n:], classes, (features,), "bench")


def run_for(data: Dataset, batch_size: int, optimizer: str, seed: int = 0, hidden=HIDDEN) -> RunSpec:
    spec = StudySpec.from_dict({"dataset": "digits", "hidden": list(hidden), "batch_sizes": [batch_size],
                                "optimizers": [optimizer], "shuffle": [True], "seeds": [seed]})
    run = spec.expand(n_train=10**9)[0]
    return dataclasses.replace(run, dataset=f"bench:{data.name}")   # a label: the trainers take data directly


class TypicalLoop:
    """The loop a user writes: DataLoader over a TensorDataset, torch.optim defaults, torch's threads.
    ``epoch(max_steps)`` goes on with the epoch in progress, so timing it in pieces adds no iterator starts."""

    def __init__(self, run: RunSpec, data: Dataset):
        self.model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
        opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[run.optimizer]
        self.opt = opt(self.model.parameters(), lr=run.lr)
        self.loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=run.batch_size,
                                 shuffle=True, generator=torch.Generator().manual_seed(run.seed))
        self.bounds, self.batches = range(len(self.loader)), iter(())

    def epoch(self, max_steps: int | None = None) -> float:
        t0 = time.perf_counter()
        with denormals_flushed(CPU):   # as the engine and the lean loop train: the ratios leave this gain out
            for _ in range(len(self.bounds) if max_steps is None else max_steps):
                batch = next(self.batches, None)
                if batch is None:   # a new epoch: a new shuffled iterator, as in `for xb, yb in loader`
                    self.batches = iter(self.loader)
                    batch = next(self.batches)
                xb, yb = batch
                self.opt.zero_grad()
                loss = F.cross_entropy(self.model(xb), yb)
                loss.backward()
                self.opt.step()
        return time.perf_counter() - t0


class Wall:
    """A trainer timed from outside: wall time of ``epoch`` including its per-epoch preparation."""

    def __init__(self, trainer):
        self.trainer, self.bounds = trainer, trainer.bounds

    def epoch(self, max_steps: int | None = None) -> float:
        t0 = time.perf_counter()
        self.trainer.epoch(max_steps=max_steps)
        return time.perf_counter() - t0


def race(loops: dict, budget_s: float = BUDGET_S, repeats: int = REPEATS) -> dict:
    """name → (epoch seconds, steps timed) for ``name: (loop, threads)``: studies.execution.timing.race (the
    timing pass's harness: warm-up, measurements sized to the budget, timed in alternation, medians) with every
    loop timed, none eliminated; a per-step median scaled to the whole epoch."""
    raced = timing_race({name: (loop, threads, 1) for name, (loop, threads) in loops.items()}, budget_s, repeats,
                        eliminate=math.inf)
    return {name: (median * len(loops[name][0].bounds), steps) for name, (median, _, steps) in raced.items()}


# ---------------------------------------------------------------- FLOPs and the matmul rate

def mlp_flops_per_sample(data: Dataset, hidden=HIDDEN) -> int:
    """Matmul FLOPs of one training sample: forward, weight gradients, input gradients of every layer
    but the first (the data need none)."""
    widths = [math.prod(data.input_shape), *hidden, data.n_classes]
    layers = [a * b for a, b in zip(widths, widths[1:])]
    return 2 * sum(layers) + 2 * sum(layers) + 2 * sum(layers[1:])


def matmul_rate(threads: int, shapes=((4096, 784, 256), (256, 4096, 784), (4096, 256, 256), (2048, 2048, 2048)),
                seconds: float = 0.3) -> float:
    """The best GFLOP/s of torch.mm over ``shapes`` (m, k, n) with ``threads`` threads."""
    torch.set_num_threads(threads)
    best = 0.0
    for m, k, n in shapes:
        a, b, out = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
        torch.mm(a, b, out=out)
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            torch.mm(a, b, out=out)
            reps += 1
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9)
    return best


def matmul_floor(data: Dataset, batch: int, threads: int, hidden=HIDDEN, seconds: float = 0.5) -> float:
    """Seconds of one training step's matmuls alone, at the engine's shapes: per layer the forward, the
    weight gradient and (but the first) the input gradient. The rest of a step is the batch gather and
    element-wise work."""
    torch.set_num_threads(threads)
    widths = [math.prod(data.input_shape), *hidden, data.n_classes]
    layers = [(torch.randn(batch, i), torch.randn(o, i), torch.randn(batch, o), torch.empty(batch, o),
               torch.empty(o, i), torch.empty(batch, i)) for i, o in zip(widths, widths[1:])]

    def step():
        for n, (x, w, g, h, gw, gx) in enumerate(layers):
            torch.mm(x, w.t(), out=h)
            torch.mm(g.t(), x, out=gw)
            if n:
                torch.mm(g, w, out=gx)
    step()
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        reps += 1
    return (time.perf_counter() - t0) / reps


# ---------------------------------------------------------------- the tables

def bench_single(data: Dataset, peaks: dict, batch_sizes=BATCH_SIZES, optimizers=OPTIMIZERS, hidden=HIDDEN,
                 budget_s: float = BUDGET_S, repeats: int = REPEATS) -> list[dict]:
    """One run per batch size and optimizer, trained by the three loops; the typical and lean loops are
    timed with 1 and with all threads and each is credited with its faster count (on a shared machine a
    second thread can stall; the engine's own count comes from its timing pass)."""
    rows, cores = [], os.cpu_count() or 1
    counts = sorted({1, cores})
    flops = mlp_flops_per_sample(data, hidden)
    for opt in optimizers:
        for b in [b for b in batch_sizes if b <= data.n_train]:
            run = run_for(data, b, opt, hidden=hidden)
            threads = timing_pass(run, data, CPU).threads
            model = lambda: build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)  # noqa: E731
            typical, lean = TypicalLoop(run, data), Wall(PlainTrainer(run, data, CPU, model()))
            loops = {**{("typical", t): (typical, t) for t in counts},
                     **{("lean", t): (lean, t) for t in (counts if b >= 256 else [1])},   # its old rule: 1 below 256
                     ("engine", threads): (Wall(StackedTrainer([run], data, CPU, [model()])), threads)}
            got = race(loops, budget_s, repeats)
            spe = len(typical.bounds)
            row = {"dataset": data.name, "optimizer": opt, "batch": b, "steps": spe, "threads": threads,
                   "typical_default_s": got[("typical", cores)][0]}
            for name in ("typical", "lean", "engine"):   # each loop at its fastest thread count
                t, (seconds, timed) = min(((t, v) for (n, t), v in got.items() if n == name), key=lambda x: x[1][0])
                row.update({f"{name}_s": seconds, f"{name}_steps": timed, f"{name}_threads": t,
                            f"{name}_us_step": seconds / spe * 1e6,
                            f"{name}_gflops": flops * data.n_train / seconds / 1e9})
            row["speedup"] = row["typical_s"] / row["engine_s"]
            row["vs_lean"] = row["lean_s"] / row["engine_s"]
            row["samples_s"] = data.n_train / row["engine_s"]
            row["peak_frac"] = row["engine_gflops"] / peaks[threads]
            row["typical_peak_frac"] = row["typical_gflops"] / peaks[row["typical_threads"]]
            rows.append(row)
            print(f"  {data.name} {opt} B={b}: typical {row['typical_s']:.3g}s lean {row['lean_s']:.3g}s "
                  f"engine {row['engine_s']:.3g}s ({row['speedup']:.2f}x, {threads} threads)", flush=True)
    return rows


def _stack_worker(batch: int, optimizer: str, k: int, first_seed: int, steps: int, repeats: int, barrier,
                  results) -> None:
    torch.set_num_threads(1)
    data = load_dataset("digits")
    trainer = StackedTrainer([run_for(data, batch, optimizer, seed=first_seed + i) for i in range(k)], data, CPU)
    trainer.epoch(max_steps=min(20, steps))
    for r in range(repeats):
        barrier.wait()   # every worker starts each round together
        t0 = time.perf_counter()
        trainer.epoch(max_steps=steps)
        results.put((r, time.perf_counter() - t0))


def parallel_stacks(batch: int, optimizer: str, k: int, workers: int, steps: int, repeats: int = REPEATS) -> float:
    """Seconds per run-step of ``workers`` processes started together, each a stack of ``k`` runs, one thread:
    per round the slowest worker's time, median over rounds."""
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_stack_worker, args=(batch, optimizer, k, i * k, steps, repeats, barrier, results))
             for i in range(workers)]
    for p in procs:
        p.start()
    rounds: dict[int, float] = {}
    for _ in range(workers * repeats):
        r, seconds = results.get(timeout=600)
        rounds[r] = max(rounds.get(r, 0.0), seconds)
    for p in procs:
        p.join()
    return statistics.median(rounds.values()) / (workers * k * steps)


def bench_stacks(batch_sizes=(1, 4, 16), optimizers=OPTIMIZERS, seeds: int = 8, workers: int | None = None,
                 budget_s: float = BUDGET_S, repeats: int = REPEATS) -> list[dict]:
    """µs per run-step of ``seeds`` runs that differ only in the seed (digits): one by one, stacked, in parallel."""
    data, rows = load_dataset("digits"), []
    workers = workers or os.cpu_count() or 1
    for opt in optimizers:
        for b in batch_sizes:
            run = run_for(data, b, opt)
            runs = [run_for(data, b, opt, seed=s) for s in range(seeds)]
            size, _ = best_stack(run, data, CPU, seeds)
            k = min(size, math.ceil(seeds / workers))   # the pool executor's stacks: best size, every worker busy
            model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
            typical = TypicalLoop(run, data)
            loops = {**{f"typical@{t}": (typical, t) for t in sorted({1, os.cpu_count() or 1})},
                     "lean": (Wall(PlainTrainer(run, data, CPU, model)), 1),
                     "solo": (Wall(StackedTrainer([run], data, CPU)), 1),
                     "stack": (Wall(StackedTrainer(runs, data, CPU)), 1)}
            got = race(loops, budget_s, repeats)
            spe = len(loops["solo"][0].bounds)
            us = {name: s / spe * 1e6 / (seeds if name == "stack" else 1) for name, (s, _) in got.items()}
            us["typical"] = min(us.pop(name) for name in list(us) if name.startswith("typical@"))
            steps = min(spe, max(50, got["solo"][1]))
            us["parallel"] = parallel_stacks(b, opt, k, workers, steps, repeats) * 1e6
            rows.append({"optimizer": opt, "batch": b, "seeds": seeds, "best_stack": size, "workers": workers,
                         "k": k, **{f"{name}_us": v for name, v in us.items()},
                         "speedup_vs_lean": us["lean"] / us["parallel"],
                         "speedup_vs_typical": us["typical"] / us["parallel"]})
            print(f"  stacks {opt} B={b}: " + ", ".join(f"{n} {v:.0f}us" for n, v in us.items()), flush=True)
    return rows


def bench_study(batch_sizes=(1, 4, 16), seeds: int = 8, epochs: int = 3, optimizers=OPTIMIZERS) -> dict:
    """A whole study (digits, ``seeds`` seeds × batch sizes): the previous loop one run after another,
    the serial executor (this engine, one by one), and the pool executor (timing pass, stacks, workers)."""
    from studies.engine.train import train_run
    spec = StudySpec.from_dict({"name": "bench-study", "dataset": "digits", "hidden": list(HIDDEN),
                                "batch_sizes": list(batch_sizes), "optimizers": list(optimizers), "shuffle": [True],
                                "seeds": list(range(seeds)), "epochs": epochs, "measure": NO_MEASURE})
    data = load_dataset("digits")
    runs = spec.expand(n_train=data.n_train)
    out = {"runs": len(runs), "run_steps": sum(r.epochs * math.ceil(data.n_train / r.batch_size) for r in runs),
           "what": f"digits, {seeds} seeds × batch {', '.join(map(str, batch_sizes))} × {', '.join(optimizers)}, "
                   f"{epochs} epochs"}
    t0 = time.perf_counter()
    for r in runs:
        torch.set_num_threads(1 if r.batch_size < 256 else os.cpu_count() or 1)
        train_run(r, data, CPU, engine="plain")
    out["previous_s"] = time.perf_counter() - t0
    for executor in ("serial", "pool"):
        with tempfile.TemporaryDirectory() as store:
            t0 = time.perf_counter()
            run_study(spec, store, executor=executor)
            out[f"{executor}_s"] = time.perf_counter() - t0
    print(f"  study: {out}", flush=True)
    return out


def bench_quick_toml(path: str = "examples/quick.toml") -> dict:
    """Wall time of ``python -m studies run quick.toml`` (a fresh store), with and without [measure]."""
    import tomli_w
    spec = tomllib.loads(Path(path).read_text())
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "quick-no-measure.toml"
        bare.write_text(tomli_w.dumps({**spec, "measure": NO_MEASURE}))
        for label, file in (("with_measure_s", path), ("no_measure_s", str(bare))):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "studies", "run", file, "--store", str(Path(tmp) / label),
                            "--quiet"], check=True, capture_output=True)
            out[label] = time.perf_counter() - t0
    print(f"  quick.toml: {out}", flush=True)
    return out


# ---------------------------------------------------------------- the report

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "capability": torch.backends.cpu.get_cpu_capability(),
            "cuda": torch.cuda.is_available(), "load": os.getloadavg()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", default="BENCHMARKS.md")
    p.add_argument("--small", action="store_true", help="small sizes: a quick look, not the reference numbers")
    p.add_argument("--skip", nargs="*", default=[], choices=["digits", "mnist", "stacks", "study", "quick"])
    args = p.parse_args(argv)
    t0, command = time.perf_counter(), " ".join(["python -m benchmarks.training", *(argv if argv is not None else sys.argv[1:])])
    res = {"machine": machine(), "date": dt.datetime.now().isoformat(timespec="minutes"), "single": {},
           "repeats": 1 if args.small else REPEATS, "batch_sizes": BATCH_SIZES}
    cores = os.cpu_count() or 1
    res["peaks"] = {t: matmul_rate(t) for t in sorted({1, cores})}
    print(f"matmul rate: {res['peaks']}", flush=True)
    kw = dict(budget_s=0.05, repeats=1) if args.small else {}
    sets = {"digits": lambda: load_dataset("digits"),
            "mnist": lambda: synthetic_mnist(n=6000 if args.small else 60_000)}
    for name, make in sets.items():
        if name not in args.skip:
            data = make()
            res["single"][data.name] = bench_single(data, res["peaks"], **kw)
            if name == "mnist":   # what the largest batch's step would take if it were its matmuls alone
                big = max(r["batch"] for r in res["single"][data.name])
                res["floor"] = {"batch": big, "threads": cores, "step_s": matmul_floor(data, big, cores),
                                "flops": mlp_flops_per_sample(data) * big}
    if "stacks" not in args.skip:
        res["stacks"] = bench_stacks(**kw)
    if "study" not in args.skip:
        res["study"] = bench_study(epochs=1 if args.small else 3)
    if "quick" not in args.skip:
        res["quick"] = bench_quick_toml()
    res["load_after"], res["minutes"] = os.getloadavg(), (time.perf_counter() - t0) / 60
    # its own section of BENCHMARKS.md; the other writers' sections (benchmarks/measurements.py ...) stay as they are
    write_section(args.output, "engine", markdown(res, command).removeprefix("# Benchmarks\n").strip(), first=True)
    print(f"wrote {args.output} in {res['minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
