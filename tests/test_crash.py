"""Crash safety: a real ``python -m studies run`` killed with SIGKILL at random moments, again and again,
leaves only whole files, and the next run trains exactly the runs that are missing. About 60 s."""
import json
import os
import random
import signal
import subprocess
import sys
import time
import tomllib

import numpy as np
import pandas as pd
import pytest
import tomli_w

from studies import StudySpec, open_store, run_study
from studies.execution.runner import plan_study
from studies.execution.worker import measure_id_of
from tests.conftest import ROOT

pytestmark = pytest.mark.slow   # real processes killed with SIGKILL

KILLS = 12
# 48 one-epoch runs on digits with cheap measurements (SAM sharpness, 3-point landscapes): ~0.1 s a run after
# a first run of ~1-2 s (imports). Most kills are timed from the progress file to land among the runs'
# training, measuring and writing; twelve of them leave much of the study to do on any machine.
SPEC = {"name": "crash", "dataset": "digits", "hidden": [8], "batch_sizes": [128, 256, 512, 1024],
        "optimizers": ["sgd", "momentum", "adam"], "shuffle": [True, False], "seeds": [0, 1], "epochs": 1,
        "measure": {"sharpness_eps": [], "sharpness_random": False, "sharpness_sam": True, "hessian": False,
                    "landscape": True, "landscape_points": 3, "noise_scale": False, "sample": 256}}


def read_every_file(root) -> tuple[int, int]:
    """Open every data file in the store as what it claims to be; return (files read, temp files seen)."""
    from safetensors.numpy import load_file
    n = tmp = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if path.name.endswith(".tmp"):
            tmp += 1
            continue
        assert not path.name.endswith(".corrupt"), f"a kill corrupted {path}"
        if path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.suffix == ".safetensors":
            load_file(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text())
        else:
            assert path.name == "runs.lock", path
            continue
        n += 1
    return n, tmp


def wait_for_runs(proc, progress_json, k: int, timeout_s: float = 60) -> None:
    """Until the process has finished ``k`` runs since it started (its --progress-json says so)."""
    t0, target = time.monotonic(), None
    while proc.poll() is None and time.monotonic() - t0 < timeout_s:
        if progress_json.exists():
            done = json.loads(progress_json.read_text()).get("done", 0)
            target = done + k if target is None else target
            if done >= target:
                return
        time.sleep(0.01)


def complete(store, runs, mid) -> set[str]:
    out = set()
    for r in runs:
        if store.has_run(r.run_id) and (store.read_run(r.run_id).status.iloc[0] in ("diverged", "stalled")
                                        or store.has_measure(r.run_id, mid)):
            out.add(r.run_id)
    return out


def test_sigkill_at_random_moments_loses_nothing_and_resume_trains_only_the_missing(tmp_path):
    rng = random.Random(int(os.environ.get("BATCHSCOPE_KILL_SEED", "0")) or None)
    spec_path, root = tmp_path / "crash.toml", tmp_path / "store"
    spec_path.write_text(tomli_w.dumps(SPEC))
    spec = StudySpec.from_toml(spec_path)
    runs, _ = plan_study(spec)
    mid = measure_id_of(spec.measure)
    cmd = [sys.executable, "-m", "studies", "run", str(spec_path), "--store", str(root), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kills, cycles, files_read, tmp_seen, progress = 0, 0, 0, 0, []
    while kills < KILLS and cycles < 3 * KILLS:
        cycles += 1
        prog = tmp_path / f"progress-{cycles}.json"
        proc = subprocess.Popen(cmd + ["--progress-json", str(prog)], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if rng.random() < 0.25:                 # any moment, start-up included
            time.sleep(rng.uniform(0.1, 3.0))
        else:                                   # while runs train, measure and write: after 0-2 more runs
            wait_for_runs(proc, prog, rng.randint(0, 2))
            time.sleep(rng.uniform(0.0, 0.15))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        n, t = read_every_file(root) if root.exists() else (0, 0)
        files_read, tmp_seen = files_read + n, tmp_seen + t
        progress.append(len(complete(open_store(root), runs, mid)) if root.exists() else 0)
    assert kills >= KILLS, f"only {kills} kills in {cycles} tries"
    assert progress == sorted(progress), "a kill lost a finished run"

    store = open_store(root)
    before = complete(store, runs, mid)
    assert len(before) < len(runs), "the study finished between kills; make it larger"
    for d in list(root.glob("runs/*"))[:3] + list(root.glob("studies/*")):   # what a writer killed mid-write
        (d / f".run.parquet.999999.{time.monotonic_ns()}.tmp").write_bytes(b"PAR1 half a file")
    events = []
    resumed, epochs = run_study(spec, store, progress=events.append)
    started = [e["run_id"] for e in events if e["event"] == "run_start"]
    assert sorted(started) == sorted({r.run_id for r in runs} - before), "resume trained other than the missing"
    assert store.problems == []

    clean, clean_epochs = run_study(spec, tmp_path / "clean")
    assert sorted(resumed.run_id) == sorted(clean.run_id) and resumed.run_id.is_unique
    assert len(epochs) == len(clean_epochs) and not epochs.duplicated(["run_id", "epoch"]).any()
    a, b = resumed.sort_values("run_id", ignore_index=True), clean.sort_values("run_id", ignore_index=True)
    assert list(a.status) == list(b.status)
    for col in ("train_loss", "test_acc", "sharpness_sam"):
        if col in b:
            np.testing.assert_allclose(a[col], b[col], rtol=1e-5, atol=1e-6, err_msg=col)
    n, _ = read_every_file(root)
    print(f"FIGURE crash: {kills} SIGKILLs survived in {cycles} starts; runs complete after each kill "
          f"{progress}; resume trained {len(started)} = the {len(runs) - len(before)} missing of {len(runs)}; "
          f"{files_read + n} file reads all whole; {tmp_seen} leftover temp files seen, none read")


class PickleBomb:
    """Unpickling this runs code: it must never happen to a file in the store."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_corrupt_and_hostile_files_are_reported_set_aside_and_recomputed(tmp_path, tiny_spec_dict):
    import pickle
    from studies.storage.store import Store
    spec = StudySpec.from_dict({**tiny_spec_dict, "batch_sizes": [64, 256, 512],
                                "measure": {**tiny_spec_dict["measure"], "sharpness_sam": True}})
    root = tmp_path / "store"
    clean, _ = run_study(spec, root)
    ids = sorted(clean.run_id)
    store = Store(root)
    run_file = lambda i, name: store.run_dir(ids[i]) / name  # noqa: E731
    mid = measure_id_of(spec.measure)
    marker = tmp_path / "pwned"
    damage = {
        run_file(0, "run.parquet"): lambda b: b[: len(b) // 2],                       # truncated
        run_file(1, "epochs.parquet"): lambda b: b"garbage" * 10,                     # overwritten
        run_file(2, "weights.safetensors"): lambda b: b[:-7],                         # truncated
        run_file(3, "weights.safetensors"): lambda b: pickle.dumps(PickleBomb(marker)),   # a pickle bomb
        run_file(4, f"measure-{mid}.parquet"): lambda b: b"PAR1" + b[4:-40],          # measured again only
        root / "studies" / spec.study_id / "runs.parquet": lambda b: b[:100],
        root / "studies" / spec.study_id / "study.json": lambda b: b[:-3],
    }
    for path, f in damage.items():
        path.write_bytes(f(path.read_bytes()))

    # a page loading the study: no exception, the problems listed, a table assembled from the runs' files
    viewer = Store(root)
    assert viewer.load_weights(ids[3]) is None and not marker.exists()
    runs, epochs = viewer.load_study(spec.study_id)      # study.json unreadable too: nothing to assemble from
    assert runs.empty and len(viewer.problems) == 3
    assert all("moved aside" in p for p in viewer.problems)

    # the next run retrains exactly the damaged runs, measures run 4 again, leaves run 5 alone
    events, writer = [], Store(root)
    resumed, _ = run_study(spec, writer, progress=events.append)
    started = {e["run_id"]: e["train"] for e in events if e["event"] == "run_start"}
    assert started == {**{r: True for r in ids[:4]}, ids[4]: False}
    assert sorted(resumed.run_id) == ids and set(resumed.status) == {"done"}
    np.testing.assert_allclose(resumed.sort_values("run_id").train_loss, clean.sort_values("run_id").train_loss,
                               rtol=1e-5)
    assert not marker.exists(), "a pickle in the store was executed"
    recovered = len(viewer.problems) + len(writer.problems)
    assert recovered == len(damage) and len(writer.corrupt_files()) == len(damage)
    assert all(Store(root).has_run(r) for r in ids) and Store(root).problems == []

    # the consolidated table alone unreadable: a page gets it back from the runs' own files
    table = root / "studies" / spec.study_id / "runs.parquet"
    table.write_bytes(b"PAR1")
    page = Store(root)
    again = page.load_table(spec.study_id)
    assert sorted(again.run_id) == ids and len(page.problems) == 1
    print(f"FIGURE corrupt: {recovered + 1} damaged files (truncated, overwritten, a pickle bomb as weights, "
          f"a broken study table and study.json) reported, set aside and recomputed; pickle never executed")
