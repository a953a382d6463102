"""What stopping at the target's crossing costs: the default study (examples/quick.toml) with the checks inside
the epoch (studies/engine/crossing.py) against the same study checked only at each epoch's end
(BATCHSCOPE_CHECKS=epoch, the rule before), each a whole `python -m studies run` process on a fresh store,
in alternation, repeated.

    python -m benchmarks.crossing [--reps 3] [--spec examples/quick.toml] [--write]

Prints per repeat the two wall times and their ratio, and the final train losses of the runs that reached the
target under each rule; --write puts the table into BENCHMARKS.md between the ``crossing`` markers. Goal: the
checks cost ≤ 15 % of the study's wall time.
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sections import write_section  # noqa: E402

RULES = {"crossing": "", "epoch end": "epoch"}   # BATCHSCOPE_CHECKS of each rule


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def study(spec: Path, store: Path, checks: str) -> tuple[float, float, list[float], float]:
    """(wall seconds of one whole `python -m studies run`, its CPU seconds (user + system, its processes
    together: far less moved by other programs' load than the wall time), final train losses of the runs that
    reached the target, the target) on a fresh ``store`` with BATCHSCOPE_CHECKS=``checks``."""
    import pandas as pd
    env = {**os.environ, "BATCHSCOPE_CHECKS": checks}
    t, c = time.perf_counter(), cpu_children()
    subprocess.run([sys.executable, "-m", "studies", "run", str(spec), "--store", str(store), "--quiet"],
                   cwd=ROOT, check=True, capture_output=True, env=env)
    seconds, cpu = time.perf_counter() - t, cpu_children() - c
    out = subprocess.run([sys.executable, "-m", "studies", "export", spec_name(spec), "--store", str(store),
                          "--table", "runs", "--format", "csv"], cwd=ROOT, check=True, capture_output=True, text=True)
    runs = pd.read_csv(io.StringIO(out.stdout))
    reached = runs[runs.reached_target.astype(bool)]
    return seconds, cpu, sorted(reached.train_loss), float(runs.target_train_loss.max())


def spec_name(spec: Path) -> str:
    import tomllib
    return tomllib.loads(spec.read_text())["name"]


def span(losses: list[float], target: float) -> str:
    return f"{min(losses) / target:.2f}–{max(losses) / target:.2f}×" if losses and target > 0 else "none reached"


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--spec", default="examples/quick.toml")
    p.add_argument("--write", action="store_true")
    args = p.parse_args(argv)
    spec = (ROOT / args.spec).resolve()
    rows, ratios, cpu_ratios, load0 = [], [], [], os.getloadavg()[0]
    for rep in range(1, args.reps + 1):
        got = {}
        order = list(RULES) if rep % 2 else list(RULES)[::-1]   # alternate who goes first
        with tempfile.TemporaryDirectory() as d:
            for rule in order:
                got[rule] = study(spec, Path(d) / rule.replace(" ", "-"), RULES[rule])
        (cross, c_cpu, c_losses, target), (end, e_cpu, e_losses, _) = got["crossing"], got["epoch end"]
        ratios.append(cross / end)
        cpu_ratios.append(c_cpu / e_cpu)
        rows.append(f"| {rep} | {end:.1f} | {cross:.1f} | {cross / end:.2f}× | {e_cpu:.1f} | {c_cpu:.1f} | "
                    f"{c_cpu / e_cpu:.2f}× | {span(e_losses, target)} | {span(c_losses, target)} |")
        print(rows[-1], flush=True)
    command = f"python -m benchmarks.crossing --reps {args.reps}" + \
        (f" --spec {args.spec}" if args.spec != "examples/quick.toml" else "") + (" --write" if args.write else "")
    text = "\n".join([
        "## Stopping at the target's crossing: what the checks inside the epoch cost", "",
        f"`{command}` — {time.strftime('%Y-%m-%d %H:%M')}, load average {load0:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after. `{args.spec}` as a whole `python -m studies run` process on a fresh "
        "store, checked only at each epoch's end (`BATCHSCOPE_CHECKS=epoch`, the rule before) and at the crossing "
        "(the default), in alternation: wall seconds, and CPU seconds (user + system of the study's processes: "
        "far less moved by other programs' load); the last two columns give the reached runs' final train loss "
        "/ target. Goal: ≤ 15 % more wall time.", "",
        "| rep | epoch end s | crossing s | wall ratio | epoch end CPU s | crossing CPU s | CPU ratio | "
        "final loss / target, epoch end | final loss / target, crossing |", "|---|---|---|---|---|---|---|---|---|",
        *rows, "", f"Median wall ratio {statistics.median(ratios):.2f}× (worst {max(ratios):.2f}×), median CPU "
        f"ratio {statistics.median(cpu_ratios):.2f}× (worst {max(cpu_ratios):.2f}×)."])
    print(text)
    if args.write:
        write_section(ROOT / "BENCHMARKS.md", "crossing", text)
    return text


if __name__ == "__main__":
    main()
