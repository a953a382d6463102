"""`python -m studies retime`: a stored study's epoch and step times re-measured without training anything (losses,
epochs and weights byte for byte the same), the timing columns rewritten in the run rows and the study table,
the summary's time to the target following them; a bad study name is one line; the dashboard queues it as a job."""
import sys

import pandas as pd
import pytest

from studies import StudySpec, run_study
from studies.cli import main
from studies.execution import interleave
from studies.office.jobs import JobManager
from studies.storage.store import open_store
from tests.conftest import NO_MEASURE

pytestmark = pytest.mark.slow   # trains a small study, then a real timing pass

SPEC = {"name": "retimed", "dataset": "digits", "hidden": [32], "batch_sizes": [16, 256], "optimizers": ["sgd"],
        "shuffle": [True], "seeds": [0, 1], "epochs": 30, "target_train_acc": 0.6, "lr": {"sgd": 0.1},
        "measure": dict(NO_MEASURE)}


@pytest.fixture
def study(tmp_path):
    spec = StudySpec.from_dict(SPEC)
    run_study(spec, tmp_path / "s")
    return spec, open_store(tmp_path / "s")


def files(store, runs):
    return {(rid, name): (store.run_dir(rid) / name).read_bytes() for rid in runs.run_id
            for name in ("epochs.parquet", "weights.safetensors")}


def test_retime_trains_nothing_and_rewrites_the_timing_columns(study, capsys):
    spec, store = study
    before = store.load_table(spec.study_id, "runs")
    kept = files(store, before)
    assert main(["retime", "retimed", "--store", str(store.root)]) == 0
    assert "nothing trained" in capsys.readouterr().out
    after = store.load_table(spec.study_id, "runs")
    assert files(store, after) == kept   # epochs and weights untouched
    cols = ["run_id", "train_loss", "test_acc", "steps", "status", "reached_target", "best_lr"]
    pd.testing.assert_frame_equal(before[cols], after[cols])
    assert after.retimed_at.notna().all() and (after.timing_statistic == "min").all()
    assert (after.timing_repeats == interleave.ROUNDS).all() and (after.timing_interleaved == 2).all()
    assert (after.epoch_time_s > 0).all() and (after.epoch_time_s <= after.epoch_time_median_s).all()
    assert after.wall_epoch_time_s.notna().all()
    for rid in after.run_id:   # each run's own row says the same as the study table
        row = store.read_run(rid).iloc[0]
        assert row.epoch_time_s == after.set_index("run_id").loc[rid, "epoch_time_s"]
    # the summary's time to the target is steps × the new step time
    main(["export", "retimed", "--store", str(store.root), "--table", "runs", "-o", str(store.root / "r.csv")])
    r = pd.read_csv(store.root / "r.csv")
    done = r[r.reached_target.astype(bool)]
    assert len(done) and done.time_to_target_s.tolist() == pytest.approx((done.steps * done.step_time_s).tolist())


def test_retime_of_an_unknown_study_is_one_line(study, capsys):
    _, store = study
    assert main(["retime", "nonesuch", "--store", str(store.root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no study named 'nonesuch'" in err[0]


def test_the_dashboard_queues_a_retime_as_a_job(study):
    spec, store = study
    m = JobManager(store.root, poll_s=0.2)
    try:
        job = m.retime(spec.study_id, spec.name, "cpu")
        assert m.job_argv(job)[:4] == [sys.executable, "-m", "studies", "retime"]
        assert m.retime(spec.study_id, spec.name, "cpu")["job_id"] == job["job_id"]   # not queued twice
        import time
        deadline = time.monotonic() + 240
        while m.queue.get(job["job_id"])["state"] in ("queued", "running") and time.monotonic() < deadline:
            m.tick()
            time.sleep(0.2)
        done = m.queue.get(job["job_id"])
        assert done["state"] == "done", done
        assert store.load_table(spec.study_id, "runs").retimed_at.notna().all()
    finally:
        m.stop()
