import math

import pytest
import torch

from studies.spec.config import StudySpec
from studies.engine.data import load_dataset
from studies.engine.train import train_run

CPU = torch.device("cpu")


def run_of(**kw):
    d = {"dataset": "digits", "hidden": [32], "batch_sizes": [64], "optimizers": ["sgd"], "shuffle": [True],
         "epochs": 3}
    d.update(kw)
    spec = StudySpec.from_dict(d)
    return spec.expand(n_train=load_dataset("digits").n_train)[0]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_a_run_learns_and_reports_every_epoch(digits):
    res = train_run(run_of(), digits, CPU)
    assert res.status == "done" and [r["epoch"] for r in res.epoch_rows] == [0, 1, 2, 3]
    assert res.epoch_rows[0]["steps"] == 0 and math.isnan(res.epoch_rows[0]["epoch_time_s"])
    assert res.final["train_acc"] > 0.85 > res.epoch_rows[0]["train_acc"]
    assert res.steps == 3 * math.ceil(1437 / 64) and res.samples_per_epoch == 1437
    # the first epoch is warm-up, not in the median; nor is an epoch another process held the core for
    timed = [r for r in res.epoch_rows[2:] if not r["cpu_share"] < 0.8] or res.epoch_rows[2:]
    assert res.timed_epochs == len(timed) and 1 <= len(timed) <= 2
    times = [r["epoch_time_s"] for r in timed]
    assert res.epoch_time_s == pytest.approx(sorted(times)[len(times) // 2] if len(times) % 2 else sum(times) / 2)


def test_drop_last_changes_samples_per_epoch(digits):
    res = train_run(run_of(drop_last=True, epochs=1), digits, CPU)
    assert res.samples_per_epoch == 1437 // 64 * 64 and res.steps == 1437 // 64


def test_huge_learning_rate_ends_as_diverged_not_a_crash(digits):
    res = train_run(run_of(lr={"sgd": 50.0}, epochs=5), digits, CPU)
    assert res.status == "diverged" and res.diverged_epoch is not None
    assert len(res.epoch_rows) - 1 == res.diverged_epoch


def test_early_stop_at_target_train_accuracy(digits):
    res = train_run(run_of(optimizers=["adam"], epochs=50, target_train_acc=0.9), digits, CPU)
    assert res.reached_target and len(res.epoch_rows) - 1 < 50
    assert res.final["train_acc"] >= 0.9 and res.epoch_rows[-2]["train_acc"] < 0.9


def test_both_targets_must_hold(digits):
    """The accuracy target is met at epoch 1, the loss target only later: the run must go on until both hold
    and stop at the first epoch where they do (the old test passed without checking when neither was met)."""
    res = train_run(run_of(optimizers=["adam"], lr={"adam": 0.01}, epochs=40, target_train_acc=0.8,
                           target_train_loss=0.05), digits, CPU)
    rows = res.epoch_rows[1:]
    both = [r["train_acc"] >= 0.8 and r["train_loss"] <= 0.05 for r in rows]
    acc_only = [r["train_acc"] >= 0.8 and r["train_loss"] > 0.05 for r in rows]
    assert res.reached_target and res.status == "done" and len(rows) < 40
    assert both[-1] and not any(both[:-1])      # stopped at the first epoch where both hold, not before
    assert acc_only[0]                          # accuracy alone would have stopped it at epoch 1


def test_same_seed_same_result_and_shuffle_modes_differ(digits):
    a = train_run(run_of(epochs=2), digits, CPU)
    b = train_run(run_of(epochs=2), digits, CPU)
    assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)
    fixed = train_run(run_of(epochs=2, shuffle=[False]), digits, CPU)
    # same first epoch (same first permutation), different second epoch
    assert a.epoch_rows[1]["train_loss"] == pytest.approx(fixed.epoch_rows[1]["train_loss"], rel=1e-5)
    assert a.epoch_rows[2]["train_loss"] != fixed.epoch_rows[2]["train_loss"]


@pytest.mark.parametrize("opt", ["momentum", "nesterov", "adagrad", "rmsprop", "adamw"])
def test_each_optimizer_trains(digits, opt):
    res = train_run(run_of(optimizers=[opt], epochs=2), digits, CPU)
    assert res.status == "done" and res.final["train_acc"] > 0.5


def test_schedules_set_the_lr(digits):
    res = train_run(run_of(epochs=4, schedule="cosine", warmup_epochs=1), digits, CPU)
    lrs = [r["lr"] for r in res.epoch_rows[1:]]
    assert lrs[0] == pytest.approx(0.1) and lrs[-1] < 0.01 and lrs == sorted(lrs, reverse=True)


def test_training_restores_ieee_subnormals(digits):
    """Epochs flush float32 denormals for speed; the thread gets IEEE behaviour back (numpy, hypothesis)."""
    train_run(run_of(epochs=1, optimizers=["adam"]), digits, CPU)
    train_run(run_of(epochs=1, optimizers=["adam"]), digits, CPU, engine="plain")
    assert (torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() != 0.0


def test_stalled_rule_on_hand_made_rows():
    """Stalled = no fall of the train loss over the last quarter of epochs AND accuracy at chance."""
    from studies.engine.loop_rules import CHANCE_MARGIN, chance_rate, end_status, stalled
    rows = lambda *pairs: [{"train_loss": l, "train_acc": a, "steps": 100 * e}   # noqa: E731
                           for e, (l, a) in enumerate(pairs)]                      # 100 updates an epoch
    assert stalled(rows((2.3, 0.1), (2.0, 0.3), (2.2, 0.1 + CHANCE_MARGIN)), 0.1)   # rose again, ends at chance
    assert not stalled(rows((2.3, 0.1), (2.5, 0.6), (2.4, 0.7)), 0.1)    # loss never fell, but it learned: done
    assert not stalled(rows((2.3, 0.1), (2.29, 0.1), (2.27, 0.1)), 0.1)  # at chance, still falling: done
    assert not stalled(rows((2.3, 0.1), (1.0, 0.7)), 0.1) and not stalled(rows((2.3, 0.1)), 0.1)
    # an oscillating collapse whose loss dips once at the end: the median of the last quarter does not fall
    assert stalled(rows((0.73, 0.37), (0.67, 0.63), (0.66, 0.63), (0.72, 0.63), (0.82, 0.63), (1.05, 0.63),
                        (0.83, 0.63), (1.01, 0.63), (0.669, 0.63)), 0.63)
    # the majority class of a 90/10 set: accuracy 0.9 is chance there, 0.93 is not
    y = torch.tensor([0] * 90 + [1] * 10)
    assert chance_rate(y, 2) == 0.9 and chance_rate(torch.tensor([0, 1, 2, 3]), 4) == 0.25
    assert chance_rate(torch.tensor([0, 0, 1]), 10) == 2 / 3
    flat = rows((0.69, 0.5), (0.33, 0.9), (0.33, 0.9), (0.33, 0.9), (0.33, 0.9))
    assert stalled(flat, chance_rate(y, 2)) and not stalled(flat, 0.5)   # 1/classes alone misses the collapse
    assert not stalled(rows((0.69, 0.5), (0.33, 0.9), (0.33, 0.9), (0.33, 0.9 + 1.5 * CHANCE_MARGIN)), 0.9)
    assert end_status(rows((2.3, 0.1), (2.5, 0.1)), 0.1, reached=False) == "stalled"
    assert end_status(rows((2.3, 0.1), (2.5, 0.1)), 0.1, reached=True) == "done"
    assert end_status(rows((2.3, 0.1), (2.2, 0.1)), 0.1, reached=False) == "done"


def test_a_window_of_too_few_updates_is_no_evidence_of_a_stall():
    """Rows that would be stalled over a window of STALL_MIN_STEPS updates are not over one update fewer:
    2 epochs of 256 examples at B = 128 (4 updates) have not had the chance to train, so the run is done, its
    target missed, and measured; the same rows over 64 updates an epoch are stalled."""
    from studies.engine.loop_rules import STALL_MIN_STEPS, end_status, stalled
    flat = lambda per_epoch: [{"train_loss": l, "train_acc": 0.1, "steps": per_epoch * e}   # noqa: E731
                              for e, l in enumerate((2.30, 2.50, 2.73))]
    assert STALL_MIN_STEPS == 50
    assert not stalled(flat(2), 0.1) and end_status(flat(2), 0.1, reached=False) == "done"
    assert stalled(flat(64), 0.1) and end_status(flat(64), 0.1, reached=False) == "stalled"
    assert stalled(flat(50), 0.1) and not stalled(flat(49), 0.1)   # the window is the last epoch: 50 vs 49


@pytest.mark.parametrize("engine", ["plain", "auto"])
def test_a_collapse_onto_the_majority_class_of_an_imbalanced_set_is_stalled(engine):
    """momentum at lr 2 on breast_cancer (63 % benign) dips below its start, then collapses onto the majority
    class: both loops call it stalled (at 1/classes + margin = 0.52 the collapse would pass for training)."""
    data = load_dataset("breast_cancer")
    spec = StudySpec.from_dict({"dataset": "breast_cancer", "hidden": [64, 64], "batch_sizes": [16],
                                "optimizers": ["momentum"], "lr": {"momentum": 2.0}, "shuffle": [True],
                                "epochs": 8, "target_train_acc": 1.0})
    res = train_run(spec.expand(n_train=data.n_train)[0], data, CPU, engine=engine)
    losses = [r["train_loss"] for r in res.epoch_rows]
    assert min(losses[1:]) < losses[0] and res.final["train_acc"] > 0.5 + 0.02   # fell once; above 1/classes
    assert res.status == "stalled" and not res.reached_target and res.diverged_epoch is None


@pytest.mark.parametrize("engine", ["plain", "auto"])
def test_a_short_run_still_learning_at_its_cap_is_done_and_missed_the_target(digits, engine):
    """sgd at lr 0.003 for 3 epochs is still near chance accuracy (≈ 0.10) but its loss falls every epoch:
    it trained, so it is done, reached_target False, and measured like any other run."""
    res = train_run(run_of(lr={"sgd": 0.003}, target_train_acc=1.0), digits, CPU, engine=engine)
    losses = [r["train_loss"] for r in res.epoch_rows]
    assert losses == sorted(losses, reverse=True) and res.final["train_acc"] <= 0.1 + 0.02
    assert res.status == "done" and not res.reached_target


@pytest.mark.parametrize("engine, lr, epochs", [("plain", 0.3, 5), ("auto", 1.0, 6)])
def test_a_run_forced_to_collapse_is_stalled_not_done(digits, engine, lr, epochs):
    """momentum at lr 0.3 on digits (B=16, MLP 64-64) collapses to chance accuracy without a NaN: the plain
    loop and the stacked loop (engine auto for an MLP) both call it stalled, and the worker measures nothing."""
    run = run_of(hidden=[64, 64], optimizers=["momentum"], lr={"momentum": lr}, batch_sizes=[16], epochs=epochs,
                 target_train_acc=1.0)
    res = train_run(run, digits, CPU, engine=engine)
    assert res.status == "stalled" and not res.reached_target and res.diverged_epoch is None
    assert res.final["train_acc"] <= 0.12 and len(res.epoch_rows) == epochs + 1
    if engine == "auto":
        from studies.spec.config import MeasureSpec
        from studies.execution.worker import execute_run
        out = execute_run(run, MeasureSpec(sharpness_eps=(1e-3,), hessian=True), trained=res)
        assert out.row["status"] == "stalled" and out.measure_row is None


@pytest.mark.parametrize("model, hidden", [("cnn", []), ("mlp", [32])])
def test_a_ghost_batch_norm_model_trains_and_its_state_keeps_the_running_statistics(digits, model, hidden):
    """The CNN (plain loop) and the MLP (stacked engine) with ghost batch norm learn, and the final state holds each
    norm's running statistics (moved from 0 and 1) and its count: steps × chunks (B = 64, N = 16: 4 chunks; the
    epoch's last batch of 29 examples: 16 + 13, 2 chunks); the metrics are the eval-mode model's."""
    from studies.engine.models import run_model
    from studies.engine.optim import make_loss
    from studies.engine.train import _metrics
    spec = StudySpec.from_dict({"dataset": "digits", "model": model, "hidden": hidden, "batch_sizes": [64],
                                "optimizers": ["momentum"], "shuffle": [True], "epochs": 2, "norm": "ghost",
                                "ghost_batch": 16})
    run = spec.expand(n_train=digits.n_train)[0]
    res = train_run(run, digits, torch.device("cpu"))
    assert res.status == "done" and res.final["train_loss"] < 0.5 * res.epoch_rows[0]["train_loss"]
    counts = {k: int(v) for k, v in res.state.items() if k.endswith("num_batches_tracked")}
    assert len(counts) == (2 if model == "cnn" else 1)
    assert set(counts.values()) == {2 * (22 * 4 + 2)}               # 1437 = 22 · 64 + 29
    assert all(res.state[k].abs().max() > 0.01 for k in res.state if k.endswith("running_mean"))
    m = run_model(run, digits)
    m.load_state_dict(res.state)
    assert _metrics(m, digits, make_loss(run.loss))["train_loss"] == pytest.approx(res.final["train_loss"], rel=1e-5)
