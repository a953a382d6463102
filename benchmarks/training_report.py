"""The report of benchmarks/training.py: its results (a dict of what the run measured) as BENCHMARKS.md's
engine section. It writes only what that run measured: a part the run skipped has no table and no goal, the
repeats are the run's own, and no prose carries a number the run did not take."""
from __future__ import annotations


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def _steps(row: dict, name: str) -> str:
    return "all" if row[f"{name}_steps"] >= row["steps"] else f"{row[f'{name}_steps']}"


def markdown(res: dict, command: str) -> str:
    """BENCHMARKS.md's engine section from one run's results ``res`` (training.main's dict): a table for each
    part the run measured and none for a part it skipped, the machine and load it ran on, and the goals
    judged on these numbers only."""
    m = res["machine"]
    out = [f"# Benchmarks\n\nMade by `{command}` on {res['date']} ({res['minutes']:.1f} min). "
           f"Machine: {m['cpu']}, {m['cores']} cores ({m['capability']}), {m['platform']}; Python {m['python']}, "
           f"torch {m['torch']}; load average {m['load'][0]:.2f} before, {res['load_after'][0]:.2f} after. "
           f"Measured matmul rate (best torch.mm over the large-batch GEMM shapes and 2048³): "
           + ", ".join(f"{v:.0f} GFLOP/s on {k} thread{'s' * (k > 1)}" for k, v in res["peaks"].items()) + "."]
    out.append("The same runs (models.py's MLP 256-256, same seed, same optimizer, learning rate and batch "
               "size) trained by three loops:\n\n"
               "- **typical**: `DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True)`, torch.optim with "
               "its defaults, zero_grad / forward / backward / step, torch's default threads (all cores);\n"
               "- **lean**: a plain loop (data on the device, `index_select` "
               "batches, autograd, fused torch.optim, no `.item()`), one thread below batch 256;\n"
               "- **engine**: Batchscope's (studies/engine/stacked.py, K = 1): hand-written MLP backward into "
               "preallocated buffers, direct fused optimizer kernels, the thread count its timing pass measured."
               "\n\nWall time around whole epochs, or around the first N steps of long epochs scaled to the "
               f"epoch; the loops alternate, {res['repeats']} repeat{'s' * (res['repeats'] > 1)}, medians.")
    for ds in res["single"]:
        rows = [r for r in res["single"][ds]]
        left_out = [b for b in res["batch_sizes"] if b not in {r["batch"] for r in rows}]
        out.append(f"## One run, epoch time: {ds}\n\n'steps timed' is N of the epoch's steps, scaled to the "
                   "epoch (all: whole epochs). Matmul FLOPs counted as done (no input gradient for the first "
                   "layer); '% of rate' against the measured matmul rate at the engine's thread count. "
                   "The typical and lean loops are credited with their faster thread count (in brackets); the "
                   "typical loop with torch's default count is the next column."
                   + (f" Batch sizes {', '.join(map(str, left_out))} exceed the training set and are left out."
                      if left_out and rows else ""))
        out.append(_table(
            ["opt", "B", "steps/epoch", "typical s (threads)", "typical s, torch's threads", "lean s",
             "engine s (threads)", "typical/engine", "lean/engine", "µs/step typical", "µs/step engine",
             "samples/s", "GFLOP/s", "% of rate", "steps timed (t/l/e)"],
            [[r["optimizer"], r["batch"], r["steps"], f"{r['typical_s']:.3g} ({r['typical_threads']})",
              f"{r['typical_default_s']:.3g}", f"{r['lean_s']:.3g}", f"{r['engine_s']:.3g} ({r['threads']})",
              f"**{r['speedup']:.2f}×**", f"{r['vs_lean']:.2f}×", f"{r['typical_us_step']:.0f}",
              f"{r['engine_us_step']:.0f}", f"{r['samples_s']:,.0f}", f"{r['engine_gflops']:.1f}",
              f"{100 * r['peak_frac']:.0f} %", "/".join(_steps(r, n) for n in ("typical", "lean", "engine"))]
             for r in rows]))
    if res.get("stacks"):
        out.append("## Eight seeds at small batch (digits): µs per run-step\n\nOne by one (typical loop, "
                   "the previous lean loop, this engine alone), one stack of all eight (1 thread), and what the "
                   "pool executor does: one stack per worker process, one thread each, all started together.")
        out.append(_table(["opt", "B", "typical", "lean", "engine alone", "stack of 8", "parallel stacks",
                           "best stack size", "× vs lean", "× vs typical"],
                          [[r["optimizer"], r["batch"], f"{r['typical_us']:.0f}", f"{r['lean_us']:.0f}",
                            f"{r['solo_us']:.0f}", f"{r['stack_us']:.0f}",
                            f"**{r['parallel_us']:.0f}** ({r['workers']} × stack of {r['k']})",
                            r["best_stack"], f"{r['speedup_vs_lean']:.1f}×", f"{r['speedup_vs_typical']:.1f}×"]
                           for r in res["stacks"]]))
    if res.get("study"):
        s = res["study"]
        out.append(f"## A whole study\n\n{s['runs']} runs ({s['what']}; {s['run_steps']:,} run-steps, "
                   "evaluation every epoch, no measurements):")
        out.append(_table(["how", "wall s", "µs per run-step", "speed-up"],
                          [[how, f"{s[key]:.1f}", f"{s[key] / s['run_steps'] * 1e6:.0f}",
                            f"{s['previous_s'] / s[key]:.1f}×"]
                           for how, key in (("previous lean loop, one run after another", "previous_s"),
                                            ("executor serial (this engine, one by one)", "serial_s"),
                                            ("executor pool (timing pass, stacks, worker pool)", "pool_s"))]))
    if res.get("quick"):
        q = res["quick"]
        out.append(f"## examples/quick.toml\n\n`python -m studies run examples/quick.toml` on a fresh store: "
                   f"**{q['with_measure_s']:.0f} s** as shipped (with its [measure] table), "
                   f"{q['no_measure_s']:.0f} s with every measurement off.")
    out.append(goals(res))
    return "\n\n".join(out) + "\n"


def goals(res: dict) -> str:
    """The issue's goals against this run's numbers."""
    rows = [r for table in res["single"].values() for r in table]
    lines = []
    if rows:
        worst = min(rows, key=lambda r: r["speedup"])
        lines.append(["one run ≥ 1.3× the typical loop at every batch size",
                      f"lowest {worst['speedup']:.2f}× ({worst['dataset']}, {worst['optimizer']}, B={worst['batch']})",
                      worst["speedup"] >= 1.3])
        big = [r for r in rows if r["batch"] >= 1024]
        if big:
            w = min(big, key=lambda r: r["speedup"])
            lines.append(["≥ 2× at batch ≥ 1024", f"lowest {w['speedup']:.2f}× ({w['dataset']}, "
                          f"{w['optimizer']}, B={w['batch']})", w["speedup"] >= 2])
        large = [r for r in rows if r["batch"] == max(x["batch"] for x in rows) and "synthetic" in r["dataset"]]
        floor = res.get("floor")
        for r in large:
            why = ""
            if floor and floor["batch"] == r["batch"] and r["threads"] == floor["threads"]:
                share = floor["step_s"] * r["steps"] / r["engine_s"]
                rate = floor["flops"] / floor["step_s"] / 1e9
                of_rate = 100 * rate / res["peaks"][r["threads"]]
                why = (f"; the step's matmuls alone run at {rate:.0f} GFLOP/s ({of_rate:.0f} % of the rate) and "
                       f"are {100 * share:.0f} % of the engine's epoch, the rest is the batch gather and "
                       "element-wise work")
            lines.append([f"large-batch epoch ≥ 75 % of the matmul rate ({r['optimizer']}, B={r['batch']})",
                          f"{100 * r['peak_frac']:.0f} % ({r['engine_gflops']:.0f} of "
                          f"{r['engine_gflops'] / r['peak_frac']:.0f} GFLOP/s){why}", r["peak_frac"] >= 0.75])
    for r in res.get("stacks", []):
        if r["batch"] == 1:
            lines.append([f"8 seeds, batch 1, digits ({r['optimizer']}): ≤ 100 µs per run-step, ≥ 4× 8 "
                          "separate runs",
                          f"{r['parallel_us']:.0f} µs; {r['speedup_vs_lean']:.1f}× the previous loop, "
                          f"{r['speedup_vs_typical']:.1f}× the typical loop",
                          r["parallel_us"] <= 100 and r["speedup_vs_lean"] >= 4])
    if res.get("quick"):
        lines.append(["examples/quick.toml within a minute", f"{res['quick']['with_measure_s']:.0f} s "
                      f"({res['quick']['no_measure_s']:.0f} s without measurements)",
                      res["quick"]["with_measure_s"] <= 60])
    return "## Goals\n\n" + _table(["goal", "this run", "met"], [[g, v, "yes" if ok else "**no**"]
                                                                  for g, v, ok in lines])
