"""Run a study: expand the grid, skip what the store already has, train and measure the rest, store it.

``execute_run`` is a pure function of a RunSpec (no store access), so any backend can run it where the
device is, while the driver process stays the single writer of the store.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .config import SCHEMA_VERSION, MeasureSpec, RunSpec, StudySpec, content_hash
from .data import load_dataset
from .device import describe, resolve_device
from .estimate import check_fits
from .locks import RunLocks, claimed_map
from .models import build_model
from .optim import make_loss
from .store import Store, open_store
from .train import train_run


@dataclass
class RunOutcome:
    """Everything one run produced, ready for the driver to write."""

    run_id: str
    row: dict | None = None                   # runs-table row (None when only measured)
    epochs: pd.DataFrame | None = None
    weights: dict[str, np.ndarray] | None = None
    measure_row: dict | None = None
    landscape: pd.DataFrame | None = None
    failed: bool = False


# Bump when an estimator changes its answer (2: antithetic random sharpness, SEs, the critical-point test):
# stored measurements are then recomputed from the stored weights, without retraining.
MEASURE_VERSION = 2


def cpu_threads_for(batch_size: int) -> int:
    """Small batches are launch-bound and lose to thread hand-offs; large ones are matmul-bound."""
    budget = int(os.environ.get("BATCHSCOPE_THREADS") or 0) or os.cpu_count() or 1   # a Ray task's CPUs
    return 1 if batch_size < 256 else budget


def measure_id_of(measure: MeasureSpec) -> str | None:
    """Hash of the measurement settings; None when nothing is measured."""
    m = measure
    if not (m.sharpness_eps or m.sharpness_random or m.sharpness_sam or m.hessian or m.landscape
            or m.noise_scale or m.spectrum):
        return None
    return content_hash({"schema": SCHEMA_VERSION, "measure_version": MEASURE_VERSION, **m.identity()})


def _row(run: RunSpec, result, device: torch.device, data) -> dict:
    f = result.final
    return {
        "dataset": run.dataset, "model": run.model, "hidden": "-".join(map(str, run.hidden)),
        "optimizer": run.optimizer, "lr": run.lr, "weight_decay": run.weight_decay,
        "batch_size": run.batch_size, "shuffle": run.shuffle, "seed": run.seed,
        "epochs": len(result.epoch_rows) - 1, "epoch_budget": run.epochs, "device": device.type,
        "device_name": describe(device), "torch_version": torch.__version__,
        "status": result.status, "diverged_epoch": result.diverged_epoch,
        "reached_target": result.reached_target,
        "target_train_acc": run.target_train_acc, "target_train_loss": run.target_train_loss,
        "train_loss": f["train_loss"], "train_acc": f["train_acc"],
        "test_loss": f["test_loss"], "test_acc": f["test_acc"],
        "gap_acc": f["train_acc"] - f["test_acc"], "gap_loss": f["test_loss"] - f["train_loss"],
        "epoch_time_s": result.epoch_time_s, "timed_epochs": result.timed_epochs,
        "timing": "solo",   # how epoch_time_s was measured: this run alone on its device
        "step_time_s": result.epoch_time_s / max(1, math.ceil(result.samples_per_epoch / run.batch_size)),
        "total_time_s": result.total_time_s, "steps": result.steps,
        "samples_per_epoch": result.samples_per_epoch, "n_train": data.n_train, "n_test": len(data.y_test),
        "n_params": result.n_params, "schedule": run.schedule, "loss": run.loss,
        "warmup_epochs": run.warmup_epochs, "error": "",
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def execute_run(run: RunSpec, measure: MeasureSpec, *, weights: dict[str, np.ndarray] | None = None,
                train: bool = True, on_epoch=None, threads: int | None = None, trained=None) -> RunOutcome:
    """Train (unless ``weights`` are given) and measure one run; failures come back as a row, not a raise.

    ``threads``: CPU threads (default ``cpu_threads_for``); ``trained``: the run's TrainResult when it was
    trained elsewhere (a member of a stack, ensemble.py): it is stored and measured like one trained here."""
    out = RunOutcome(run.run_id)
    device = resolve_device(run.device)
    if device.type == "cpu":
        torch.set_num_threads(threads or cpu_threads_for(run.batch_size))
    try:
        data = load_dataset(run.dataset, run.data, device)
        model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
        init_state = {k: v.clone() for k, v in model.state_dict().items()}
        if train:
            result = trained or train_run(run, data, device, on_epoch=on_epoch, model=model,
                                          probe=training_probe(run, data, measure))
            out.row = _row(run, result, device, data)
            out.epochs = pd.DataFrame(result.epoch_rows)
            out.weights = {k: v.numpy() for k, v in result.state.items()}
            state = result.state
            if result.status == "diverged":
                return out   # nothing to measure around a NaN
        else:
            state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
        if measure_id_of(measure) is not None:
            model.load_state_dict(state)
            model.to(device).eval()
            out.measure_row, out.landscape = _measure(model, data, run, measure, init_state)
    except Exception as e:  # noqa: BLE001 - a failing run is a row with its message, the study goes on
        out = failed_outcome(run, f"{e.__class__.__name__}: {e}")
    return out


def training_probe(run: RunSpec, data, measure: MeasureSpec):
    """The hook that follows the noise scale over training (measure.training_probe), or None."""
    from .measure import training_probe as probe

    model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
    return probe(model.to(data.x_train.device), data.x_train, data.y_train, make_loss(run.loss), measure)


def failed_outcome(run: RunSpec, error: str) -> RunOutcome:
    """A run that failed (an exception, a dead worker): a row with the message, retried on the next run."""
    return RunOutcome(run.run_id, failed=True, row={
        "dataset": run.dataset, "model": run.model, "optimizer": run.optimizer, "lr": run.lr,
        "batch_size": run.batch_size, "shuffle": run.shuffle, "seed": run.seed, "epochs": 0,
        "device": run.device, "status": "failed", "error": error})


def _measure(model, data, run: RunSpec, measure: MeasureSpec, init_state):
    from .landscape import random_slice_rows
    from .measure import measure_run

    loss_fn = make_loss(run.loss)
    density: list[dict] = []
    row = measure_run(model, data.x_train, data.y_train, loss_fn, measure, density_rows=density,
                      init_state={k: v.to(data.x_train.device) for k, v in init_state.items()})
    parts = [pd.DataFrame(density)] if density else []
    if measure.landscape:
        alphas = np.linspace(-1.0, 1.0, measure.landscape_points).tolist()
        parts.insert(0, pd.DataFrame(random_slice_rows(model, (data.x_train, data.y_train),
                                                       (data.x_test, data.y_test), loss_fn, alphas,
                                                       seed=measure.sample_seed)))
    return row, (pd.concat(parts, ignore_index=True) if parts else None)


def interpolation_pairs(runs: list[RunSpec]) -> list[tuple[RunSpec, RunSpec]]:
    """Smallest- and largest-batch runs that share optimizer, shuffle and seed (Keskar's Figure 3)."""
    groups: dict[tuple, list[RunSpec]] = {}
    for r in runs:
        groups.setdefault((r.optimizer, r.shuffle, r.seed), []).append(r)
    pairs = []
    for members in groups.values():
        members = sorted(members, key=lambda r: r.batch_size)
        if len(members) >= 2:
            pairs.append((members[0], members[-1]))
    return pairs


def interpolate_pair(small: RunSpec, large: RunSpec, state_a, state_b, measure: MeasureSpec) -> pd.DataFrame:
    from .landscape import interpolation_rows

    device = resolve_device(small.device)
    data = load_dataset(small.dataset, small.data, device)
    model = build_model(small.model, small.hidden, data.input_shape, data.n_classes, small.seed).to(device).eval()
    to = lambda s: {k: torch.from_numpy(np.array(v)).to(device) for k, v in s.items()}  # noqa: E731
    alphas = np.linspace(-0.5, 1.5, measure.landscape_points).tolist()
    rows = interpolation_rows(model, to(state_a), to(state_b), (data.x_train, data.y_train),
                              (data.x_test, data.y_test), make_loss(small.loss), alphas)
    return pd.DataFrame(rows).assign(run_id=small.run_id, run_id_b=large.run_id,
                                     batch_size_a=small.batch_size, batch_size_b=large.batch_size)


def plan_study(spec: StudySpec, device: str | None = None, resolve=None) -> tuple[list[RunSpec], torch.device]:
    """The study's RunSpecs on the resolved device (loads the data set once to know its size); ``resolve``
    is the backend's device rule where runs train elsewhere (Ray: a GPU when the cluster has one)."""
    check_fits(spec)   # before loading anything: the spec alone tells a 10⁷ × 10⁵ data set or a 4 × 65,536 MLP
    dev = (resolve or resolve_device)(device or spec.device)
    data = load_dataset(spec.dataset, spec.data, "cpu")
    if spec.dataset.startswith("csv:"):
        check_fits(spec, (int(len(data.y_train) + len(data.y_test)), int(math.prod(data.input_shape)),
                          data.n_classes))
    fingerprint = data.fingerprint if spec.dataset.startswith("csv:") else ""
    return spec.expand(n_train=data.n_train, device=dev.type, data_fingerprint=fingerprint), dev


def run_study(spec: StudySpec, store: str | Store | None = None, *, executor: str = "local",
              device: str | None = None, progress=None, **executor_options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every run of ``spec`` that the store lacks; return the study's ``runs`` and ``epochs`` tables.

    ``progress(event: dict)`` receives study/run/epoch events (for the CLI bars and the dashboard queue).
    """
    from .backends import get_backend

    store = open_store(store)
    store.sweep_tmp()   # temporary files a killed writer left behind
    emit = progress or (lambda event: None)
    backend = get_backend(executor, **executor_options)
    runs, dev = plan_study(spec, device, getattr(backend, "resolve_device", None))
    sid = spec.study_id
    mid = measure_id_of(spec.measure)
    run_ids = [r.run_id for r in runs]
    info = {"study_id": sid, "name": spec.name, "dataset": spec.dataset, "runs_total": len(runs),
            "run_ids": run_ids, "measure_id": mid, "device": dev.type, "executor": executor,
            "created": _now(), "state": "running"}
    old = store.study_info(sid)
    if old:
        info["created"] = old.get("created", info["created"])

    def save_info(**kw):
        info.update(kw, updated=_now())
        store.save_study(spec.to_toml(), info)

    # the study's tables as last written, per run: a run that cannot be read back now keeps its old rows,
    # so a rewrite never shrinks a table (a read-only or flaky store, a file set aside mid-study)
    tables = store.tables_by_run(sid, set(run_ids)) if old else {"runs": {}, "epochs": {}, "landscape": {}}

    def collect(rid):
        got = store.collect_run(rid, mid)
        if got is not None:
            row, ep, land = got
            tables["runs"][rid], tables["epochs"][rid], tables["landscape"][rid] = row, ep, land
        return got is not None

    def stored(r):  # (trained, measured) as the store has it now
        row = store.complete_run(r.run_id)
        trained = row is not None and row["status"].iloc[0] != "failed"
        return trained, mid is None or (trained and row["status"].iloc[0] == "diverged") or store.has_measure(
            r.run_id, mid)

    todo = []
    for r in runs:
        trained, measured = stored(r)
        if trained and measured:
            collect(r.run_id)
        else:
            todo.append((r, not trained))
    try:
        save_info(runs_done=len(runs) - len(todo))
    except OSError as e:   # a read-only store: fine when there is nothing to do and the study is complete
        if todo or not old or old.get("state") != "done":
            raise
        store.problems.append(f"the store is not writable ({e.strerror}); nothing to do, nothing rewritten")
        return store.load_study(sid)
    emit({"event": "study_start", "study_id": sid, "name": spec.name, "total": len(runs),
          "todo": len(todo), "device": dev.type})

    last_write = 0.0

    def write(force=False):
        nonlocal last_write
        if force or time.monotonic() - last_write > 2.0:
            order = run_ids + ["__interpolation__"]
            store.write_tables(sid, {k: [v[rid] for rid in order if rid in v] for k, v in tables.items()})
            last_write = time.monotonic()

    jobs = [(r, spec.measure, None if need_train else store.load_weights(r.run_id), need_train)
            for r, need_train in todo]
    # weights missing or corrupt for a measure-only job: retrain it
    jobs = [(r, m, w, t or w is None) for r, m, w, t in jobs]
    failed = 0
    # a lock per run: a run another live driver is training is waited for and read back (outcome None)
    claimed = claimed_map(RunLocks(store.root), jobs, backend.map, emit, finished=lambda r: all(stored(r)))
    try:
        for i, (run, outcome) in enumerate(claimed):
            if outcome is None:
                outcome = RunOutcome(run.run_id, row=dict(store.read_run(run.run_id).iloc[0]))
            elif outcome.row is not None:
                store.save_run(outcome.run_id, outcome.row, outcome.epochs if outcome.epochs is not None
                               else pd.DataFrame(columns=["epoch"]), outcome.weights, run.identity())
            if outcome.measure_row is not None:
                store.save_measure(outcome.run_id, mid, outcome.measure_row, outcome.landscape)
            failed += outcome.failed
            collect(outcome.run_id)
            save_info(runs_done=len(runs) - len(todo) + i + 1, failed=failed)
            emit({"event": "run_end", "run_id": outcome.run_id, "label": run.label,
                  "status": (outcome.row or {}).get("status", "measured"), "done": info["runs_done"],
                  "total": len(runs)})
            write()
    except BaseException:   # Ctrl-C, SIGTERM (a cancel), a crash: keep what finished, say the study stopped
        try:   # best effort: on a full disk these fail too, and the first error is the one to report
            write(force=True)
            save_info(state="stopped")
        except OSError as e:
            store.problems.append(f"study.json could not be updated ({e.strerror}); it may still say 'running'")
        raise

    if spec.measure.landscape and mid:
        emit({"event": "interpolate", "pairs": len(interpolation_pairs(runs))})
        inter = []
        for small, large in interpolation_pairs(runs):
            inter.append(_interpolation(store, small, large, spec.measure, mid))
        tables["landscape"]["__interpolation__"] = pd.concat([f for f in inter if f is not None], ignore_index=True) \
            if any(f is not None for f in inter) else None
    write(force=True)
    from .scaling import fit_study
    save_info(state="done" if failed == 0 else "done with failures", runs_done=len(runs), failed=failed,
              steps_fit=fit_study(store.load_table(sid, "runs")))
    emit({"event": "study_end", "study_id": sid, "failed": failed})
    return store.load_study(sid)


def _interpolation(store: Store, small: RunSpec, large: RunSpec, measure: MeasureSpec, mid: str):
    """Interpolation rows for one pair, cached beside the small run; None if an end is missing."""
    cached = store.read_interpolation(small.run_id, large.run_id, mid)
    if cached is not None:
        return cached
    a, b = store.load_weights(small.run_id), store.load_weights(large.run_id)
    if a is None or b is None:
        return None
    for rid in (small.run_id, large.run_id):
        row = store.read_run(rid)
        if row is None or row["status"].iloc[0] != "done":
            return None
    df = interpolate_pair(small, large, a, b, measure)
    store.save_interpolation(small.run_id, large.run_id, mid, df)
    return df


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
