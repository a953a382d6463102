"""[lr] = "auto": the spec reads it (and refuses what it cannot be), the search's lrs stay out of the study id and
enter the grid only at their batch size, and a study run with it ends with every best lr strictly inside the lrs
tried at its batch size, marks the added lrs with a reason, and trains nothing when run again."""
import pytest

from studies import StudySpec
from studies.execution.auto_lr import run_auto
from studies.spec.config import SpecError
from studies.spec.lr_auto import auto_optimizers, with_added
from tests.conftest import NO_MEASURE


def _spec(**kw) -> StudySpec:
    d = {"name": "auto", "dataset": "digits", "hidden": [32], "batch_sizes": [32, 256], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 30, "target_train_loss": 0.3,
         "lr": {"sgd": "auto:0.003"}, "measure": dict(NO_MEASURE)}
    return StudySpec.from_dict({**d, **kw})


def test_auto_reads_and_round_trips():
    s = _spec(lr={"sgd": "auto:0.003", "adam": "AUTO"}, optimizers=["sgd", "adam"])
    assert dict(s.lr) == {"sgd": "auto:0.003", "adam": "auto"} and auto_optimizers(s) == ("sgd", "adam")
    assert s.lrs_for("sgd") == (0.0003, 0.0009487, 0.003, 0.009487, 0.03)
    assert s.lrs_for("adam") == (0.0001, 0.0003162, 0.001, 0.003162, 0.01)
    assert StudySpec.from_toml_text(s.to_toml()) == s


@pytest.mark.parametrize("bad", ["auto:", "auto:x", "auto:-1", "automatic", "0.1"])
def test_a_value_that_is_no_search_is_refused_naming_the_field(bad):
    with pytest.raises(SpecError, match=r"lr\.sgd"):
        _spec(lr={"sgd": bad})


def test_auto_with_lr_scaling_is_refused():
    with pytest.raises(SpecError, match="lr_scaling"):
        _spec(lr_scaling="linear")


def test_added_lrs_keep_the_study_id_and_enter_only_their_batch_size():
    s = _spec()
    more = with_added(s, {("sgd", 256): {0.09487: "best lr at the top"}})
    assert more.study_id == s.study_id
    runs = more.expand(n_train=1000)
    assert sorted({r.lr for r in runs if r.batch_size == 256}) == [0.0003, 0.0009487, 0.003, 0.009487, 0.03, 0.09487]
    assert sorted({r.lr for r in runs if r.batch_size == 32}) == [0.0003, 0.0009487, 0.003, 0.009487, 0.03]


@pytest.mark.slow
def test_the_search_ends_with_every_best_lr_inside_and_a_rerun_trains_nothing(tmp_path):
    spec = _spec()
    runs, _ = run_auto(spec, tmp_path, executor="serial")
    for b, g in runs.groupby("batch_size"):
        tried = sorted(g.lr.unique())
        (best,) = g[g.best_lr].lr.unique()
        assert tried[0] < best < tried[-1], (b, best, tried)
    assert runs.lr_added.any() and not runs.lr_added.all()
    assert all(r.startswith("best lr") or r.startswith("no lr") for r in runs[runs.lr_added].lr_reason)
    assert (runs[~runs.lr_added].lr_reason == "").all()
    events = []
    again, _ = run_auto(spec, tmp_path, executor="serial", progress=events.append)
    assert not [e for e in events if e["event"] == "run_start"]
    assert sorted(again.run_id) == sorted(runs.run_id)


def test_the_search_trains_its_largest_lr_first_so_the_board_prunes_the_small_ones(tmp_path):
    """In the grid's order (smallest lr first) 0.001 and 0.003 trained to their 60-epoch cap (2,700 steps
    each) before 0.3 reached the target in 45 steps and could prune them; run_auto asks for the largest first."""
    from studies.execution.runner import run_study
    spec = _spec(batch_sizes=[32], epochs=60, lr={"sgd": [0.001, 0.003, 0.3]})
    runs, _ = run_study(spec, tmp_path, executor="serial", largest_lr_first=True)
    small = runs[runs.lr < 0.3]
    winner = int(runs[runs.lr == 0.3].steps.iloc[0])   # stops at its crossing, inside an epoch
    spe = -(-1437 // 32)                               # digits at B = 32: the board rules at epoch ends
    # pruned within the winner's epochs, or COLLAPSE_EPOCHS where a run still at chance needs a second epoch to
    # tell a crawl from a collapse (sweeps.Stopper)
    from studies.engine.sweeps import COLLAPSE_EPOCHS
    epochs = max(-(-winner // spe), COLLAPSE_EPOCHS)
    assert (small.status == "pruned").all() and (small.steps <= epochs * spe).all()
