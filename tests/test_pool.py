"""The pool executor: how it plans (stacks, pool, driver), and that pooled and stacked runs store what
the serial executor stores, with honest timing columns; stopping it leaves no worker behind."""
import os
import time

import numpy as np
import pytest
import torch

import studies.execution.pool as pool
from studies import StudySpec, run_study
from studies.execution.worker import RunJob
from studies.execution.timing import Timing, timing_key
from tests.conftest import NO_MEASURE

pytestmark = pytest.mark.slow   # worker process pools

CPU = torch.device("cpu")
SPEC = {"name": "pooled", "dataset": "digits", "hidden": [32], "batch_sizes": [16, 512], "optimizers": ["sgd"],
        "shuffle": [True, False], "seeds": [0, 1], "epochs": 2, "measure": dict(NO_MEASURE)}


def fake_timing(threads_by_batch):
    def time_configs(runs, device):   # the interleaved pass: timing key → Timing for every configuration
        out = {}
        for run in runs:
            t = threads_by_batch[run.batch_size]
            out[timing_key(run, device)] = Timing(
                epoch_time_s=1.0, threads=t, step_time_s=0.01, timed_steps=10, steps_per_epoch=100,
                by_threads={1: 1.0 if t == 1 else 2.0, 2: 2.0 if t == 1 else 1.0})
        return out
    return time_configs


@pytest.fixture
def forced_pool(monkeypatch):
    """Pool and stacks whatever the measured work: small batches one thread, large batches two."""
    monkeypatch.setattr(pool, "POOL_MIN_WORK_S", 0.0)
    monkeypatch.setattr(pool, "STACK_TUNE_MIN_S", 0.0)
    monkeypatch.setattr(pool, "time_configs", fake_timing({16: 1, 512: 2, 64: 1}))
    monkeypatch.setattr(pool, "best_stack", lambda run, data, device, members:   # stacks pay at small batch
                        (2, {1: 1.0, 2: 0.6}) if run.batch_size < 256 else (1, {1: 1.0, 2: 1.1}))


def jobs_of(spec_dict):
    spec = StudySpec.from_dict(spec_dict)
    return [RunJob(r, spec.measure) for r in spec.expand(n_train=1437)]


def test_plan_stacks_small_batches_into_the_pool_and_runs_large_ones_alone(forced_pool):
    pooled, driver = pool.plan(jobs_of(SPEC), CPU, workers=2)
    assert all(u.pooled and u.threads == 1 and u.runs[0].batch_size == 16 for u in pooled)
    assert sorted(len(u.runs) for u in pooled) == [1, 1, 1, 1]   # 4 runs: stacks of 2, halved to 2 units a worker
    assert all(len({r.seed for r in u.runs} | {None}) > 1 for u in pooled)
    assert [(len(u.runs), u.threads, u.pooled) for u in driver] == [(1, 2, False)] * 4   # batch 512: solo
    one_worker, driver1 = pool.plan(jobs_of(SPEC), CPU, workers=1)
    assert one_worker == [] and len(driver1) == 6   # no pool: the stacks train here


def test_a_sweep_that_stacking_halves_stays_in_the_pool_though_its_timing_says_threads_scale(forced_pool,
                                                                                             monkeypatch):
    """A busy machine can make two threads look twice as fast at batch 16 (launch-bound); the stacks'
    per-run-step gain (0.5) still makes side-by-side one-thread stacks the better plan."""
    monkeypatch.setattr(pool, "time_configs", fake_timing({16: 2}))
    monkeypatch.setattr(pool, "best_stack", lambda run, data, device, members: (4, {1: 1.0, 4: 0.5}))
    sweep = {**SPEC, "batch_sizes": [16], "shuffle": [True], "seeds": [0, 1, 2, 3],
             "lr": {"sgd": [0.01, 0.03]}}
    pooled, driver = pool.plan(jobs_of(sweep), CPU, workers=2)
    assert driver == [] and sorted(len(u.runs) for u in pooled) == [2, 2, 2, 2]
    assert len({r.lr for u in pooled for r in u.runs}) == 2   # one stack key for both learning rates


def test_plan_fills_the_workers_and_skips_the_pool_for_small_work(forced_pool, monkeypatch):
    single = {**SPEC, "batch_sizes": [16], "shuffle": [True], "seeds": [0, 1, 2, 3]}
    monkeypatch.setattr(pool, "best_stack", lambda run, data, device, members: (4, {1: 1.0, 4: 0.5}))
    pooled, _ = pool.plan(jobs_of(single), CPU, workers=2)
    assert sorted(len(u.runs) for u in pooled) == [1, 1, 1, 1]   # one stack of 4 halved: two units a worker
    monkeypatch.setattr(pool, "POOL_MIN_WORK_S", 1e9)
    pooled, driver = pool.plan(jobs_of(single), CPU, workers=2)
    assert pooled == [] and [len(u.runs) for u in driver] == [4]


def test_pooled_and_stacked_runs_store_what_the_serial_executor_stores(forced_pool, tmp_path):
    spec = StudySpec.from_dict({**SPEC, "seeds": [0, 1, 2, 3]})   # 8 small runs: 4 stacks of 2, no halving
    events = []
    runs, epochs = run_study(spec, tmp_path / "local", progress=events.append)
    serial, serial_epochs = run_study(spec, tmp_path / "serial", executor="serial")
    runs, serial = (df.sort_values("run_id", ignore_index=True) for df in (runs, serial))
    assert list(runs.run_id) == list(serial.run_id) and set(runs.status) == {"done"}
    for col in ("train_loss", "test_loss", "train_acc", "test_acc"):
        np.testing.assert_allclose(runs[col], serial[col], rtol=1e-4, atol=1e-4, err_msg=col)
    small, large = runs[runs.batch_size == 16], runs[runs.batch_size == 512]
    assert set(small.timing) == {"timing-pass"} and set(small.stack_size) == {2}
    assert (small.epoch_time_s == 1.0).all() and small.shared_epoch_time_s.notna().all()   # the (fake) pass
    # alone with two threads: the same interleaved pass's figure, its own epoch wall times kept beside it
    assert set(large.timing) == {"timing-pass"} and set(large.threads) == {2} and (large.epoch_time_s == 1.0).all()
    assert large.wall_epoch_time_s.notna().all() and large.shared_epoch_time_s.isna().all()
    ep = epochs[epochs.run_id.isin(small.run_id) & (epochs.epoch > 0)]
    assert (ep.epoch_time_s == 1.0).all() and ep.wall_time_s.notna().all()
    kinds = [e["event"] for e in events]
    assert kinds.count("run_start") == 16 and kinds.count("run_end") == 16 and kinds.count("epoch") == 32
    starts = [e["run_id"] for e in events if e["event"] == "run_start" and e["run_id"] in set(small.run_id)]
    assert sorted(starts) == sorted(small.run_id)   # each pooled run trained once, here or in a worker


def test_the_driver_and_the_workers_share_the_units_each_taking_a_unit_once(forced_pool, tmp_path, monkeypatch):
    """Both the driver and the worker take units (the driver from the front, as the worker does), none twice,
    and every run is stored once. The overlap is made to happen, not waited for: the driver holds its first
    unit until a worker has claimed one (the shared claim flags), however slowly the worker starts on a busy
    machine (a fixed 2.5 s sleep lost to a worker that took longer to import torch)."""
    spec = StudySpec.from_dict({**SPEC, "batch_sizes": [16], "shuffle": [True], "seeds": list(range(8))})
    real_unit, real_claim = pool.execute_unit, pool._claim
    flags, mine = [], []

    def claim_here(claimed, token):   # this process's claims: remember the shared flags and what it took
        got = real_claim(claimed, token)
        if not flags:
            flags.append(claimed)
        if got:
            mine.append(token)
        return got

    def after_a_worker_claimed(unit, emit):   # this process only (workers import their own pool module)
        deadline = time.monotonic() + 600    # a bound for a pool that never starts, not a timing assumption
        while sum(flags[0][:]) <= len(mine) and time.monotonic() < deadline:
            time.sleep(0.05)
        return real_unit(unit, emit)
    monkeypatch.setattr(pool, "_claim", claim_here)
    monkeypatch.setattr(pool, "execute_unit", after_a_worker_claimed)
    events = []
    runs, _ = run_study(spec, tmp_path, progress=events.append)
    assert len(runs) == 8 and set(runs.status) == {"done"} and runs.run_id.is_unique
    starts = [(e["pid"], e["run_id"]) for e in events if e["event"] == "run_start"]
    assert len(starts) == 8 and len({r for _, r in starts}) == 8
    pids = {p for p, _ in starts}
    assert os.getpid() in pids and len(pids) == 2, pids


def _workers() -> list[int]:
    """Pids of this test's pool workers: the forkserver's children (Linux /proc)."""
    from multiprocessing import forkserver
    server = getattr(forkserver._forkserver, "_forkserver_pid", None)
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == server:
                    out.append(int(pid))
        except (OSError, ValueError, IndexError):
            pass
    return out


def test_a_killed_worker_fails_its_units_once_and_the_driver_still_finishes_its_own(forced_pool, tmp_path):
    """A worker killed mid-unit breaks the pool: every task then fails, also those of units this process
    took or will take. Each run is still reported exactly once: failed where the worker had it, done where
    this process trained it (a failed task no longer duplicates the driver's outcome)."""
    import signal
    import threading
    spec = StudySpec.from_dict({**SPEC, "batch_sizes": [16], "shuffle": [True], "seeds": list(range(8)),
                                "hidden": [256], "epochs": 300})
    killed = []

    def kill_when_busy():   # the deadline only bounds a pool that never starts: a busy machine may take minutes
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not killed:
            time.sleep(0.5)
            for pid in _workers():
                stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                # training: running, with more CPU time than importing torch takes (~2 s); a worker killed
                # while it still imports holds no unit, and the driver then trains every unit itself
                if stat[0] == "R" and (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK") > 4.0:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
    threading.Thread(target=kill_when_busy, daemon=True).start()
    jobs = [RunJob(r, spec.measure) for r in spec.expand(n_train=1437)]
    out = list(pool.PoolExecutor(workers=2).map(jobs, lambda ev: None))
    ids = [run.run_id for run, _ in out]
    assert killed and sorted(ids) == sorted(j.run.run_id for j in jobs), (killed, len(ids))   # once each
    status = [o.row["status"] for _, o in out]
    assert "failed" in status and "done" in status


def test_stopping_leaves_no_worker_and_resume_trains_only_the_rest(forced_pool, tmp_path):
    spec = StudySpec.from_dict({**SPEC, "batch_sizes": [16], "seeds": [0, 1, 2, 3], "epochs": 3})
    pids = set()

    def stop(ev):
        if ev["event"] == "run_start":
            pids.add(ev["pid"])
        if ev["event"] == "run_end" and ev["done"] == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path, progress=stop)
    deadline = time.monotonic() + 300   # a bound, not an expectation: beside busy loops an exit can take long
    while time.monotonic() < deadline and any(_alive(p) for p in pids - {os.getpid()}):
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids - {os.getpid()})
    seen = []
    runs, _ = run_study(spec, tmp_path, progress=seen.append)
    assert len(runs) == 8 and set(runs.status) == {"done"}
    assert sum(e["event"] == "run_start" for e in seen) == 8 - 2


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie (exited, not yet reaped by its parent) is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def test_waiting_for_the_forkservers_imports_before_timing(tmp_path):
    """A forkserver started early imports torch for ~1-2 s: wait_ready returns once that is over (a later call at
    once), so no timing pass shares the cores with it; without a server it waits for nothing."""
    import subprocess
    import sys
    code = ("from studies.execution import forkserver; none = forkserver.wait_ready(); forkserver.start_early(); "
            "first = forkserver.wait_ready(); second = forkserver.wait_ready(); print(none, first, second)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,   # a hang bound
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    none, first, second = map(float, out.stdout.split())
    assert none == 0.0 and first > 0.3 and second < first / 2
