"""studies/spec/budget.py and both engines under it: a step budget takes exactly S updates, an epoch budget ignores
the target, a growing batch's updates are the sum over its phases, and legacy specs keep their run ids."""
import dataclasses
import math

import pytest
import torch

from studies.spec.budget import STOP_RULE, Plan, budget_label, phase_batch_sizes, plan_of, read_budget
from studies.spec.config import SpecError, StudySpec, content_hash
from studies.engine.data import load_dataset
from studies.engine.loop_rules import median_epoch_time
from studies.engine.models import build_model
from studies.engine.stacked import stack_key, train_stacked
from studies.engine.train import train_run
from tests.test_ensemble import METRICS

CPU = torch.device("cpu")
N_DIGITS = 1437   # digits' training set: 90 updates an epoch at B = 16, 23 at 64, 6 at 256


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits")
    assert data.n_train == N_DIGITS
    return data


@pytest.fixture(scope="module")
def d64(digits):
    return dataclasses.replace(digits, x_train=digits.x_train.double(), x_test=digits.x_test.double())


def both_engines(runs, data):
    """(stacked, plain) results of ``runs`` in float64: the stacked engine with every run a member of one
    stack, and each run alone in the plain loop (autograd, torch.optim), so they can be compared closely."""
    model = lambda r: build_model(r.model, r.hidden, data.input_shape, 10, r.seed).double()  # noqa: E731
    stacked = train_stacked(runs, data, CPU, models=[model(r) for r in runs])
    return [(fast, train_run(r, data, CPU, engine="plain", model=model(r))) for r, fast in zip(runs, stacked)]


def assert_same_run(fast, plain):
    assert (fast.status, fast.steps, len(fast.epoch_rows)) == (plain.status, plain.steps, len(plain.epoch_rows))
    for a, b in zip(fast.epoch_rows, plain.epoch_rows):
        for key in ("epoch", "steps", "examples", "epoch_batch_size", "partial"):
            assert a[key] == b[key], key
        assert a["lr"] == pytest.approx(b["lr"], rel=1e-12)
        for key in METRICS:
            assert a[key] == pytest.approx(b[key], rel=1e-8, abs=1e-10), (a["epoch"], key)
    for key in plain.state:
        torch.testing.assert_close(fast.state[key], plain.state[key], rtol=1e-7, atol=1e-9)


def spec(**kw) -> StudySpec:
    d = {"dataset": "digits", "hidden": [32, 16], "batch_sizes": [16], "optimizers": ["momentum"],
         "shuffle": [True], "seeds": [0], "epochs": 2}
    d.update(kw)
    return StudySpec.from_dict(d)


# ---------------------------------------------------------------- the spec

@pytest.mark.parametrize("given, canonical", [("epochs:30", "epochs:30"), ("steps:0400", "steps:400"),
                                               ("examples:120000", "examples:120000"), ("target", "target")])
def test_budgets_are_read_strictly_and_written_one_way(given, canonical):
    assert read_budget(given) == canonical


@pytest.mark.parametrize("fields, words", [
    ({"budgets": ["steps: 400"]}, "whole number after the colon"),
    ({"budgets": ["step:400"]}, "\"epochs:30\", \"steps:6000\""),
    ({"budgets": [400]}, "is not a budget"),
    ({"budgets": ["epochs:0"]}, "from 1 to 10000"),
    ({"budgets": ["steps:-3"]}, "whole number"),
    ({"budgets": ["epochs:3", "epochs:3"]}, "listed twice"),
    ({"budgets": []}, "empty"),
    ({"budgets": ["target"]}, "set target_train_acc or target_train_loss"),
    ({"budgets": ["epochs:2"], "warmup_epochs": 2, "epochs": 5}, "warm-up epochs leave no training"),
    ({"budgets": ["steps:100"], "warmup_epochs": 2, "epochs": 5}, "use fewer warm-up epochs"),
    ({"batch_schedule": "grow"}, "not one of constant, step"),
    ({"batch_schedule": "step", "batch_growth": 1}, "from 2 to 1024"),
    ({"batch_growth": 4}, "set batch_schedule = \"step\""),
    ({"batch_schedule": "step", "budgets": ["epochs:4", "examples:5000"]}, "counts updates"),
])
def test_bad_budget_fields_are_one_line_errors_that_say_what_to_change(fields, words):
    with pytest.raises(SpecError) as e:
        spec(**fields).expand(n_train=N_DIGITS)
    text = str(e.value)
    assert words in text and "\n" not in text
    assert text.split(":")[0] in ("budgets", "warmup_epochs", "batch_schedule", "batch_growth")


def test_warm_up_is_checked_against_the_budget_that_trains():
    runs = spec(budgets=["epochs:50"], warmup_epochs=25, epochs=20).expand(n_train=N_DIGITS)   # epochs unused
    assert runs[0].epochs == 50 and runs[0].warmup_epochs == 25
    with pytest.raises(SpecError, match="warmup_epochs: 25 warm-up epochs leave no training in 20 epochs"):
        spec(budgets=["epochs:50", "target"], target_train_acc=0.9, warmup_epochs=25, epochs=20)


def test_legacy_specs_keep_their_run_and_study_ids():
    """Pinned before budgets existed: cached runs are reused."""
    old = StudySpec.from_dict({"dataset": "digits", "target_train_acc": 0.99, "schedule": "step",
                               "warmup_epochs": 2, "lr": {"sgd": [0.1, 0.2]}})
    runs = old.expand(n_train=N_DIGITS)
    assert old.study_id == "e49a3b56128b1cc8"
    # a run with a target carries budget.STOP_RULE (it now stops at its crossing, so it is trained again);
    # without it, its identity is the pinned one: nothing else changed
    idents = [dict(r.identity()) for r in (runs[0], runs[-1])]
    assert [i.pop("stop_rule") for i in idents] == [STOP_RULE] * 2
    assert [content_hash(i) for i in idents] == ["adde0bd5cbbd7d35", "19c82e7c3e3edc24"]
    assert "budgets" not in old.to_dict() and "batch_schedule" not in old.to_dict()
    assert all(r.budget == "" and "budget" not in r.identity() and "batch_schedule" not in r.identity()
               for r in runs)


def test_each_grid_point_gets_one_budget_with_its_epochs_and_no_target_when_fixed():
    s = spec(batch_sizes=[16, 256], budgets=["epochs:4", "steps:400", "examples:5000", "target"],
             target_train_acc=0.9, epochs=7)
    runs = s.expand(n_train=N_DIGITS)
    assert s.n_runs == len(runs) == 8
    got = {(r.batch_size, r.budget): (r.epochs, r.target_train_acc) for r in runs}
    assert got == {(16, "epochs:4"): (4, 0.0), (16, "steps:400"): (5, 0.0),            # ⌈400/90⌉
                   (16, "examples:5000"): (4, 0.0),                                    # ⌈⌈5000/16⌉ / 90⌉ = ⌈313/90⌉
                   (16, "target"): (7, 0.9),
                   (256, "epochs:4"): (4, 0.0), (256, "steps:400"): (67, 0.0),         # ⌈400/6⌉
                   (256, "examples:5000"): (4, 0.0), (256, "target"): (7, 0.9)}        # ⌈20/6⌉
    assert len({r.run_id for r in runs}) == 8 and all(r.budget in r.identity().values() for r in runs)
    assert len({stack_key(r) for r in runs}) == 8   # members stack only with equal budgets
    assert StudySpec.from_dict(s.to_dict()) == s
    assert runs[1].label.endswith(" steps:400")


def test_budget_column_of_runs_without_one_says_what_they_held_equal():
    assert budget_label("", 20, targeted=False) == "epochs:20"
    assert budget_label("", 20, targeted=True) == "target"
    assert budget_label("steps:400", 5, targeted=False) == "steps:400"


def test_batch_schedule_phases_mirror_the_step_lr_schedule_and_stop_at_the_training_set():
    assert phase_batch_sizes(16, 8, "step", 4, N_DIGITS) == (16,) * 4 + (64,) * 2 + (256,) * 2
    assert phase_batch_sizes(16, 4, "step", 10, N_DIGITS) == (16, 16, 160, 1437)   # 1600 capped
    assert phase_batch_sizes(16, 3, "constant", 10, N_DIGITS) == (16, 16, 16)
    run = spec(epochs=8, batch_schedule="step", batch_growth=4).expand(n_train=N_DIGITS)[0]
    plan = plan_of(run, N_DIGITS)
    assert plan.spe == (90,) * 4 + (23,) * 2 + (6,) * 2 and plan.total_updates == 4 * 90 + 2 * 23 + 2 * 6


def test_a_step_plan_cuts_its_last_epoch_at_exactly_the_cap():
    plan = Plan(batch_sizes=(16,) * 3, spe=(90,) * 3, cap=200, warmup_epochs=0)
    assert [plan.steps_in(e, done) for e, done in ((1, 0), (2, 90), (3, 180))] == [90, 90, 20]
    assert plan.total_steps == 200   # the lr schedule spans the budget


# ---------------------------------------------------------------- the engines

@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_a_step_budget_takes_exactly_its_steps_on_both_engines(d64, schedule):
    runs = spec(budgets=["steps:130"], seeds=[0, 1], schedule=schedule).expand(n_train=N_DIGITS)
    for run, (fast, plain) in zip(runs, both_engines(runs, d64)):
        assert plain.steps == fast.steps == 130 and len(plain.epoch_rows) == 3   # epoch 0, 90 steps, 40 steps
        last = plain.epoch_rows[-1]
        assert last["partial"] and not plain.epoch_rows[1]["partial"]
        assert last["examples"] == N_DIGITS + 40 * 16
        assert_same_run(fast, plain)
    if schedule == "cosine":   # the lr schedule ends with the budget: the last update's lr is cos(π·129/130)
        assert plain.epoch_rows[-1]["lr"] == pytest.approx(run.lr * 0.5 * (1 + math.cos(math.pi * 129 / 130)))


@pytest.mark.usefixtures("one_thread")
def test_an_examples_budget_takes_ceil_x_over_b_steps(digits):
    run = spec(budgets=["examples:1000"], batch_sizes=[64]).expand(n_train=N_DIGITS)[0]
    for result in (train_run(run, digits, CPU), train_run(run, digits, CPU, engine="plain")):
        assert result.steps == 16 and result.epoch_rows[-1]["examples"] == 1024   # ⌈1000/64⌉ updates


@pytest.mark.usefixtures("one_thread")
def test_an_epoch_budget_ignores_the_target_and_target_runs_stop_at_it(digits):
    runs = spec(budgets=["epochs:4", "target"], target_train_acc=0.5, epochs=6, batch_sizes=[32],
                lr={"momentum": 0.05}).expand(n_train=N_DIGITS)
    fixed, targeted = (r for r in runs)
    for engine in ("auto", "plain"):
        a, b = train_run(fixed, digits, CPU, engine=engine), train_run(targeted, digits, CPU, engine=engine)
        assert len(a.epoch_rows) == 5 and not a.reached_target and a.epoch_rows[1]["train_acc"] >= 0.5
        assert b.reached_target and len(b.epoch_rows) == 2


def test_a_growing_batch_counts_every_phase_and_both_engines_agree(d64):
    runs = spec(epochs=4, batch_schedule="step", batch_growth=4, schedule="step", seeds=[0, 1],
                lr={"momentum": 0.05}).expand(n_train=N_DIGITS)
    for run, (fast, plain) in zip(runs, both_engines(runs, d64)):
        assert plain.steps == fast.steps == 2 * 90 + 23 + 6
        rows = plain.epoch_rows[1:]
        assert [r["epoch_batch_size"] for r in rows] == [16, 16, 64, 256]
        assert [r["examples"] for r in rows] == [N_DIGITS * e for e in range(1, 5)]
        # the lr schedule stays tied to epochs: ÷10 from epoch 3 and again from epoch 4, with the batch
        assert [r["lr"] for r in rows] == pytest.approx([0.05, 0.05, 0.005, 0.0005])
        assert_same_run(fast, plain)


def test_a_partial_epoch_is_left_out_of_the_epoch_time():
    rows = [{"epoch": 0, "epoch_time_s": math.nan}] + [
        {"epoch": e, "epoch_time_s": t, "partial": p} for e, t, p in ((1, 9.0, False), (2, 1.0, False),
                                                                      (3, 3.0, False), (4, 0.1, True))]
    assert median_epoch_time(rows) == (2.0, 2)
    cut_only = rows[:1] + [{"epoch": 1, "epoch_time_s": 0.2, "partial": True}]
    assert median_epoch_time(cut_only)[1] == 0


def test_progress_counts_the_epochs_a_step_budget_takes_and_the_row_says_its_budget():
    """The executors announce run.epochs; for steps:130 at B = 16 that is ⌈130/90⌉ = 2, the epochs it trains."""
    from studies.spec.config import MeasureSpec
    from studies.execution.executors import SerialExecutor
    from studies.execution.worker import RunJob
    from tests.conftest import NO_MEASURE

    run = spec(budgets=["steps:130"], hidden=[8]).expand(n_train=N_DIGITS)[0]
    events = []
    [(_, outcome)] = list(SerialExecutor().map([RunJob(run, MeasureSpec.from_dict(NO_MEASURE))], events.append))
    start = [e for e in events if e["event"] == "run_start"]
    assert start[0]["epochs"] == 2 == len([e for e in events if e["event"] == "epoch"])
    row = outcome.row
    assert (row["budget"], row["steps"], row["epochs"], row["examples"]) == ("steps:130", 130, 2, N_DIGITS + 40 * 16)
    assert row["timed_epochs"] == 1 and row["epoch_time_s"] == outcome.epochs.epoch_time_s.iloc[1]   # partial out
