"""Stress the exit path (issue 15): back-to-back ``export``s and ``run``s of a complete study while another
study trains in the background, counting invocations that exit non-zero (an abort at exit is -6 / 134).

A benchmark-style script, not a test: it takes minutes and its count is a rate under load. Run it from the
repository root (or pass --repo to test another checkout of the code):

    python scripts/stress_exit.py --exports 300 --runs 100
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPLETE = """name = "stress-complete"
dataset = "digits"
hidden = [16]
batch_sizes = [16, 128]
optimizers = ["sgd", "adam"]
seeds = [0]
epochs = 2
device = "cpu"
[measure]
sharpness_eps = [1e-3]
sample = 256
"""
LOAD = """name = "stress-load"
dataset = "digits"
hidden = [64]
batch_sizes = [8, 32, 128]
optimizers = ["sgd", "adam"]
seeds = [0, 1]
epochs = 40
device = "cpu"
"""


def _stop(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exports", type=int, default=300)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--repo", default=str(Path(__file__).resolve().parents[1]), help="checkout whose studies/ runs")
    p.add_argument("--no-load", action="store_true", help="no background study (the quiet case)")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="stress-exit-"))
    env = {**os.environ, "PYTHONPATH": args.repo, "PYTHONFAULTHANDLER": "1"}
    studies = [sys.executable, "-m", "studies"]

    def call(*argv) -> subprocess.CompletedProcess:
        return subprocess.run([*studies, *argv], cwd=args.repo, env=env, capture_output=True, text=True)

    (tmp / "complete.toml").write_text(COMPLETE)
    (tmp / "load.toml").write_text(LOAD)
    first = call("run", str(tmp / "complete.toml"), "--store", str(tmp / "store"), "--quiet")
    if first.returncode != 0:
        print(f"could not make the complete study: {first.stderr.strip()[-300:]}", file=sys.stderr)
        return 1

    def start_load():
        shutil.rmtree(tmp / "load", ignore_errors=True)
        return subprocess.Popen([*studies, "run", str(tmp / "load.toml"), "--store", str(tmp / "load"), "--quiet"],
                                cwd=args.repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    load = None if args.no_load else start_load()
    bad: dict[str, collections.Counter] = {"export": collections.Counter(), "run": collections.Counter()}
    last: dict[str, str] = {}
    done = {"export": 0, "run": 0}
    plan = []   # the runs spread evenly between the exports
    ratio = args.exports / max(1, args.runs)
    e = r = 0
    while e < args.exports or r < args.runs:
        if r < args.runs and (e >= args.exports or e >= (r + 1) * ratio):
            plan.append("run"); r += 1
        else:
            plan.append("export"); e += 1
    t0 = time.monotonic()
    signal.signal(signal.SIGTERM, _stop)   # a stopped stress run still prints what it counted
    try:
        for i, kind in enumerate(plan, 1):
            if kind == "export":
                res = call("export", "stress-complete", "--store", str(tmp / "store"), "--table", "epochs",
                           "--format", "csv", "-o", str(tmp / "epochs.csv"))
            else:
                res = call("run", str(tmp / "complete.toml"), "--store", str(tmp / "store"), "--quiet")
            done[kind] += 1
            if res.returncode != 0:
                bad[kind][res.returncode] += 1
                last[kind] = (res.stderr.strip().splitlines() or [""])[-1][:200]
            if load is not None and load.poll() is not None:
                load = start_load()
            if i % 50 == 0:
                print(f"{i} invocations, {sum(sum(c.values()) for c in bad.values())} non-zero, "
                      f"{time.monotonic() - t0:.0f} s", flush=True)
    except KeyboardInterrupt:
        print("stopped early; the counts below are for the invocations that ran", flush=True)
    finally:
        if load is not None:
            load.terminate()
            load.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for kind in ("export", "run"):
        codes = ", ".join(f"exit {c}: {n}" for c, n in sorted(bad[kind].items())) or "none"
        print(f"{kind}: {done[kind]} invocations, {sum(bad[kind].values())} non-zero ({codes})"
              + (f"; last: {last[kind]}" if kind in last else ""))
    total = sum(sum(c.values()) for c in bad.values())
    print(f"total: {total} non-zero exits in {sum(done.values())} invocations under "
          f"{'no load' if args.no_load else 'load'}, {time.monotonic() - t0:.0f} s")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
