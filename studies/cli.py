"""The command line: ``python -m studies run | list | export | retime``. Bad input exits 2 with one line, no traceback."""
from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .spec.config import ExecutorError, SpecError, StudySpec
from .storage.atomic import atomic_write_json
from .storage.csvsafe import to_csv
from .storage.store import StoreError, open_store
from .analysis.tidy import with_grid

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
    run.add_argument("--executor", choices=["pool", "serial", "ray", "local"], default="pool",
                     help="pool: this machine, every core (default; 'local' is its old name); serial: one run "
                          "after another in this process; ray: one task per run on a Ray cluster")
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
    ex.add_argument("--table", choices=["runs", "epochs", "landscape", "predictors", "summary", "audit"],
                    default="runs",
                    help="predictors: per measure, the granulated Kendall τ (psi, Jiang et al. 2020) and plain τ "
                         "vs the gap (gap_acc) over the fitted runs, its expected sign and agreement; a 95%% "
                         "bootstrap interval of τ from 10 runs on. summary: what the charts draw, per measure and "
                         "compared group the mean, its 95%% interval, n and n_left_out, then the study's B_simple "
                         "and B_crit with their intervals. audit: the rescaling audit, per run and measure the "
                         "original and rescaled value, their ratio and the logits' max difference")
    rt = sub.add_parser("retime", help="re-measure a stored study's epoch and step times (interleaved timing "
                        "pass, minimum of the repeats) without training anything; rewrites the timing columns")
    rt.add_argument("study", help="study id (or a prefix of it) or a unique study name")
    rt.add_argument("--store")
    rt.add_argument("--progress-json", help=argparse.SUPPRESS)   # the dashboard's job worker reads this
    rt.add_argument("--quiet", action="store_true")
    ex.add_argument("--format", choices=["csv", "parquet"], default="csv")
    ex.add_argument("-o", "--output", help="output file (default: standard output, CSV only)")
    return p


CURVE_POINTS = 200   # points of a run's live curve kept in the progress file


def _finite(v):
    """A float JSON can carry (NaN and ±inf as None)."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v == v and abs(v) != float("inf") else None


class _Progress:
    """tqdm bar per run over its epochs, plus an optional atomically written JSON for the dashboard.
    Runs may train side by side (worker processes, stacks, Ray): bars are kept per run id."""

    def __init__(self, quiet: bool, json_path: str | None, estimate: str = "", estimate_s: float | None = None):
        self.quiet, self.json_path, self.bars, self.state, self._last = quiet, json_path, {}, {}, 0.0
        self.estimate, self.estimate_s = estimate, estimate_s
        self.runs: dict[str, dict] = {}   # run_id -> the Jobs page's per-run row (state, epochs, target, time)

    def __call__(self, ev: dict) -> None:
        kind = ev["event"]
        if kind == "study_start":
            self.state.update(study_id=ev["study_id"], name=ev["name"], total=ev["total"],
                              done=ev["total"] - ev["todo"], todo=ev["todo"], started=time.time(),
                              device=ev["device"], phase="training", runs=self.runs,
                              estimate_s=None if self.estimate_s is None or not ev["total"]
                              else self.estimate_s * ev["todo"] / ev["total"])
            if not self.quiet:
                rough = f"; all {ev['total']} would take about {self.estimate} (rough, ±3×)" if self.estimate else ""
                print(f"study {ev['name']} ({ev['study_id']}): {ev['total']} runs, {ev['todo']} to do, "
                      f"on {ev['device']}{rough}", file=sys.stderr)
        elif kind == "run_start":
            self.state.update(current=ev["label"], epoch=0, epochs=ev["epochs"], loss=None, phase="training")
            measuring = not ev["epochs"]   # a run trained before: only its measurements are to do
            self.runs[ev["run_id"]] = {"run": ev["label"], "state": "measuring" if measuring else "training",
                                       "epochs": 0, "budget": ev["epochs"], "reached_target": None,
                                       "started": time.time()}
            if measuring:
                self.state["phase"] = "measuring"
            if not self.quiet:
                from tqdm import tqdm
                self.bars[ev["run_id"]] = tqdm(total=max(ev["epochs"], 1), desc=ev["label"], unit="ep",
                                               leave=True, file=sys.stderr, dynamic_ncols=True)
        elif kind == "epoch":
            self.state.update(epoch=ev["epoch"], loss=ev["train_loss"], test_acc=ev["test_acc"])
            run = self.runs.get(ev.get("run_id"))
            if run is not None and not ev.get("replayed"):
                run["epochs"] = ev["epoch"]
                curve = run.setdefault("curve", [])   # the Jobs page's live curves: [epoch, train loss, test acc]
                curve.append([ev["epoch"], _finite(ev["train_loss"]), _finite(ev["test_acc"])])
                if len(curve) > CURVE_POINTS:         # long runs: every other point of the older half
                    del curve[1:CURVE_POINTS // 2:2]
                if ev["epoch"] >= run["budget"]:   # the budget is spent: the measurements come next
                    run["state"] = "measuring"
                    self.state["phase"] = "measuring"
            bar = self.bars.get(ev.get("run_id"))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{ev['train_loss']:.3g}", test_acc=f"{ev['test_acc']:.3f}")
        elif kind == "run_end":
            self.state.update(done=ev["done"], last_status=ev["status"])
            run = self.runs.setdefault(ev["run_id"], {"run": ev.get("label", ""), "budget": None,
                                                      "started": time.time()})
            run.update(state=ev["status"], epochs=ev.get("epochs", run.get("epochs")),
                       reached_target=ev.get("reached_target"),
                       time_s=ev.get("time_s") or time.time() - run["started"])
            bar = self.bars.pop(ev.get("run_id"), None)
            if bar is not None:
                bar.set_postfix_str(ev["status"])
                bar.close()
        elif kind == "timing_pass":
            self.state.update(timing_pass_s=ev["seconds"])
            if not self.quiet:
                print(f"timing pass: {ev['configs']} configuration(s) timed alone in {ev['seconds']:.1f} s"
                      f" (after {ev.get('waited_s', 0.0):.1f} s waiting for the pool's imports)", file=sys.stderr)
        elif kind == "interpolate":
            self.state.update(phase="landscape", current=None)
        elif kind == "lr_search" and not self.quiet:
            print(f"lr search: round {ev['round']} adds {ev['added']} lr(s) beyond best lrs at an edge", file=sys.stderr)
        elif kind == "study_end":
            self.state.update(finished=time.time(), failed=ev["failed"], current=None)
        self._write(force=kind in ("study_start", "run_end", "interpolate", "study_end"))

    def _write(self, force: bool) -> None:
        if self.json_path and (force or time.monotonic() - self._last > 0.5):
            atomic_write_json(Path(self.json_path), {**self.state, "updated": time.time()})
            self._last = time.monotonic()


def _cmd_run(args, store) -> int:
    spec = StudySpec.from_toml(Path(args.spec))   # parsed and judged before torch is imported
    ray_options = {"address": args.address, "gpus_per_run": args.gpus_per_run, "runtime_env": args.runtime_env}
    options = {k: v for k, v in ray_options.items() if v is not None}
    if options and args.executor != "ray":
        raise SpecError("executor", f"--{next(iter(options)).replace('_', '-')} needs --executor ray")
    from .spec.estimate import format_seconds
    from .spec.runnable import check_runnable
    from .engine.device import device_slot
    slot = device_slot(args.device or spec.device)
    est = check_runnable(spec, "cpu" if args.executor == "ray" else slot)   # the form and the queue's check too

    with _exit_on_sigterm():   # torch and the engine import: nothing to keep yet
        if args.executor in ("pool", "local") and slot == "cpu":
            from .execution.forkserver import start_early
            start_early()   # the pool's workers import torch beside this process's import, not after it
        from .engine.data import DataError
        from .engine.device import DeviceError
        from .execution.auto_lr import run_auto as run_study

    t0 = time.perf_counter()
    try:
        runs, _ = run_study(spec, store, executor=args.executor, device=args.device,
                            progress=_Progress(args.quiet, args.progress_json, format_seconds(est.seconds), est.seconds),
                            **options)
    except (DataError, DeviceError, ExecutorError) as e:
        raise SpecError("spec", str(e)) from None
    counts = runs["status"].value_counts().to_dict() if len(runs) else {}
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no runs"
    from .analysis.summary import closing_note
    if not args.quiet:
        print(closing_note(runs, store.load_table(spec.study_id, "epochs")))
    else:   # a best lr at its grid's edge is worth a line even when quiet
        from .analysis.lr_edges import edge_warnings
        for line in edge_warnings(runs):
            print(line, file=sys.stderr)
    print(f"{spec.name} ({spec.study_id}): {summary} in {time.perf_counter() - t0:.1f} s; store {store.root}")
    return 0


def _cmd_list(args, store) -> int:
    df = store.list_studies()
    print(f"no studies in {store.root}" if df.empty else df.to_string(index=False))
    aside = [p for p in store.corrupt_files() if not any(p.name in m for m in store.problems)]
    if aside:
        names = ", ".join(str(p.relative_to(store.root)) for p in aside[:3]) + (" …" if len(aside) > 3 else "")
        print(f"note: {len(aside)} unreadable file(s) set aside earlier ({names}); safe to delete", file=sys.stderr)
    return 0


def _cmd_export(args, store) -> int:
    import pandas as pd
    sid = store.find_study(args.study)
    if args.table == "predictors":   # computed from the runs table, one row per measure
        from .analysis.predictors import predictors_table
        try:
            df = predictors_table(store.load_table(sid, "runs"))
        except ValueError as e:
            raise StoreError(f"no predictors table: {e}") from None
    elif args.table == "summary":    # exactly the numbers the pages draw (studies.analysis.conclusions)
        from .analysis.conclusions import summary_table
        from .analysis.speed import speed_rows   # time and examples to the target, the fastest batch size
        runs = store.load_table(sid, "runs")
        parts = [p for p in (summary_table(runs, store.load_table(sid, "epochs")), speed_rows(runs)) if len(p)]
        df = parts[0] if len(parts) < 2 else pd.concat(parts, ignore_index=True)
    elif args.table == "audit":      # rows of kind "audit" in the landscape table (rescale_audit = true)
        from .analysis.audit import audit_table
        df = with_grid(audit_table(store.load_table(sid, "landscape")), store.load_table(sid, "runs"))
    else:
        df = store.load_table(sid, args.table)
        if args.table != "runs":   # tidy: each row says which grid point it belongs to
            df = with_grid(df, store.load_table(sid, "runs"))
        elif len(df):
            from .analysis.speed import with_to_target
            df = with_to_target(df)
    if args.output:
        out = Path(args.output)
        folder = out.expanduser().parent
        if not folder.is_dir():   # the user's own path, not the store: say which folder is missing
            raise SpecError("-o", f"the folder {folder} does not exist; create it or give -o a file in an "
                                  "existing folder")
        try:
            if args.format == "csv":
                to_csv(df, out)   # cells that would start a spreadsheet formula get a leading '  (csvsafe)
            else:
                df.to_parquet(out, index=False)
        except OSError as e:
            raise SpecError("-o", f"cannot write {out}: {e.strerror or e}; give -o a writable file") from None
        print(f"wrote {len(df)} rows of {args.table} to {out}", file=sys.stderr)
    elif args.format == "parquet":
        raise StoreError("parquet goes to a file; add -o FILE.parquet")
    else:
        try:
            to_csv(df, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:   # `export … | head`: the reader stopped reading; nothing is wrong with the store
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # Python's flush at exit stays quiet
    return 0


def _cmd_retime(args, store) -> int:
    sid = store.find_study(args.study)
    with _exit_on_sigterm():
        from .execution.retime import retime_study
    t0 = time.perf_counter()
    if args.progress_json:
        atomic_write_json(Path(args.progress_json), {"study_id": sid, "phase": "retime", "started": time.time(),
                                                     "updated": time.time()})
    new = retime_study(store, sid)
    took = time.perf_counter() - t0
    if args.progress_json:
        atomic_write_json(Path(args.progress_json), {"study_id": sid, "phase": "retime", "finished": time.time(),
                                                     "timing_pass_s": took, "updated": time.time()})
    runs = store.load_table(sid, "runs").drop_duplicates(["optimizer", "batch_size"]).sort_values("batch_size")
    if not args.quiet:
        for _, r in runs.iterrows():
            print(f"  {r.optimizer} B={r.batch_size}: epoch {1e3 * r.epoch_time_s:.2f} ms (min of {int(r.timing_repeats)}, "
                  f"median {1e3 * r.epoch_time_median_s:.2f} ms), CPU share {r.cpu_share:.2f}"
                  + (", contended" if bool(r.contended) else ""), file=sys.stderr)
    print(f"retimed {len(new)} runs of {sid} in {took:.1f} s (nothing trained); store {store.root}")
    return 0


def _os_error(e: OSError, store) -> str:
    """A file-system failure (read-only store, full disk, no permission) as one line saying what to do."""
    where = f" {e.filename}" if e.filename else ""
    fix = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space",
           errno.EROFS: "choose a writable --store", errno.EACCES: "make it writable or choose another --store",
           errno.EPERM: "make it writable or choose another --store"}.get(e.errno, "check the store folder")
    return f"cannot use the store {store.root if store else ''}: {e.strerror or e}{where}; {fix}"

_STOPPING = []


def _sigterm_as_interrupt(signum, frame):
    """A cancel from the dashboard stops like Ctrl-C: finished runs kept, state "stopped", exit 130. Only the
    first SIGTERM interrupts; later ones (the manager repeats it) never break the stop's own cleanup."""
    if not _STOPPING:
        _STOPPING.append(signum)
        raise KeyboardInterrupt


@contextlib.contextmanager
def _exit_on_sigterm():
    """While heavy modules import, a SIGTERM exits 130 at once instead of raising KeyboardInterrupt: raised
    inside a C extension's initialisation (torch's), the interrupt can abort the process (exit -6)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: os._exit(130))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    _STOPPING.clear()
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _sigterm_as_interrupt)   # first: a SIGTERM at any point below exits 130
        return _main(argv)
    except KeyboardInterrupt:   # a stop outside _main's own handling (while parsing, while reporting)
        return 130


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    store = None
    try:
        store = open_store(getattr(args, "store", None))
        return {"run": _cmd_run, "list": _cmd_list, "export": _cmd_export,
                "retime": _cmd_retime}[args.command](args, store)
    except (SpecError, StoreError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:   # read-only store, full disk: one line, and the state on disk says what happened
        print(f"error: {_os_error(e, store)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("stopped; finished runs are kept, run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        for problem in (store.problems if store else []):   # files set aside: said, not silently skipped
            print(f"warning: {problem}", file=sys.stderr)
