"""``python -m studies retime STUDY``: re-measure a stored study's epoch and step times, training nothing.

A timing pass only (timing.time_configs: every configuration interleaved in rounds, the minimum of the repeats),
on each run's own device and engine and with the thread count it trained with; then the timing
columns (timing.timing_columns) of each run's stored row and of the study's runs table are rewritten through the
store, each file atomically. Weights, epochs, losses and measurements are untouched. What the Speed page's
"timed under contention" note points to, and a job the dashboard's owner can start from there.
"""
from __future__ import annotations

import datetime as dt
import time

import pandas as pd

from ..spec.config import SpecError, StudySpec
from ..storage.store import Store, StoreError


def _runs_to_time(store: Store, sid: str):
    """(the study's RunSpecs by run id, its runs table, the device) for the runs that have a timing to redo."""
    from ..engine.device import DeviceError
    from .runner import plan_study
    text = store.spec_text(sid)
    table = store.load_table(sid, "runs")
    if text is None or table.empty or "run_id" not in table.columns:
        raise StoreError("this study has no stored runs to retime; run it first")
    spec = StudySpec.from_toml_text(text)
    timed = table[table.status.astype(str) != "failed"] if "status" in table.columns else table
    devices = sorted(set(timed.get("device", pd.Series(["cpu"])).dropna().astype(str)))
    if len(devices) != 1:
        raise StoreError(f"the study's runs were timed on {', '.join(devices) or 'no device'}; retime needs one")
    try:
        runs, dev = plan_study(spec, devices[0])
    except DeviceError as e:
        raise SpecError("device", f"{e} (retime measures on the device the runs trained on)") from None
    by_id = {r.run_id: r for r in runs}
    return {rid: by_id[rid] for rid in timed.run_id if rid in by_id}, table, dev


def _threads(row) -> int:
    for col in ("threads", "timing_threads"):   # the count it trained with (one, in the pool)
        v = pd.to_numeric(row.get(col), errors="coerce")
        if v == v and v >= 1:
            return int(v)
    return 1


def retime_study(store: Store, study_id: str, emit=None) -> pd.DataFrame:
    """Re-time every run of the study that trained; returns the new timing columns, one row per run."""
    from .timing import time_configs, timing_columns, timing_key
    t0 = time.perf_counter()
    runs, table, dev = _runs_to_time(store, study_id)
    rows = table.set_index("run_id")
    threads = {}
    for rid, r in runs.items():
        threads.setdefault(timing_key(r, dev), [_threads(rows.loc[rid])])
    timings = time_configs(list(runs.values()), dev, threads=threads, cache=False)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    new = {}
    for rid, r in runs.items():
        old = rows.loc[rid]
        cols = timing_columns(timings[timing_key(r, dev)])
        wall = old.get("wall_epoch_time_s")
        cols["wall_epoch_time_s"] = wall if pd.notna(wall) else old.get("epoch_time_s")   # its own, kept once
        new[rid] = {**cols, "retimed_at": now}
    stored = {}
    for rid, cols in new.items():
        row = store.read_run(rid)
        if row is not None:
            stored[rid] = row.assign(**{k: [v] for k, v in cols.items()})
    store.rewrite_runs(study_id, stored, merge_columns(table, new))
    if emit:
        emit({"event": "retimed", "configs": len(timings), "runs": len(new), "seconds": time.perf_counter() - t0})
    return pd.DataFrame.from_dict(new, orient="index").rename_axis("run_id").reset_index()


def merge_columns(table: pd.DataFrame, values: dict[str, dict]) -> pd.DataFrame:
    """``table`` (with ``run_id``) with ``values`` (run id → column → value) written into its rows; rows and
    columns not named keep theirs, a new column is empty elsewhere."""
    upd = pd.DataFrame.from_dict(values, orient="index")
    out = table.copy()
    hit = out.run_id.isin(upd.index)
    for col in upd.columns:
        fresh = out.run_id.map(upd[col])
        out[col] = fresh.where(hit, out[col]) if col in out.columns else fresh
    return out.infer_objects()
