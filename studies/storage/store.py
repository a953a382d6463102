"""The results store: parquet tables and safetensors weights on disk, written atomically, keyed by run id.

Layout (``root`` from --store, $BATCHSCOPE_STORE or ./batchscope-results):

    runs/<run_id>/run.parquet           one row: what training produced
    runs/<run_id>/epochs.parquet        one row per epoch (0 = before training)
    runs/<run_id>/weights.safetensors   final weights (numpy arrays; loading never unpickles)
    runs/<run_id>/measure-<mid>.parquet one row: measurements for measure-spec hash <mid>
    runs/<run_id>/landscape-<mid>.parquet random 1-D slice rows
    runs/<run_id>/interp-<run_id_b>-<mid>.parquet  interpolation rows to a larger-batch run
    studies/<study_id>/spec.toml        the spec, beside its results
    studies/<study_id>/study.json       name, state, run ids, progress counters
    studies/<study_id>/{runs,epochs,landscape}.parquet   consolidated tables (a cache of the per-run files)

Runs live outside studies, so a study that shares runs with another (or a renamed copy) trains nothing.
Every write goes to a temp file in the same folder and is renamed into place: a killed writer never leaves
half a file, and readers ignore ``*.tmp``. A file that cannot be read is moved aside as ``*.corrupt`` and
reported, and its run counts as missing, so the next ``run`` recomputes it. No torch import here.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_write_bytes, atomic_write_json, atomic_write_parquet, sweep_tmp
from ..spec.config import one_line
from ..spec.limits import MAX_JSON_BYTES, MAX_TABLE_BYTES, LimitError, read_regular_file, regular_file_size
from ..spec.optimizers import TABLE as OPTIMIZER_TABLE
from .storefiles import check_safetensors, check_values, parquet_frame, table_kind

DEFAULT_ROOT = "batchscope-results"
_ID_RE = re.compile(r"^[0-9a-f]{8,64}$")


class StoreError(ValueError):
    """A store problem the user can act on (unknown study, ambiguous name, unusable folder)."""


def resolve_root(store: str | os.PathLike | None = None) -> Path:
    """--store DIR, else $BATCHSCOPE_STORE, else ./batchscope-results (the CLI and the dashboard agree)."""
    return Path(store or os.environ.get("BATCHSCOPE_STORE") or DEFAULT_ROOT).expanduser()


def _count(v) -> int:
    """A hand-edited counter read as a whole number (0 when it is not one)."""
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0


def _check_safetensors(path: Path) -> None:
    """Cheap whole-file check of a safetensors file (header and length, not the bytes); ValueError if bad.
    Opened without following a symbolic link, like every store file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        check_safetensors(path, os.fstat(fd).st_size, f.read)


def _check_id(kind: str, value: str) -> str:
    """Ids become folder names: accept only hex hashes, never a path."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise StoreError(f"{kind} {value!r} is not a valid id; ids are hexadecimal hashes")
    return value


@dataclass
class Store:
    root: Path
    problems: list[str] = field(default_factory=list)   # unreadable files moved aside, for the UI to show

    # ---- paths
    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / _check_id("run id", run_id)

    def study_dir(self, study_id: str) -> Path:
        return self.root / "studies" / _check_id("study id", study_id)

    # ---- reading with recovery
    def _read_bytes(self, path: Path, max_bytes: int) -> bytes | None:
        """A store file's bytes, or None when it is missing. Its type and size are judged before reading
        (a FIFO would block, a link to /dev/zero would never end, a huge file would fill the memory): such
        a file is set aside and reported like an unreadable one. Symbolic links are never followed, and a
        folder on the way that leads out of the store is refused (a shared store must not show or feed the
        server's own files)."""
        try:
            self._inside(path)
            return read_regular_file(path, max_bytes, "store file", follow_symlinks=False)
        except FileNotFoundError:
            return None
        except LimitError as e:
            self._set_aside(path, e)
            return None

    def _inside(self, path: Path) -> None:
        """LimitError when ``path``'s folder resolves outside the store (a symlinked study or run folder)."""
        root = self.root.resolve()
        folder = path.parent.resolve()
        if folder != root and root not in folder.parents:
            raise LimitError(f"{path.parent} leads outside the store (a symbolic link); the store keeps only "
                             "its own folders")

    def _read_parquet(self, path: Path) -> pd.DataFrame | None:
        raw = self._read_bytes(path, MAX_TABLE_BYTES)   # one open, one snapshot: never across a writer's rename
        if raw is None:
            return None
        try:
            return parquet_frame(raw, table_kind(path))
        except Exception as e:  # noqa: BLE001 - any unreadable file is set aside, never fatal
            self._set_aside(path, e)
            return None

    def _read_json(self, path: Path, kind: type = dict):
        """A JSON file holding a ``kind`` (an object by default); anything else is set aside."""
        raw = self._read_bytes(path, MAX_JSON_BYTES)
        if raw is None:
            return None
        try:
            obj = json.loads(raw)
            if not isinstance(obj, kind):
                raise ValueError(f"holds a JSON {type(obj).__name__}, not an object")
            return obj
        except Exception as e:  # noqa: BLE001
            self._set_aside(path, e)
            return None

    def _set_aside(self, path: Path, err: Exception) -> None:
        dest = path.with_name(f"{path.name}.{time.time_ns()}.corrupt")   # never over one set aside before
        try:
            os.replace(path, dest)
            where = f"moved aside to {dest.name}"
        except OSError as e:   # a read-only store: the file stays, and is judged again next time
            where = f"left in place ({e.strerror or e.__class__.__name__})"
        why = str(err) if isinstance(err, LimitError) else f"{err.__class__.__name__}: {err}".rstrip(": ")
        try:
            name = path.relative_to(self.root)
        except ValueError:
            name = path
        msg = f"{name} could not be read ({one_line(why)}); {where}, the next run of its study rebuilds it"
        if msg not in self.problems or where.startswith("moved"):   # a file left in place is said once
            self.problems.append(msg)

    # ---- runs
    def has_run(self, run_id: str) -> bool:
        """The run's row, epochs and (if it saved any) weights all read; anything unreadable is set aside."""
        return self.complete_run(run_id) is not None

    def complete_run(self, run_id: str) -> pd.DataFrame | None:
        """The run's row when its row, epochs and (if it saved any) weights all read, else None."""
        row = self.read_run(run_id)
        if row is None or self.read_epochs(run_id) is None:
            return None
        path = self.run_dir(run_id) / "weights.safetensors"
        if not os.path.lexists(path):
            return None if bool(row.get("has_weights", pd.Series([False])).iloc[0]) else row
        try:
            self._inside(path)
            regular_file_size(path, MAX_TABLE_BYTES, "weights file", follow_symlinks=False)
            _check_safetensors(path)
        except ValueError as e:   # LimitError included
            self._set_aside(path, e)
            return None
        return row

    def read_run(self, run_id: str) -> pd.DataFrame | None:
        return self._read_parquet(self.run_dir(run_id) / "run.parquet")

    def save_run(self, run_id: str, row: dict, epochs: pd.DataFrame, weights: dict[str, np.ndarray] | None,
                 spec: dict) -> None:
        """Weights and epochs first, the run row last: the row's presence means the run is complete."""
        d = self.run_dir(run_id)
        if weights is not None:
            self.save_weights(run_id, weights)
        atomic_write_json(d / "spec.json", spec)
        atomic_write_parquet(d / "epochs.parquet", epochs.assign(run_id=run_id))
        atomic_write_parquet(d / "run.parquet", pd.DataFrame([{**row, "run_id": run_id,
                                                               "has_weights": weights is not None}]))

    def save_weights(self, run_id: str, weights: dict[str, np.ndarray]) -> None:
        from safetensors.numpy import save
        atomic_write_bytes(self.run_dir(run_id) / "weights.safetensors",
                           save({k: np.ascontiguousarray(v).reshape(np.shape(v))   # 0-d stays 0-d (a norm's
                                 for k, v in weights.items()}))                        # num_batches_tracked)

    def load_weights(self, run_id: str) -> dict[str, np.ndarray] | None:
        """Final weights as numpy arrays (safetensors: nothing is unpickled); None if missing or corrupt."""
        from safetensors.numpy import load
        path = self.run_dir(run_id) / "weights.safetensors"
        raw = self._read_bytes(path, MAX_TABLE_BYTES)
        if raw is None:
            return None
        try:
            return load(raw)
        except Exception as e:  # noqa: BLE001
            self._set_aside(path, e)
            return None

    def read_epochs(self, run_id: str) -> pd.DataFrame | None:
        return self._read_parquet(self.run_dir(run_id) / "epochs.parquet")

    def has_measure(self, run_id: str, measure_id: str) -> bool:
        return self.read_measure(run_id, measure_id) is not None

    def read_measure(self, run_id: str, measure_id: str) -> pd.DataFrame | None:
        return self._read_parquet(self.run_dir(run_id) / f"measure-{_check_id('measure id', measure_id)}.parquet")

    def save_measure(self, run_id: str, measure_id: str, row: dict, landscape: pd.DataFrame | None) -> None:
        d = self.run_dir(run_id)
        if landscape is not None:
            atomic_write_parquet(d / f"landscape-{measure_id}.parquet", landscape.assign(run_id=run_id))
        atomic_write_parquet(d / f"measure-{measure_id}.parquet", pd.DataFrame([row]))

    def _interpolation_path(self, small_id: str, large_id: str, measure_id: str) -> Path:
        return self.run_dir(small_id) / (f"interp-{_check_id('run id', large_id)}-"
                                         f"{_check_id('measure id', measure_id)}.parquet")

    def read_interpolation(self, small_id: str, large_id: str, measure_id: str) -> pd.DataFrame | None:
        """Interpolation rows between two runs, kept beside the smaller-batch run."""
        return self._read_parquet(self._interpolation_path(small_id, large_id, measure_id))

    def save_interpolation(self, small_id: str, large_id: str, measure_id: str, rows: pd.DataFrame) -> None:
        atomic_write_parquet(self._interpolation_path(small_id, large_id, measure_id), rows)

    def read_landscape(self, run_id: str, measure_id: str) -> pd.DataFrame | None:
        return self._read_parquet(self.run_dir(run_id) / f"landscape-{measure_id}.parquet")

    # ---- studies
    def save_study(self, spec_toml: str, info: dict) -> None:
        d = self.study_dir(info["study_id"])
        if not (d / "spec.toml").exists():
            atomic_write_bytes(d / "spec.toml", spec_toml.encode())
        atomic_write_json(d / "study.json", info)

    def study_info(self, study_id: str) -> dict | None:
        return self._read_json(self.study_dir(study_id) / "study.json")

    def spec_text(self, study_id: str) -> str | None:
        """The study's spec as saved; None when it is missing or not a regular file inside the store (a
        spec.toml linked to the server's secrets is never read)."""
        try:
            raw = self._read_bytes(self.study_dir(study_id) / "spec.toml", MAX_JSON_BYTES)
        except OSError:
            return None
        return None if raw is None else raw.decode(errors="replace")

    def list_studies(self) -> pd.DataFrame:
        """One row per study: id, name, state, runs done/total, updated time."""
        rows = []
        base = self.root / "studies"
        for d in sorted(base.iterdir()) if base.exists() else []:
            if not _ID_RE.match(d.name):
                continue
            info = self.study_info(d.name)
            if info is None:
                continue
            rows.append({"study_id": d.name, "name": str(info.get("name", "")), "state": str(info.get("state", "?")),
                         "runs_done": _count(info.get("runs_done")), "runs_total": _count(info.get("runs_total")),
                         "dataset": str(info.get("dataset", "")), "updated": str(info.get("updated", "")),
                         # "12 done · 2 missed target" once finished (fairness.FitCheck.summary)
                         "fit": str(info.get("fit") or
                                    f"{_count(info.get('runs_done'))}/{_count(info.get('runs_total'))} runs")})
        cols = ["study_id", "name", "state", "runs_done", "runs_total", "dataset", "updated", "fit"]
        return pd.DataFrame(rows, columns=cols).sort_values("updated", ascending=False, ignore_index=True)

    def find_study(self, key: str) -> str:
        """A study id, an id prefix, or a unique study name → the study id; StoreError says what is wrong."""
        studies = self.list_studies()
        if studies.empty:
            raise StoreError(f"the store {self.root} has no studies yet; run one with "
                             "`python -m studies run SPEC.toml`")
        exact = studies[studies.study_id == key]
        if len(exact):
            return key
        by_name = studies[studies.name == key]
        if len(by_name) == 1:
            return by_name.study_id.iloc[0]
        if len(by_name) > 1:
            ids = ", ".join(by_name.study_id)
            raise StoreError(f"{len(by_name)} studies are named {key!r} ({ids}); give the study id instead")
        by_prefix = studies[studies.study_id.str.startswith(key)] if key else studies.iloc[:0]
        if len(by_prefix) == 1:
            return by_prefix.study_id.iloc[0]
        raise StoreError(f"no study named {key!r} in {self.root}; `python -m studies list` shows them")

    def version(self, study_id: str) -> int:
        """Changes whenever the study's tables change: a cache key for the dashboard."""
        d = self.study_dir(study_id)
        stamps = [p.stat().st_mtime_ns for p in (d / "study.json", d / "runs.parquet") if p.exists()]
        return max(stamps, default=0)

    def collect_run(self, run_id: str, measure_id: str | None):
        """(runs row, epochs, landscape rows) of one finished run, its measurements merged; None if missing."""
        row, ep = self.read_run(run_id), self.read_epochs(run_id)
        if row is None or ep is None:
            return None
        land = None
        if measure_id:
            m = self.read_measure(run_id, measure_id)
            if m is not None:
                extra = m.drop(columns=[c for c in m.columns if c in row.columns])
                row = pd.concat([row.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
            land = self.read_landscape(run_id, measure_id)
        return row, ep, land

    def write_tables(self, study_id: str, tables: dict[str, list[pd.DataFrame]]) -> None:
        """Write the study's consolidated tables as given (the driver is the only writer and adds the derived
        columns, such as best_lr, before; readers see whole files)."""
        d = self.study_dir(study_id)
        for name, parts in tables.items():
            parts = [p for p in parts if p is not None and len(p)]
            if parts:
                df = pd.concat(parts, ignore_index=True)
                if "study_id" in df.columns:
                    df = df.drop(columns="study_id")
                df.insert(0, "study_id", study_id)
                atomic_write_parquet(d / f"{name}.parquet", df)

    def rewrite_runs(self, study_id: str, rows: dict[str, pd.DataFrame], table: pd.DataFrame) -> None:
        """Replace stored run rows with new columns of the same runs (``retime``), then the study's runs table;
        each file atomically. Weights, epochs and measurements are untouched."""
        for rid, row in rows.items():
            atomic_write_parquet(self.run_dir(rid) / "run.parquet", row)
        atomic_write_parquet(self.study_dir(study_id) / "runs.parquet", table)

    def tables_by_run(self, study_id: str, run_ids: set[str]) -> dict[str, dict[str, pd.DataFrame]]:
        """The study's consolidated tables as last written, split per run id (interpolation rows under
        ``"__interpolation__"``): the driver starts from these, so a rewrite never drops a row it cannot
        read back right now."""
        out: dict[str, dict[str, pd.DataFrame]] = {"runs": {}, "epochs": {}, "landscape": {}}
        for name, parts in out.items():
            df = self._read_parquet(self.study_dir(study_id) / f"{name}.parquet")
            if df is None or "run_id" not in df.columns:
                continue
            df = df.drop(columns="study_id", errors="ignore")
            if name == "landscape" and "kind" in df.columns:
                inter = df["kind"] == "interpolation"
                if inter.any():
                    parts["__interpolation__"] = df[inter].reset_index(drop=True)
                df = df[~inter]
            for rid, rows in df.groupby("run_id", sort=False):
                if rid in run_ids:
                    parts[rid] = rows.reset_index(drop=True)
        return out

    def sweep_tmp(self, older_than_s: float = 60.0) -> int:
        """Delete the temporary files a killed writer left behind (atomic.sweep_tmp); returns how many."""
        return sweep_tmp(self.root, older_than_s)

    def load_table(self, study_id: str, table: str = "runs") -> pd.DataFrame:
        """A consolidated table of a study (runs | epochs | landscape); empty if nothing finished yet."""
        if table not in ("runs", "epochs", "landscape"):
            raise StoreError(f"table {table!r} is not one of runs, epochs, landscape")
        df = self._read_parquet(self.study_dir(study_id) / f"{table}.parquet")
        df = df if df is not None else self._assemble(study_id, table)
        df, said = check_values(df, OPTIMIZER_TABLE)   # values a page can use: batch_size ≥ 1, known optimizers
        for line in said:
            msg = f"studies/{study_id}/{table}.parquet: {line}"
            if msg not in self.problems:
                self.problems.append(msg)
        return df

    def _assemble(self, study_id: str, table: str) -> pd.DataFrame:
        """A study's table read from its runs' own files, when the consolidated copy is missing or unreadable
        (read-only: the next ``run`` rewrites the copy; interpolation rows come back with it)."""
        info = self.study_info(study_id) or {}
        parts = []
        ids = info.get("run_ids")
        for rid in ids if isinstance(ids, list) else []:
            got = self.collect_run(rid, info.get("measure_id")) if _ID_RE.match(str(rid)) else None
            if got is not None:
                parts.append(got[("runs", "epochs", "landscape").index(table)])
        parts = [p for p in parts if p is not None and len(p)]
        if not parts:
            return pd.DataFrame()
        df = pd.concat(parts, ignore_index=True).drop(columns="study_id", errors="ignore")
        df.insert(0, "study_id", study_id)
        return df

    def corrupt_files(self) -> list[Path]:
        """Files set aside as unreadable (``*.corrupt``), for a page to list; they are safe to delete."""
        return sorted(self.root.glob("*/*/*.corrupt")) if self.root.exists() else []

    def load_study(self, study_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.load_table(study_id, "runs"), self.load_table(study_id, "epochs")


def open_store(store: str | os.PathLike | Store | None = None) -> Store:
    """The store at --store / $BATCHSCOPE_STORE / ./batchscope-results (created on first write)."""
    if isinstance(store, Store):
        return store
    root = resolve_root(store)
    if root.exists() and not root.is_dir():
        raise StoreError(f"store {root} is a file, not a folder; give a folder with --store")
    return Store(root)
