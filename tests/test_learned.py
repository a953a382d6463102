"""New study's rough time learns from this store (studies/office/learned.py): known answers from a store made
here, the fallback to the built-in estimate, and the page's line saying which it used."""
import pandas as pd
import pytest

from studies import StudySpec
from studies.office import learned
from studies.spec.estimate import STARTUP_S, data_shape, estimate


def _not_training(spec) -> float:
    """The built-in's seconds outside the training loop (startup, measures, views): what the store does not time."""
    return sum(v for k, v in estimate(spec).parts if k not in learned.TRAINING_PARTS)
from studies.storage.store import open_store
from tests.test_pages import open_page, text

BASE = {"name": "like", "dataset": "digits", "hidden": [64], "optimizers": ["sgd"], "shuffle": [True], "seeds": [0],
        "epochs": 4, "lr": {"sgd": 0.05}}


def _store(root, times=(10.0, 20.0, 90.0), stacks=(1, 1, 1), status=("done", "done", "done"), batch=16):
    """A study of three finished B=16 runs of 10 epochs each, taking ``times`` seconds in stacks of ``stacks``."""
    spec = StudySpec.from_dict({**BASE, "name": "past", "batch_sizes": [batch], "seeds": [0, 1, 2],
                                "epochs": 10})
    n_train = data_shape(spec)[0]
    rows = [dict(run_id=r.run_id, dataset="digits", model="mlp", hidden="64", optimizer="sgd", lr=0.05,
                 batch_size=batch, shuffle=True, seed=r.seed, epochs=10, device="cpu", status=s, n_train=n_train,
                 total_time_s=t, stack_size=k, train_loss=0.1, test_acc=0.9)
            for r, t, k, s in zip(spec.expand(n_train=n_train), times, stacks, status)]
    s = open_store(root)
    s.write_tables(spec.study_id, {"runs": [pd.DataFrame(rows)]})
    s.save_study(spec.to_toml(), {"study_id": spec.study_id, "name": "past", "dataset": "digits", "runs_total": 3,
                                  "runs_done": 3, "state": "done", "updated": "2026-01-01T00:00:00"})
    return s


def test_the_median_seconds_per_epoch_of_like_runs_times_the_planned_epochs(tmp_path):
    rates = learned.store_rates(_store(tmp_path))
    assert sorted(rates.s_per_epoch) == [1.0, 2.0, 9.0] and set(rates.engine) == {"plain"}
    spec = StudySpec.from_dict({**BASE, "batch_sizes": [16]})                 # one run of 4 epochs, plain
    got = learned.learned_estimate(spec, rates)
    assert got.source == "store" and got.n_from_store == 3 and got.sizes_from_store == (16,)
    assert got.seconds == pytest.approx(_not_training(spec) + 2.0 * 4)        # median 2 s/epoch × 4 epochs × 1 run
    two = StudySpec.from_dict({**BASE, "batch_sizes": [16], "optimizers": ["sgd"], "lr": {"sgd": [0.05, 0.1]}})
    assert learned.learned_estimate(two, rates).seconds == pytest.approx(_not_training(two) + 2 * 2.0 * 4)   # two lrs
    assert _not_training(spec) > STARTUP_S   # the default measures are priced, not dropped


def test_batch_sizes_without_like_runs_keep_the_built_in_estimate(tmp_path):
    rates = learned.store_rates(_store(tmp_path))
    mixed = StudySpec.from_dict({**BASE, "batch_sizes": [16, 64]})
    got = learned.learned_estimate(mixed, rates)
    at16 = estimate(StudySpec.from_dict({**BASE, "batch_sizes": [16]}))
    at16_loop = sum(v for k, v in at16.parts if k in learned.TRAINING_PARTS)
    assert got.source == "mixed" and got.sizes_from_store == (16,)
    assert got.seconds == pytest.approx(estimate(mixed).seconds - at16_loop + 8.0)
    for other in ({"hidden": [128]}, {"dataset": "moons"}, {"device": "cuda"},   # not like them
                  {"batch_schedule": "step", "batch_growth": 2}):
        spec = StudySpec.from_dict({**BASE, "batch_sizes": [16], **other})
        got = learned.learned_estimate(spec, rates, "cuda" if other.get("device") else "cpu")
        assert got.source == "builtin" and got.n_from_store == 0
        assert got.seconds == pytest.approx(estimate(spec, "cuda" if other.get("device") else "cpu").seconds)


def test_stacked_runs_count_their_share_and_unfinished_runs_none(tmp_path):
    rates = learned.store_rates(_store(tmp_path, times=(30.0, 30.0, 5.0), stacks=(3, 3, 1),
                                       status=("done", "done", "failed")))
    assert list(rates.s_per_epoch) == [1.0, 1.0] and set(rates.engine) == {"stacked"}
    spec = StudySpec.from_dict({**BASE, "batch_sizes": [16], "seeds": [0, 1]})   # 2 seeds: stacked or not, a share
    assert learned.learned_estimate(spec, rates).seconds == pytest.approx(_not_training(spec) + 2 * 1.0 * 4)
    plain = learned.store_rates(_store(tmp_path / "plain"))   # plain runs are like a planned grid of 2 seeds too
    assert learned.learned_estimate(spec, plain).seconds == pytest.approx(_not_training(spec) + 2 * 2.0 * 4)
    assert learned.store_rates(open_store(tmp_path / "empty")).empty


@pytest.mark.slow
@pytest.mark.usefixtures("restore_main")
def test_new_study_says_which_estimate_it_shows(tmp_path, monkeypatch):
    at = open_page("pages/1_New_study.py", tmp_path / "bare", monkeypatch)
    assert not at.exception and "No finished runs like these here" in text(at.caption)
    _store(tmp_path / "seen")
    at = open_page("pages/1_New_study.py", tmp_path / "seen", monkeypatch)
    for key, value in (("f_dataset", "digits"), ("f_hidden", "64"), ("f_batch_sizes", "16"), ("f_seeds", "0"),
                       ("f_epochs", 4), ("f_optimizers", ["sgd"])):
        kind = {"f_dataset": "selectbox", "f_optimizers": "multiselect", "f_epochs": "number_input"}.get(key, "text_input")
        getattr(at, kind)(key=key).set_value(value)
    at.run()
    at.radio(key="f_shuffle").set_value(at.radio(key="f_shuffle").options[0]).run()
    assert not at.exception and not at.error, text(at.error)
    caption = text(at.caption)
    assert "from 3 finished runs in this store" in caption, caption
    at = open_page("pages/1_New_study.py", tmp_path / "bare", monkeypatch, {"lang": "zh"})
    assert "这里没有类似的已完成运行" in text(at.caption)


def test_a_targeted_run_takes_as_long_as_like_runs_took_to_reach_the_same_target(tmp_path):
    store = _store(tmp_path)
    runs = store.load_table(store.list_studies().study_id.iloc[0], "runs")
    runs = runs.assign(target_train_loss=0.01, epochs=[2, 3, 9])   # they stopped at the target: 10, 20, 90 s
    rates = learned.run_rates(runs)
    aimed = StudySpec.from_dict({**BASE, "batch_sizes": [16], "epochs": 300, "target_train_loss": 0.01})
    got = learned.learned_estimate(aimed, rates)
    assert got.seconds == pytest.approx(_not_training(aimed) + 20.0) and not got.capped   # the median run: 20 s
    other = StudySpec.from_dict({**BASE, "batch_sizes": [16], "epochs": 300, "target_train_loss": 0.05})
    got = learned.learned_estimate(other, rates)   # another target: per epoch × the cap, and "at most"
    assert got.capped and got.seconds == pytest.approx(_not_training(other) + 300 * float(rates.s_per_epoch.median()))
    assert not learned.learned_estimate(StudySpec.from_dict({**BASE, "batch_sizes": [16]}), rates).capped
    assert learned.learned_estimate(StudySpec.from_dict({**BASE, "batch_sizes": [64], "target_train_loss": 0.01}),
                                    rates).capped   # no like runs: the built-in's own "at most"
