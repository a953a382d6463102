"""The command line: ``python -m studies run | list | export``. Bad input exits 2 with one line, no traceback."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

from .config import SpecError, StudySpec
from .store import StoreError, atomic_write_json, open_store

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m studies", description="Batchscope: batch-size studies from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a study spec (TOML); finished runs are skipped")
    run.add_argument("spec", help="path to a StudySpec TOML file")
    run.add_argument("--store", help="results folder (default: $BATCHSCOPE_STORE or ./batchscope-results)")
    run.add_argument("--executor", choices=["local", "ray"], default="local")
    run.add_argument("--address", help="Ray cluster address (with --executor ray; default: start a local Ray)")
    run.add_argument("--gpus-per-run", type=float, help="with --executor ray: share GPUs, e.g. 0.25 "
                     "(timings are then marked shared-gpu; default: one whole GPU per run)")
    run.add_argument("--runtime-env", help="with --executor ray: the job's runtime_env as JSON, e.g. "
                     "'{\"working_dir\": \".\"}' (studies itself is shipped to the workers)")
    run.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="override the spec's device")
    run.add_argument("--progress-json", help=argparse.SUPPRESS)   # the dashboard's job worker reads this
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    ls = sub.add_parser("list", help="list the studies in the store")
    ls.add_argument("--store")
    ex = sub.add_parser("export", help="write a study's table as CSV or parquet")
    ex.add_argument("study", help="study id (or a prefix of it) or a unique study name")
    ex.add_argument("--store")
    ex.add_argument("--table", choices=["runs", "epochs", "landscape", "predictors"], default="runs",
                    help="predictors: Kendall τ of each measure vs the gap (gap_acc) over the done runs, with a "
                         "95%% bootstrap interval")
    ex.add_argument("--format", choices=["csv", "parquet"], default="csv")
    ex.add_argument("-o", "--output", help="output file (default: standard output, CSV only)")
    return p


class _Progress:
    """tqdm bar per run over its epochs, plus an optional atomically written JSON for the dashboard.
    Runs may train side by side (worker processes, stacks, Ray): bars are kept per run id."""

    def __init__(self, quiet: bool, json_path: str | None):
        self.quiet, self.json_path, self.bars, self.state, self._last = quiet, json_path, {}, {}, 0.0

    def __call__(self, ev: dict) -> None:
        kind = ev["event"]
        if kind == "study_start":
            self.state.update(study_id=ev["study_id"], name=ev["name"], total=ev["total"],
                              done=ev["total"] - ev["todo"], started=time.time(), device=ev["device"])
            if not self.quiet:
                print(f"study {ev['name']} ({ev['study_id']}): {ev['total']} runs, {ev['todo']} to do, "
                      f"on {ev['device']}", file=sys.stderr)
        elif kind == "run_start":
            self.state.update(current=ev["label"], epoch=0, epochs=ev["epochs"], loss=None)
            if not self.quiet:
                from tqdm import tqdm
                self.bars[ev["run_id"]] = tqdm(total=max(ev["epochs"], 1), desc=ev["label"], unit="ep",
                                               leave=True, file=sys.stderr, dynamic_ncols=True)
        elif kind == "epoch":
            self.state.update(epoch=ev["epoch"], loss=ev["train_loss"], test_acc=ev["test_acc"])
            bar = self.bars.get(ev.get("run_id"))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{ev['train_loss']:.3g}", test_acc=f"{ev['test_acc']:.3f}")
        elif kind == "run_end":
            self.state.update(done=ev["done"], last_status=ev["status"])
            bar = self.bars.pop(ev.get("run_id"), None)
            if bar is not None:
                bar.set_postfix_str(ev["status"])
                bar.close()
        elif kind == "study_end":
            self.state.update(finished=time.time(), failed=ev["failed"], current=None)
        self._write(force=kind in ("study_start", "run_end", "study_end"))

    def _write(self, force: bool) -> None:
        if self.json_path and (force or time.monotonic() - self._last > 0.5):
            atomic_write_json(Path(self.json_path), {**self.state, "updated": time.time()})
            self._last = time.monotonic()


def _cmd_run(args) -> int:
    from .backends import BackendError
    from .data import DataError
    from .device import DeviceError
    from .runner import run_study

    spec = StudySpec.from_toml(Path(args.spec))
    t0 = time.perf_counter()
    ray_options = {"address": args.address, "gpus_per_run": args.gpus_per_run, "runtime_env": args.runtime_env}
    options = {k: v for k, v in ray_options.items() if v is not None}
    if options and args.executor != "ray":
        raise SpecError("executor", f"--{next(iter(options)).replace('_', '-')} needs --executor ray")
    try:
        runs, _ = run_study(spec, args.store, executor=args.executor, device=args.device,
                            progress=_Progress(args.quiet, args.progress_json), **options)
    except (DataError, DeviceError, BackendError) as e:
        raise SpecError("spec", str(e)) from None
    counts = runs["status"].value_counts().to_dict() if len(runs) else {}
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no runs"
    print(f"{spec.name} ({spec.study_id}): {summary} in {time.perf_counter() - t0:.1f} s; "
          f"store {open_store(args.store).root}")
    return 0


def _cmd_list(args) -> int:
    df = open_store(args.store).list_studies()
    if df.empty:
        print(f"no studies in {open_store(args.store).root}")
        return 0
    print(df.to_string(index=False))
    return 0


def _cmd_export(args) -> int:
    store = open_store(args.store)
    sid = store.find_study(args.study)
    if args.table == "predictors":
        from .predictors import predictors_table
        try:
            df = predictors_table(store.load_table(sid, "runs"))
        except ValueError as e:
            raise StoreError(f"no predictors table: {e}") from None
    else:
        df = store.load_table(sid, args.table)
    if args.output:
        out = Path(args.output)
        if args.format == "csv":
            df.to_csv(out, index=False)
        else:
            df.to_parquet(out, index=False)
        print(f"wrote {len(df)} rows of {args.table} to {out}", file=sys.stderr)
    elif args.format == "parquet":
        raise StoreError("parquet goes to a file; add -o FILE.parquet")
    else:
        df.to_csv(sys.stdout, index=False)
    return 0


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt   # a cancel from the dashboard stops like Ctrl-C: finished runs kept, state "stopped"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        return {"run": _cmd_run, "list": _cmd_list, "export": _cmd_export}[args.command](args)
    except (SpecError, StoreError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("stopped; finished runs are kept, run the same command again to resume", file=sys.stderr)
        return 130
