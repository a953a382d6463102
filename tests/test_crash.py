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
import tomli_w

from studies import StudySpec, open_store, run_study
from studies.runner import measure_id_of, plan_study
from tests.conftest import ROOT

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
        if store.has_run(r.run_id) and (store.read_run(r.run_id).status.iloc[0] == "diverged"
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
