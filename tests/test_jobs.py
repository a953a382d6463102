"""The job queue: on disk, one worker per device, cancel kills the process group, a restart adopts or flags
workers, resume finishes a study killed half-way without retraining its finished runs."""
import os
import signal
import sys
import time

import pytest

from studies import StudySpec
from studies.office.clusters import ClusterError, cluster_address, configured_clusters
from studies.engine.device import device_slot
from studies.office.job_queue import JobQueue
from studies.office.jobs import JobManager
from studies.office.progress import progress_view

NO_MEASURE = {"sharpness_eps": [], "sharpness_random": False, "sharpness_sam": False, "hessian": False,
              "landscape": False, "noise_scale": False}
# A stand-in worker: starts a grandchild (to prove the whole group is stopped), records its pid, sleeps.
FAKE_WORKER = """
import subprocess, sys, time
from pathlib import Path
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
progress = Path(sys.argv[sys.argv.index("--progress-json") + 1])
progress.with_suffix(".child").write_text(str(child.pid))
time.sleep(120)
"""


def spec(name="job", device="cpu", **kw):
    d = {"name": name, "dataset": "digits", "hidden": [8], "batch_sizes": [256], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 1, "device": device, "measure": dict(NO_MEASURE)}
    return StudySpec.from_dict({**d, **kw})


def wait_for(predicate, timeout=60.0, tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if predicate():
            return True
        time.sleep(0.1)
    raise AssertionError("timed out")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = f"/proc/{pid}/stat"
    return not (os.path.exists(stat) and open(stat).read().split(") ")[1].startswith("Z"))


@pytest.fixture
def fake(tmp_path):
    managers = []

    def make():
        m = JobManager(tmp_path, command=[sys.executable, "-c", FAKE_WORKER])
        managers.append(m)
        return m
    yield make
    for m in managers:       # never leave a stand-in running
        for job in m.queue.jobs():
            if job.get("pid"):
                try:
                    os.killpg(job["pid"], signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        m.stop()


def test_submit_writes_the_queue_on_disk_and_does_not_queue_a_study_twice(tmp_path):
    q = JobQueue(tmp_path)
    job = q.submit(spec())
    assert (tmp_path / "jobs" / f"{job['job_id']}.json").exists()
    assert StudySpec.from_toml(tmp_path / "jobs" / f"{job['job_id']}.toml") == spec()
    assert q.submit(spec())["job_id"] == job["job_id"]
    assert [j["state"] for j in JobQueue(tmp_path).jobs()] == ["queued"]     # a new reader sees it: it is on disk
    assert not list((tmp_path / "jobs").glob("*.tmp"))


def test_one_worker_per_device(fake):
    m = fake()
    a, b = m.submit(spec("a")), m.submit(spec("b"))
    c = m.submit(spec("c", device="cuda"))           # another device gets its own worker
    states = {j["name"]: j["state"] for j in m.queue.jobs()}
    assert states == {"a": "running", "b": "queued", "c": "running"}
    m.cancel(a["job_id"])
    wait_for(lambda: m.queue.get(b["job_id"])["state"] == "running", tick=m.tick)
    assert m.queue.get(a["job_id"])["state"] == "cancelled"
    assert c["slot"] == "cuda" and device_slot("cpu") == "cpu"


def test_cancel_stops_the_whole_process_group(fake):
    m = fake()
    job = m.submit(spec())
    child_file = m.queue.path(job["job_id"], ".progress.child")
    wait_for(child_file.exists)
    child = int(child_file.read_text())
    m.cancel(job["job_id"])
    wait_for(lambda: m.queue.get(job["job_id"])["state"] == "cancelled", tick=m.tick)
    wait_for(lambda: not alive(child), timeout=10)


def test_a_queued_job_is_cancelled_without_starting(tmp_path):
    q = JobQueue(tmp_path)
    job = q.submit(spec())
    assert q.cancel(job["job_id"])["state"] == "cancelled"


def test_a_restarted_dashboard_adopts_a_live_worker_and_flags_a_dead_one(fake):
    first = fake()
    job = first.submit(spec())
    first.stop()                                   # the dashboard goes away; its worker keeps running
    second = fake()
    second.tick()
    assert second.queue.get(job["job_id"])["state"] == "running"      # adopted through its PID
    pid = second.queue.get(job["job_id"])["pid"]
    os.killpg(pid, signal.SIGKILL)
    first._procs[job["job_id"]].wait()              # reap it (in real life its parent is gone)
    second.tick()
    got = second.queue.get(job["job_id"])
    assert got["state"] == "interrupted" and "resume" in got["message"]
    assert second.resume(job["job_id"])["state"] == "running"


def test_progress_view_extrapolates_the_pace_of_this_attempt():
    job = {"state": "running", "started": 100.0, "done_at_start": 2, "n_runs": 10}
    prog = {"total": 10, "done": 4, "current": "sgd B=8", "epoch": 5, "epochs": 10, "loss": 0.5}
    v = progress_view(job, prog, now=150.0)
    assert v["elapsed_s"] == 50.0
    assert v["remaining_s"] == pytest.approx(50.0 / 2.5 * 5.5)     # 2.5 runs in 50 s, 5.5 to go
    assert v["fraction"] == pytest.approx(0.45) and v["done"] == 4 and v["total"] == 10
    assert progress_view({"state": "queued", "n_runs": 3}, {})["remaining_s"] is None


@pytest.mark.slow
def test_a_study_killed_half_way_resumes_without_retraining(tmp_path):
    from studies.storage.store import open_store
    m = JobManager(tmp_path, poll_s=0.2)
    # adam reaches the target in an epoch or two; sgd at a tiny LR trains all 40 epochs: time to kill it
    # (the runner may train several runs side by side, so some finish first whatever their order).
    s = spec(hidden=[32], batch_sizes=[8], optimizers=["adam", "sgd"], lr={"adam": 0.01, "sgd": 1e-5},
             epochs=40, target_train_acc=0.9, seeds=[0, 1, 2])
    job = m.submit(s)
    jid = job["job_id"]
    wait_for(lambda: m.queue.progress(jid).get("done", 0) >= 1, timeout=120, tick=m.tick)
    m.cancel(jid)
    wait_for(lambda: m.queue.get(jid)["state"] == "cancelled", timeout=30, tick=m.tick)
    store = open_store(tmp_path)
    first = {r.run_id: store.read_run(r.run_id) for r in s.expand(n_train=1437)}
    kept = {rid: row["finished_at"].iloc[0] for rid, row in first.items() if row is not None}
    assert kept, "the first run was kept"
    assert len(kept) < len(first), "killed half-way"
    assert m.resume(jid)["state"] == "running"
    wait_for(lambda: m.queue.get(jid)["state"] == "done", timeout=180, tick=m.tick)
    runs = store.load_table(s.study_id, "runs")
    # sgd at lr 1e-5 barely moves: it may end at chance accuracy, "stalled" (loop_rules.end_status), still finished
    assert len(runs) == len(first) and set(runs[runs.optimizer == "adam"].status) == {"done"}
    assert set(runs.status) <= {"done", "stalled"}
    for rid, finished in kept.items():                  # finished runs were not trained again
        assert store.read_run(rid)["finished_at"].iloc[0] == finished
    m.stop()


def test_a_ray_job_takes_its_address_from_the_servers_list_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_RAY_CLUSTERS", "lab=head:6379,here=local")
    m = JobManager(tmp_path, command=["worker"])
    job = JobQueue(tmp_path).submit(spec(), "ray", "lab")
    assert job["slot"] == "ray:lab" and job["executor"] == "ray" and job["cluster"] == "lab"
    argv = m.job_argv(job)
    assert argv[:2] == ["worker", str(tmp_path / "jobs" / f"{job['job_id']}.toml")]
    assert argv[-4:] == ["--executor", "ray", "--address", "head:6379"]
    local = JobQueue(tmp_path).submit(spec("other"))
    assert local["slot"] == "cpu" and "--executor" not in m.job_argv(local)


def test_a_local_ray_job_waits_for_the_device_like_a_pool_job(tmp_path, monkeypatch):
    """One device, one running study, whatever the executor: a local Ray trains on these cores."""
    monkeypatch.setenv("BATCHSCOPE_RAY_CLUSTERS", "here=local")
    m = JobManager(tmp_path, command=[sys.executable, "-c", "import time; time.sleep(30)"])
    q = JobQueue(tmp_path)
    pool = q.submit(spec("pool-job"))
    ray = q.submit(spec("ray-job"), "ray", "here")
    assert ray["slot"] == pool["slot"] == "cpu"
    assert m.job_argv(ray)[-2:] == ["--executor", "ray"]          # no address: Ray starts here
    try:
        m.tick()
        assert q.get(pool["job_id"])["state"] == "running" and q.get(ray["job_id"])["state"] == "queued"
    finally:
        m.cancel(pool["job_id"])


def test_no_address_from_a_visitor_or_a_job_file_reaches_ray(tmp_path, monkeypatch):
    """Unlisted names are refused at submit; a job file edited in a shared store (an "address" field, a
    cluster the server does not list) fails with a message instead of connecting anywhere."""
    monkeypatch.delenv("BATCHSCOPE_RAY_CLUSTERS", raising=False)
    q = JobQueue(tmp_path)
    with pytest.raises(ClusterError, match="not configured on this server"):
        q.submit(spec(), "ray", "evil.example:6379")
    assert q.jobs() == []
    job = q.submit(spec())
    q.update(job["job_id"], executor="ray", cluster="x", address="evil.example:6379")
    m = JobManager(tmp_path, command=["worker"])
    m.tick()
    failed = q.get(job["job_id"])
    assert failed["state"] == "failed" and "not configured" in failed["message"] and failed["pid"] is None


def test_the_cluster_setting_is_parsed_strictly():
    assert configured_clusters({"BATCHSCOPE_RAY_CLUSTERS": " a=h:1 , b=ray://h:10001,c=local"}) == \
        {"a": "h:1", "b": "ray://h:10001", "c": "local"}
    assert configured_clusters({}) == {}
    assert cluster_address("c", {"BATCHSCOPE_RAY_CLUSTERS": "c=local"}) == ""
    for bad in ("justaname", "a=h:1,a=h:2", "a=h 1", "a=$(rm -rf)", "=h:1"):
        with pytest.raises(ClusterError):
            configured_clusters({"BATCHSCOPE_RAY_CLUSTERS": bad})


def test_progress_view_starts_from_the_estimate_and_lists_the_runs():
    """The reported case: an 84 s job estimated at 2 min; 5 s in, 2 % done, the first ETA stays near 2 min
    (the pace alone said hours). The per-run rows and the phase come from the progress file."""
    job = {"state": "running", "started": 100.0, "n_runs": 6, "estimate_s": 120.0}
    prog = {"total": 6, "todo": 6, "done": 0, "estimate_s": 120.0, "phase": "training",
            "runs": {"a": {"run": "sgd B=8", "state": "training", "epochs": 1, "budget": 8, "started": 101.0}}}
    v = progress_view(job, prog, now=105.0)
    assert 100 < v["remaining_s"] < 130
    assert v["fraction"] == pytest.approx(1 / 8 / 6) and v["phase"] == "training"
    assert v["runs"] == [{"run_id": "a", "run": "sgd B=8", "state": "training", "epochs": "1/8", "reached_target": None,
                          "time_s": 4.0}]
    prog["runs"]["a"].update(state="done", epochs=5, reached_target=True, time_s=30.0)
    prog.update(done=3, phase="measuring", runs={**prog["runs"], "b": {"run": "sgd B=64", "state": "measuring",
                                                                      "epochs": 8, "budget": 8, "started": 130}})
    v = progress_view(job, prog, now=142.0)            # 4 of 6 runs' work in 42 s: the pace decides, 21 s left
    assert v["remaining_s"] == pytest.approx(21.0) and v["fraction"] == pytest.approx(4 / 6)
    assert v["runs"][0]["reached_target"] is True and v["runs"][1]["state"] == "measuring"
    assert progress_view({"state": "queued", "n_runs": 3, "estimate_s": 50.0}, {})["remaining_s"] == 50.0


def test_a_submitted_job_carries_the_forms_estimate(tmp_path):
    from studies import StudySpec
    job = JobQueue(tmp_path).submit(StudySpec.from_dict({"dataset": "digits", "batch_sizes": [64]}))
    assert job["estimate_s"] > 0


# A real worker (`studies run`) that aborts with SIGABRT after its work (Arrow's exit abort), or before any.
ABORTING_WORKER = """
import os, signal, sys
if sys.argv[1] == "after":
    from studies.cli import main
    main(["run", *sys.argv[2:]])
os.kill(os.getpid(), signal.SIGABRT)
"""


@pytest.mark.slow
def test_a_worker_that_aborts_after_storing_every_run_leaves_the_job_done(tmp_path):
    states = {}
    for when in ("after", "before"):
        m = JobManager(tmp_path / when, command=[sys.executable, "-c", ABORTING_WORKER, when], poll_s=0.2)
        jid = m.submit(spec(name=when))["job_id"]
        wait_for(lambda: m.queue.get(jid)["state"] not in ("queued", "running"), timeout=120, tick=m.tick)
        job = m.queue.get(jid)
        states[when] = (job["state"], job["returncode"])
        m.stop()
    assert states["after"] == ("done", -signal.SIGABRT)      # every run stored: done, whatever the signal
    assert states["before"] == ("failed", -signal.SIGABRT)   # nothing stored: the abort is a failure
