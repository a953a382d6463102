"""Concurrency: two drivers of one study train each run once (run locks), a dead holder blocks nobody, and
readers never see half a table while a writer rewrites it. About 40 s."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from studies import StudySpec, open_store
from studies.execution.locks import RunLocks
from studies.storage.atomic import atomic_write_parquet
from studies.storage.store import Store
from tests.conftest import NO_MEASURE, ROOT

pytestmark = pytest.mark.slow   # concurrent driver processes

SPEC = {"name": "twice", "dataset": "digits", "hidden": [16], "batch_sizes": [32, 64, 128, 256],
        "optimizers": ["sgd", "adam"], "shuffle": [True, False], "seeds": [0], "epochs": 2,
        "measure": dict(NO_MEASURE)}

# A driver like the dashboard's job worker or the CLI, that also writes down what it trained.
DRIVER = """
import json, sys
from studies import StudySpec, run_study

spec, store, log = StudySpec.from_dict(json.loads(sys.argv[1])), sys.argv[2], open(sys.argv[3], "w")
def event(ev):
    if ev["event"] in ("study_start", "run_start", "run_end", "waiting"):
        log.write(json.dumps({k: ev.get(k) for k in ("event", "run_id", "todo")}) + "\\n"); log.flush()
runs, _ = run_study(spec, store, progress=event)
log.write(json.dumps({"event": "result", "run_ids": sorted(runs.run_id), "status": sorted(set(runs.status))}))
"""


def start_driver(tmp_path, name, spec=SPEC):
    log = tmp_path / f"{name}.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, json.dumps(spec), str(tmp_path / "store"), str(log)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    return proc, log


def events(log):
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []


def trained(log):
    return [e["run_id"] for e in events(log) if e["event"] == "run_start"]


def wait_until(cond, *procs, timeout=120):
    t0 = time.monotonic()
    while not cond():
        assert all(p.poll() is None for p in procs), "a driver finished before the test could kill it"
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.05)


def test_two_drivers_of_one_study_train_each_run_once(tmp_path):
    all_ids = sorted(r.run_id for r in StudySpec.from_dict(SPEC).expand(n_train=1437))
    (a, log_a), (b, log_b) = start_driver(tmp_path, "a"), start_driver(tmp_path, "b")
    for p in (a, b):
        assert p.wait(timeout=300) == 0, p.stderr.read()
    ta, tb = trained(log_a), trained(log_b)
    assert sorted(ta + tb) == all_ids, "a run was trained twice, or not at all"
    for log in (log_a, log_b):   # each driver returns the whole study, the other's runs included
        assert events(log)[-1] == {"event": "result", "run_ids": all_ids, "status": ["done"]}
    waited = sum(e["event"] == "waiting" for e in events(log_a) + events(log_b))
    print(f"FIGURE concurrency: two drivers, {len(all_ids)} runs trained once ({len(ta)} + {len(tb)}), "
          f"{waited} waited for and read back")


def test_a_killed_holder_never_blocks_the_other_driver(tmp_path):
    spec = {**SPEC, "name": "killed", "batch_sizes": [8, 16, 32], "shuffle": [True], "seeds": [0, 1],
            "epochs": 12}                                   # ~1 s a run: the holder is busy for a while
    all_ids = sorted(r.run_id for r in StudySpec.from_dict(spec).expand(n_train=1437))
    one, two = start_driver(tmp_path, "one", spec), start_driver(tmp_path, "two", spec)

    def roles():   # (holder, waiter) once the waiter waits and the holder has finished a run
        for (p, log), (q, qlog) in ((one, two), (two, one)):
            if any(e["event"] == "waiting" for e in events(qlog)) and \
                    any(e["event"] == "run_end" for e in events(log)):
                return (p, log), (q, qlog)
    wait_until(lambda: roles() is not None, one[0], two[0])
    (holder, log_h), (waiter, log_w) = roles()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert waiter.wait(timeout=300) == 0, waiter.stderr.read()
    finished_by_holder = [e["run_id"] for e in events(log_h) if e["event"] == "run_end"]
    assert finished_by_holder and len(finished_by_holder) < len(all_ids)
    assert sorted(set(finished_by_holder) | set(trained(log_w))) == all_ids
    assert not set(finished_by_holder) & set(trained(log_w)), "the waiter retrained a finished run"
    assert events(log_w)[-1]["run_ids"] == all_ids


def test_locks_within_one_process_and_release():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        one, two = RunLocks(d), RunLocks(d)
        assert one.try_claim("0123456789abcdef") and one.try_claim("0123456789abcdef")
        assert not two.try_claim("0123456789abcdef")           # another run_study in this process
        assert two.try_claim("fedcba9876543210")
        one.release("0123456789abcdef")
        assert two.try_claim("0123456789abcdef")
        two.release_all()
        probe = subprocess.run([sys.executable, "-c", "import sys; from studies.execution.locks import RunLocks; "
                                "sys.exit(0 if RunLocks(sys.argv[1]).try_claim('0123456789abcdef') else 1)", d],
                               cwd=ROOT)
        assert probe.returncode == 0                              # released for other processes too


WRITER = """
import sys, pandas as pd
from studies.storage.atomic import atomic_write_parquet
from pathlib import Path
path, n = Path(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    k = 1 + (i * 7919) % 4000                       # tables of 1 to 4000 rows, every one self-consistent
    atomic_write_parquet(path, pd.DataFrame({"study_id": "ab" * 8, "k": [k] * k, "x": range(k), "run_id": "r",
                                             "status": "done", "batch_size": 8, "optimizer": "sgd"}))
"""


def test_readers_never_see_half_a_table_while_a_writer_rewrites_it(tmp_path):
    sid = "ab" * 8
    store = Store(tmp_path)
    path = store.study_dir(sid) / "runs.parquet"
    atomic_write_parquet(path, pd.DataFrame({"study_id": sid, "k": [1], "x": [0], "run_id": "r", "status": "done",
                                             "batch_size": 8, "optimizer": "sgd"}))   # a runs table's columns
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "400"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    reads, errors = [0, 0], []

    def reader(slot):
        viewer = Store(tmp_path)
        while writer.poll() is None:
            df = viewer.load_table(sid)
            if not (len(df) == df.k.iloc[0] and set(df.k) == {len(df)} and list(df.x) == list(range(len(df)))):
                errors.append(len(df))
            reads[slot] += 1
        errors.extend(viewer.problems)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert writer.wait(timeout=60) == 0 and errors == [] and min(reads) > 20
    assert [p.name for p in path.parent.iterdir()] == ["runs.parquet"]     # no temp file left behind
    print(f"FIGURE readers: {sum(reads)} reads by 2 reader threads during 400 rewrites, none half-written")
