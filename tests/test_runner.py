import pandas as pd
import pytest

from studies import StudySpec, open_store, run_study
from studies.spec.config import SpecError


def test_run_study_writes_tidy_tables_and_a_second_run_trains_nothing(tmp_path, tiny_spec_dict):
    spec = StudySpec.from_dict(tiny_spec_dict)
    events = []
    runs, epochs = run_study(spec, tmp_path, progress=events.append)
    assert len(runs) == 4 and set(runs.status) == {"done"}
    for col in ("study_id", "run_id", "dataset", "model", "optimizer", "lr", "batch_size", "shuffle", "seed",
                "epochs", "device", "status", "train_loss", "train_acc", "test_loss", "test_acc", "gap_acc",
                "gap_loss", "epoch_time_s", "total_time_s", "steps", "samples_per_epoch", "error"):
        assert col in runs.columns, col
    assert (runs.gap_acc == runs.train_acc - runs.test_acc).all()
    assert set(epochs.epoch) == {0, 1, 2} and len(epochs) == 4 * 3
    for col in ("study_id", "run_id", "epoch", "epoch_time_s", "lr", "train_loss", "train_acc", "test_loss",
                "test_acc", "steps"):
        assert col in epochs.columns, col
    assert sum(e["event"] == "epoch" for e in events) == 8
    events.clear()
    runs2, _ = run_study(spec, tmp_path, progress=events.append)
    assert not any(e["event"] in ("run_start", "epoch") for e in events)
    pd.testing.assert_frame_equal(runs.sort_values("run_id", ignore_index=True),
                                  runs2.sort_values("run_id", ignore_index=True))
    info = open_store(tmp_path).study_info(spec.study_id)
    assert info["state"] == "done" and info["runs_done"] == 4


def test_a_study_stopped_half_way_resumes_with_the_missing_runs_only(tmp_path, tiny_spec_dict):
    spec = StudySpec.from_dict(tiny_spec_dict)
    seen = []

    def stop_after_two(ev):
        if ev["event"] == "run_end" and ev["done"] == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path, progress=stop_after_two)
    store = open_store(tmp_path)
    assert store.study_info(spec.study_id)["runs_done"] == 2
    assert store.study_info(spec.study_id)["state"] == "stopped"
    run_study(spec, tmp_path, progress=lambda ev: seen.append(ev))
    trained = [e for e in seen if e["event"] == "run_start"]
    assert len(trained) == 2


def test_runs_are_shared_between_studies(tmp_path, tiny_spec_dict):
    run_study(StudySpec.from_dict(tiny_spec_dict), tmp_path)
    seen = []
    renamed = StudySpec.from_dict({**tiny_spec_dict, "name": "renamed"})
    runs, _ = run_study(renamed, tmp_path, progress=seen.append)
    assert len(runs) == 4 and not any(e["event"] == "run_start" for e in seen)
    assert set(runs.study_id) == {renamed.study_id}


def test_a_diverging_run_is_a_row(tmp_path, tiny_spec_dict):
    spec = StudySpec.from_dict({**tiny_spec_dict, "optimizers": ["sgd"], "batch_sizes": [64],
                                "lr": {"sgd": 50.0}, "epochs": 4})
    runs, _ = run_study(spec, tmp_path)
    assert list(runs.status) == ["diverged"] and runs.diverged_epoch.iloc[0] >= 1


def test_batch_larger_than_data_is_refused_before_training(tmp_path, tiny_spec_dict):
    spec = StudySpec.from_dict({**tiny_spec_dict, "batch_sizes": [4096]})
    with pytest.raises(SpecError, match="larger than the training set \\(1437 examples\\)"):
        run_study(spec, tmp_path)


def test_each_per_configuration_view_is_made_once_per_configuration():
    """The 2-D surface goes to a configuration's lowest seed and the audit to its next one (both to the only seed
    of a one-seed configuration); every other measurement to every run; a spec without them passes unchanged."""
    from studies.execution.runner import per_run_measure, view_runs
    spec = StudySpec.from_dict({"name": "v", "dataset": "digits", "batch_sizes": [32, 128], "optimizers": ["sgd"],
                                "seeds": [3, 1, 2], "measure": {"landscape_2d": True, "rescale_audit": True}})
    runs = spec.expand(n_train=1437, device="cpu")
    views = view_runs(runs)
    for r in runs:
        m = per_run_measure(spec.measure, r, views)
        assert (m.landscape_2d, m.rescale_audit) == {1: (True, False), 2: (False, True), 3: (False, False)}[r.seed]
        assert m.hessian and m.sharpness_eps == spec.measure.sharpness_eps and m.sample == spec.measure.sample
    one = StudySpec.from_dict({"name": "o", "dataset": "digits", "seeds": [5],
                               "measure": {"landscape_2d": True, "rescale_audit": True}})
    r = one.expand(n_train=1437, device="cpu")[0]
    assert per_run_measure(one.measure, r, view_runs([r])) is one.measure
    plain = StudySpec.from_dict({"name": "p", "dataset": "digits", "seeds": [0, 1]})
    assert all(per_run_measure(plain.measure, r, {}) is plain.measure for r in plain.expand(n_train=1437, device="cpu"))
