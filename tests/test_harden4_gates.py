"""Hardening round 4 (issue 29), the gates: every way into the queue passes Launch's checks (hole 3), uploads
are bounded per server and per session and expire unlaunched (hole 4), and the form refuses what the CLI and its
own job refuse, through the one check they share (hole 8)."""
import os
import time

import pytest

from studies.office.job_queue import JobQueue
from studies.office.jobfile import NeedsConfirmation, QueueFull
from studies.office.uploads import UploadError, save_csv_upload, sweep_uploads
from studies.spec.config import SpecError, StudySpec
from studies.spec.runnable import check_runnable


def spec(**kw) -> StudySpec:
    d = {"name": "gate", "dataset": "digits", "hidden": [16], "batch_sizes": [64], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 2}
    d.update(kw)
    return StudySpec.from_dict(d)


# ---------------------------------------------------------------- hole 3: resume is a way into the queue

def test_resume_keeps_the_servers_queue_limit(tmp_path, monkeypatch):
    """The probe: limit 3, launch three, cancel them, launch three more, resume the first: six waiting."""
    monkeypatch.setenv("BATCHSCOPE_MAX_QUEUED", "3")
    q = JobQueue(tmp_path)
    first = [q.submit(spec(name=f"a{i}", seeds=[i]))["job_id"] for i in range(3)]
    for jid in first:
        q.cancel(jid)
    for i in range(3):
        q.submit(spec(name=f"b{i}", seeds=[10 + i]))
    with pytest.raises(QueueFull):
        q.resume(first[0])
    assert sum(j["state"] == "queued" for j in q.jobs()) == 3 and q.get(first[0])["state"] == "cancelled"


def test_resume_and_submit_ask_for_launchs_confirmation(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_CONFIRM_HOURS", "1")
    q = JobQueue(tmp_path)
    long = q.submit(spec())["job_id"]
    q.cancel(long)
    q.update(long, estimate_s=5000.0)        # stored when it was launched: above the hour
    with pytest.raises(NeedsConfirmation) as e:
        q.resume(long)
    assert e.value.estimate_s == 5000.0 and q.get(long)["state"] == "cancelled"
    assert q.resume(long, confirmed=True)["state"] == "queued"
    with pytest.raises(NeedsConfirmation):   # a second study behind it passes the hour too
        q.submit(spec(name="behind", seeds=[1]))
    assert len(q.jobs()) == 1
    assert q.submit(spec(name="behind", seeds=[1]), confirmed=True)["state"] == "queued"


# ---------------------------------------------------------------- hole 4: uploads

def _csv(k: int, rows: int = 40) -> bytes:
    return b"a,b,y\n" + b"".join(f"{i},{i * k},{i % 2}\n".encode() for i in range(rows))


def test_uploads_count_per_session_and_fit_a_server_quota(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_UPLOADS_PER_SESSION", "2")
    save_csv_upload(_csv(1), tmp_path, session_uploads=0)
    save_csv_upload(_csv(2), tmp_path, session_uploads=1)
    with pytest.raises(UploadError, match="this session has uploaded 2 files"):
        save_csv_upload(_csv(3), tmp_path, session_uploads=2)
    used = sum(p.stat().st_size for p in (tmp_path / "uploads").glob("*.csv"))
    monkeypatch.setenv("BATCHSCOPE_UPLOAD_QUOTA_MB", str((used + 100) / 2 ** 20))   # room for 100 more bytes
    with pytest.raises(UploadError, match="the server keeps") as e:
        save_csv_upload(_csv(4), tmp_path)
    assert "\n" not in str(e.value) and len(list((tmp_path / "uploads").glob("*.csv"))) == 2


def test_an_upload_not_launched_in_time_is_removed_and_a_launched_one_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_UPLOAD_HOURS", "1")
    idle = save_csv_upload(_csv(1), tmp_path)["dataset"][4:]
    used = save_csv_upload(_csv(2), tmp_path)["dataset"][4:]
    q = JobQueue(tmp_path)
    q.submit(StudySpec.from_dict({"name": "mine", "dataset": "csv:" + used, "batch_sizes": [8], "epochs": 1}))
    old = time.time() - 2 * 3600
    for p in (idle, used):
        os.utime(p, (old, old))
    assert sweep_uploads(tmp_path) == [os.path.basename(idle)]
    assert not os.path.exists(idle) and os.path.exists(used)
    fresh = save_csv_upload(_csv(3), tmp_path)["dataset"][4:]
    assert sweep_uploads(tmp_path) == [] and os.path.exists(fresh)   # within its hour: kept
    with pytest.raises(SpecError, match="upload the CSV again"):   # a form still holding the removed one
        check_runnable(StudySpec.from_dict({"dataset": "csv:" + idle, "batch_sizes": [8]}))


@pytest.mark.slow
def test_new_study_says_the_upload_limits(tmp_path, monkeypatch):
    from tests.test_pages import open_page, text
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, run=False).run(timeout=300)
    at.selectbox(key="f_dataset").set_value("csv (upload your own)").run(timeout=300)
    assert not at.exception and "per browser session" in text(at.caption) and "is removed" in text(at.caption)


# ---------------------------------------------------------------- hole 8: one check for the form, the CLI, the job

def test_a_spec_too_big_for_its_job_is_refused_by_the_check_the_cli_and_the_queue_share(tmp_path):
    big = spec(budgets=[f"steps:{i + 1}" for i in range(10_000)])
    with pytest.raises(SpecError) as e:
        check_runnable(big)
    assert e.value.field == "budgets" and "more than the 65,536" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(SpecError, match="65,536"):
        JobQueue(tmp_path).submit(big)
    assert JobQueue(tmp_path).jobs() == []
    from studies.office.form import build_spec, form_defaults
    values = {**form_defaults(), "batch_sizes": "16", "optimizers": ["sgd"], "seeds": "0", "shuffle": "on",
              "budgets": ", ".join(f"steps:{i + 1}" for i in range(10_000))}
    with pytest.raises(SpecError, match="65,536"):
        build_spec(values)


@pytest.mark.slow
def test_the_form_refuses_ten_thousand_budgets_and_queues_nothing(tmp_path, monkeypatch):
    from tests.test_pages import open_page, text
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch, run=False).run(timeout=300)
    at.text_input(key="f_batch_sizes").set_value("16")   # the acceptance check's grid: one configuration
    at.multiselect(key="f_optimizers").set_value(["sgd"])
    at.text_input(key="f_seeds").set_value("0")
    at.radio(key="f_shuffle").set_value(at.radio(key="f_shuffle").options[0]).run(timeout=300)
    at.text_input(key="f_budgets").set_value(", ".join(f"steps:{i + 1}" for i in range(10_000))).run(timeout=300)
    assert not at.exception and "more than the 65,536" in text(at.error)
    assert "launch" not in [b.key for b in at.button] and "toml_download" not in [b.key for b in at.download_button]
    assert not list((tmp_path / "jobs").glob("*.toml")) if (tmp_path / "jobs").exists() else True
