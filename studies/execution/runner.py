"""Run a study (the driver): expand the grid, skip what the store already has, hand the rest to an executor as
RunJobs, and store each RunOutcome as it comes back.

Runs execute in worker.py (``execute_run``, no store access) wherever the executor puts them; this process
stays the single writer of the store.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time

import numpy as np
import pandas as pd
import torch

from ..spec.budget import targeted
from .executors import get_executor
from ..analysis.fairness import with_best_lr
from .. import measures
from ..spec.config import MeasureSpec, RunSpec, StudySpec
from ..engine.data import load_dataset
from ..engine.device import resolve_device
from ..spec.estimate import check_fits
from .locks import RunLocks, claimed_map
from ..engine.models import run_model
from ..engine.optim import make_loss
from ..storage.store import Store, open_store
from ..engine.loop_rules import UNMEASURED
from ..engine import sweeps
from .worker import RunJob, RunOutcome, measure_id_of


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
    from ..measures.landscape import interpolation_rows

    device = resolve_device(small.device)
    data = load_dataset(small.dataset, small.data, device)
    model = run_model(small, data).to(device).eval()
    to = lambda s: {k: torch.from_numpy(np.array(v)).to(device) for k, v in s.items()}  # noqa: E731
    alphas = np.linspace(-0.5, 1.5, measure.landscape_points).tolist()
    rows = interpolation_rows(model, to(state_a), to(state_b), (data.x_train, data.y_train),
                              (data.x_test, data.y_test), make_loss(small.loss), alphas)
    return pd.DataFrame(rows).assign(run_id=small.run_id, run_id_b=large.run_id,
                                     batch_size_a=small.batch_size, batch_size_b=large.batch_size)


def plan_study(spec: StudySpec, device: str | None = None, resolve=None) -> tuple[list[RunSpec], torch.device]:
    """The study's RunSpecs on the resolved device (loads the data set once to know its size); ``resolve``
    is the executor's device rule where runs train elsewhere (Ray: a GPU when the cluster has one)."""
    check_fits(spec)   # before loading anything: the spec alone tells a 10⁷ × 10⁵ data set or a 4 × 65,536 MLP
    dev = (resolve or resolve_device)(device or spec.device)
    data = load_dataset(spec.dataset, spec.data, "cpu")
    if spec.dataset.startswith("csv:"):
        check_fits(spec, (int(len(data.y_train) + len(data.y_test)), int(math.prod(data.input_shape)),
                          data.n_classes))
    fingerprint = data.fingerprint if spec.dataset.startswith("csv:") else ""
    return spec.expand(n_train=data.n_train, device=dev.type, data_fingerprint=fingerprint), dev


# The two whole-network views (a 21×21 loss surface, every measure again on a rescaled twin) each cost as much as
# all other measurements together, and answer questions about a configuration (what its minimum looks like, which
# measures survive a reparametrisation): each is made once per configuration, the surface on its lowest seed and
# the audit on its next one (the same run when there is one seed), so seeds training side by side share the cost.
def per_configuration() -> tuple[str, ...]:
    """The switches of such views (the measure registry's `per_configuration`): landscape_2d, rescale_audit."""
    return tuple(s.name for s in measures.switches() if s.per_configuration)


def view_runs(runs: list) -> dict[str, set[str]]:
    """Run id → the per-configuration views it makes, for every (optimizer, batch size, shuffle, lr) of the study."""
    by_config: dict[tuple, list] = {}
    for r in runs:
        by_config.setdefault((r.optimizer, r.batch_size, r.shuffle, r.lr), []).append(r)
    out: dict[str, set[str]] = {}
    for members in by_config.values():
        members.sort(key=lambda r: r.seed)
        for i, view in enumerate(per_configuration()):
            out.setdefault(members[i % len(members)].run_id, set()).add(view)
    return out


def per_run_measure(measure: MeasureSpec, run, views: dict[str, set[str]]) -> MeasureSpec:
    """The study's MeasureSpec for ``run``: of the per-configuration views, only those assigned to it."""
    mine = views.get(run.run_id, set())
    off = {k: False for k in per_configuration() if getattr(measure, k) and k not in mine}
    if not off:
        return measure
    return dataclasses.replace(measure, **off)   # MeasureSpec takes its switches as keywords too


def run_study(spec: StudySpec, store: str | Store | None = None, *, executor: str = "pool",
              device: str | None = None, progress=None, largest_lr_first: bool = False,
              **executor_options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every run of ``spec`` that the store lacks; return the study's ``runs`` and ``epochs`` tables.

    ``progress(event: dict)`` receives study/run/epoch events (for the CLI bars and the dashboard queue).
    ``largest_lr_first``: a sweep that prunes trains its largest lrs first (the auto lr search, whose start
    grid mostly lies below the best lr; a grid as listed keeps its order).
    """
    store = open_store(store)
    store.sweep_tmp()   # temporary files a killed writer left behind
    emit = progress or (lambda event: None)
    runs_on = get_executor(executor, **executor_options)
    runs, dev = plan_study(spec, device, getattr(runs_on, "resolve_device", None))
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

    # what the store has of each run; a sweep that prunes sees the stored ends on its board
    rows = {r.run_id: store.complete_run(r.run_id) for r in runs}
    board = sweeps.study_board(runs, rows, targeted(spec)) \
        if spec.prune else None

    def stored(r, row=None):  # (trained, measured) as the store has it now
        row = store.complete_run(r.run_id) if row is None else row
        trained = row is not None and sweeps.reusable(row.iloc[0], board)
        return trained, mid is None or (trained and row["status"].iloc[0] in UNMEASURED) or store.has_measure(
            r.run_id, mid)

    todo = []
    for r in runs:
        trained, measured = stored(r, rows[r.run_id])
        if trained and measured:
            collect(r.run_id)
        else:
            todo.append((r, not trained))
            if board is not None and not trained:   # trained again from its start (a pruned row not reused)
                board.progress(r.run_id, 0.0)
    if board is not None and largest_lr_first:   # they reach the target (or diverge) in few epochs, and the board
        todo.sort(key=lambda job: -job[0].lr)      # then prunes the small ones, which would crawl to the cap
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
            parts = {k: [v[rid] for rid in order if rid in v and v[rid] is not None] for k, v in tables.items()}
            if parts["runs"]:   # best_lr over every run so far (analysis decides it; the store stores it)
                parts["runs"] = [with_best_lr(pd.concat(parts["runs"], ignore_index=True))]
            store.write_tables(sid, parts)
            last_write = time.monotonic()

    jobs = []
    views = view_runs(runs)
    for r, need_train in todo:
        weights = None if need_train else store.load_weights(r.run_id)
        # weights missing or corrupt for a measure-only job: retrain it
        jobs.append(RunJob(r, per_run_measure(spec.measure, r, views), weights, train=need_train or weights is None,
                           board=board))
    failed = 0
    # a lock per run: a run another live driver is training is waited for and read back (outcome None)
    claimed = claimed_map(RunLocks(store.root), jobs, runs_on.map, emit, finished=lambda r: all(stored(r)))
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
            done_row = outcome.row or {}
            emit({"event": "run_end", "run_id": outcome.run_id, "label": run.label,
                  "status": done_row.get("status", "measured"), "done": info["runs_done"], "total": len(runs),
                  **{k: _plain(done_row.get(c)) for k, c in (("epochs", "epochs"), ("time_s", "total_time_s"),
                                                            ("reached_target", "reached_target"))}})
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
    from ..analysis.fairness import compared_runs, matched_fit
    from ..analysis.scaling import fit_study
    table = store.load_table(sid, "runs")
    check = matched_fit(compared_runs(table))
    save_info(state="done" if failed == 0 else "done with failures", runs_done=len(runs), failed=failed,
              steps_fit=fit_study(table), fit=check.summary(), fit_matched=check.matched, fit_message=check.message)
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


def _plain(v):
    """A row value as JSON can carry it (the progress file): numpy scalars unwrapped, NaN as None."""
    v = v.item() if hasattr(v, "item") else v
    return None if isinstance(v, float) and v != v else v
