"""The job queue as an attack surface (its files live in a store that may be shared): malformed job files,
a job naming someone else's PID, a log that is a link, traceback lines in a message, a queue that grows
without end."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from studies.office.jobfile import QueueFull, clean_progress, job_problem, viewer_lines
from studies.office.job_queue import JobQueue
from studies.office.jobs import JobManager
from studies.office.progress import progress_view
from tests.test_jobs import FAKE_WORKER, spec

SID = "0123456789abcdef"


def job(**kw):
    base = {"job_id": "0123456789ab", "name": "j", "study_id": SID, "state": "queued", "created": 1.0,
            "slot": "cpu", "pid": None}
    return {**base, **kw}


def test_job_files_are_read_by_schema_and_a_bad_one_never_stops_the_queue(tmp_path):
    assert job_problem(job(), "0123456789ab") is None
    for bad, why in (({}, "no job_id"), (job(pid="12"), "pid is str"), (job(created="now"), "created is str"),
                     (job(study_id="../x"), "not a study id"), (job(state="odd"), "state 'odd'"),
                     (job(pid=True), "pid is not int"), (job(job_id="ffffffffffff"), "not its file's name")):
        assert why in job_problem(bad, "0123456789ab"), bad
    q = JobQueue(tmp_path)
    good = q.submit(spec())
    for name, text in (("0123456789ab", "{}"), ("bbbbbbbbbbbb", json.dumps(job(job_id="bbbbbbbbbbbb", pid="x"))),
                       ("cccccccccccc", "[1]"), ("dddddddddddd", "{" * 50_000)):
        (tmp_path / "jobs" / f"{name}.json").write_text(text)
    (tmp_path / "jobs" / f"{good['job_id']}.progress.json").write_text(json.dumps(
        {"done": "3", "total": [1], "runs": {"r": {"state": "training", "budget": "x"}, "s": 5}}))
    assert [j["job_id"] for j in q.jobs()] == [good["job_id"]] and len(q.problems) == 4
    view = progress_view(q.get(good["job_id"]), q.progress(good["job_id"]))
    assert view["done"] == 0 and view["runs"][0]["run"] == ""
    m = JobManager(tmp_path, command=[sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        m.tick()                                        # the good job starts; the bad files stay out
        assert m.queue.get(good["job_id"])["state"] == "running"
    finally:
        os.killpg(m.queue.get(good["job_id"])["pid"], signal.SIGKILL)
        m.stop()
    assert clean_progress({"done": 2, "loss": "x", "phase": 3}) == {"done": 2}


def test_a_job_naming_another_process_never_gets_it_signalled(tmp_path):
    """The old guard looked for the job id anywhere in the command line: a one-letter id matched almost
    every process, so a planted job with cancel_requested made the manager SIGTERM the dashboard."""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        (tmp_path / "jobs").mkdir()
        (tmp_path / "jobs" / "a.json").write_text(json.dumps(job(job_id="a", state="running", pid=victim.pid,
                                                                 cancel_requested=True, started=1.0)))
        m = JobManager(tmp_path, command=[sys.executable, "-c", FAKE_WORKER])
        m.tick()
        m.tick()
        m.stop()
        time.sleep(0.3)
        assert victim.poll() is None                     # alive: never signalled
        assert m.queue.get("a")["state"] == "cancelled"  # the job is judged dead, not the process
    finally:
        victim.kill()
        victim.wait()


def test_a_job_log_that_is_a_link_is_never_written_through(tmp_path):
    target = tmp_path / "server-file.txt"
    target.write_text("keep me\n")
    m = JobManager(tmp_path / "store", command=[sys.executable, "-c", "print('hello')"])
    q = m.queue
    jid = q.submit(spec())["job_id"]
    q.path(jid, ".log").symlink_to(target)
    m.tick()
    m.stop()
    got = q.get(jid)
    assert got["state"] == "failed" and "could not open its log" in got["message"] and got["pid"] is None
    assert target.read_text() == "keep me\n"


def test_traceback_frames_never_reach_a_viewer(tmp_path):
    log = ["study x: 4 runs", "Traceback (most recent call last):", '  File "/srv/app/studies/x.py", line 3, in f',
           "    secret_call(password)", "    ^^^^^^^^^^^^^^^^^^^^^", "ValueError: column 'a' is not numeric"]
    assert viewer_lines(log) == ["study x: 4 runs", "ValueError: column 'a' is not numeric"]
    m = JobManager(tmp_path, command=[sys.executable, "-c", "raise ValueError('boom')"])
    jid = m.queue.submit(spec())["job_id"]
    m.tick()
    deadline = time.monotonic() + 30
    while m.queue.get(jid)["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        m.tick()
    m.stop()
    message = m.queue.get(jid)["message"]
    assert message == "ValueError: boom", message


def test_a_server_queues_at_most_its_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_MAX_QUEUED", "2")
    q = JobQueue(tmp_path)
    q.submit(spec(name="a"))
    q.submit(spec(name="b"))
    assert q.submit(spec(name="a"))["name"] == "a"       # the same study again: its job, nothing new
    with pytest.raises(QueueFull, match="2 studies are already waiting"):
        q.submit(spec(name="c"))
    assert len(q.jobs()) == 2


def test_text_feature_columns_are_refused_at_the_upload(tmp_path):
    from studies.office.uploads import UploadError, save_csv_upload
    rows = "\n".join(f"{i},{'ab'[i % 2]},{i % 2}" for i in range(20))
    with pytest.raises(UploadError, match="text in: colour"):
        save_csv_upload(f"x,colour,y\n{rows}\n".encode(), tmp_path)


@pytest.mark.usefixtures("restore_main")
def test_the_queues_total_estimate_needs_a_confirmation(tmp_path, monkeypatch):
    """Fifty launches of a short study queued 11.5 h with no question: the page judges the queue's total."""
    from streamlit.testing.v1 import AppTest
    from tests.test_pages import APP
    monkeypatch.setattr(JobManager, "start", lambda self: self)      # nothing runs: the queue stays as written
    monkeypatch.setattr(JobManager, "tick", lambda self: None)
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path))
    q = JobQueue(tmp_path)
    for name in ("a", "b"):
        jid = q.submit(spec(name=name))["job_id"]
        q.update(jid, estimate_s=2000.0)
    at = AppTest.from_file(APP, default_timeout=90).switch_page("pages/1_New_study.py").run()
    launch = [b for b in at.button if b.key == "launch"][0]
    assert not at.exception and launch.disabled
    assert "the queue already holds about" in " ".join(str(w.value) for w in at.warning)
    at.checkbox(key="confirm_long").check().run()
    assert not [b for b in at.button if b.key == "launch"][0].disabled
