"""Stop at the target's crossing (studies/engine/crossing.py): a run with a target stops at the first check inside the
epoch where its full-train loss meets it, in both engines at the same update, with a partial last epoch."""
import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from studies.engine import crossing
from studies.engine.batches import batch_bounds, epoch_orders
from studies.spec.budget import STOP_RULE
from studies.spec.config import StudySpec
from studies.engine.data import load_dataset
from studies.engine.loop_rules import evaluate
from studies.engine.models import build_model
from studies.engine.optim import make_optimizer
from studies.engine.stacked import train_stacked
from studies.engine.train import train_run
from tests.test_ensemble import METRICS

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def d64():
    data = load_dataset("digits")
    return dataclasses.replace(data, x_train=data.x_train.double(), x_test=data.x_test.double())


def runs_of(data, **kw):
    d = {"dataset": "digits", "hidden": [16], "batch_sizes": [16], "optimizers": ["sgd"], "shuffle": [True],
         "seeds": [0], "epochs": 6, "lr": {"sgd": 0.05}}
    d.update(kw)
    return StudySpec.from_dict(d).expand(n_train=data.n_train)


def model_of(run, data):
    return build_model(run.model, run.hidden, data.input_shape, 10, run.seed).double()


def both(runs, data):
    """(stacked, plain) results of ``runs`` in float64: one stack of all of them, and each alone in the plain loop."""
    stacked = train_stacked(runs, data, CPU, models=[model_of(r, data) for r in runs])
    return [(fast, train_run(r, data, CPU, engine="plain", model=model_of(r, data))) for r, fast in zip(runs, stacked)]


def trace(run, data, epochs: int) -> list[float]:
    """The full-train loss after every update of ``run`` (index = updates so far), by a loop written here: the
    run's own data order (batches.epoch_orders), torch.optim, evaluation on the whole training set in eval mode."""
    model = model_of(run, data)
    opt = make_optimizer(run.optimizer, model.parameters(), run.lr, run.weight_decay, dict(run.hyper))
    orders = epoch_orders(data.n_train, shuffle=run.shuffle, generator=torch.Generator().manual_seed(run.seed),
                          device=CPU)

    def full() -> float:
        model.eval()
        loss = evaluate(model, data.x_train, data.y_train, F.cross_entropy)[0].item()
        model.train()
        return loss

    out = [full()]
    for _ in range(epochs):
        order = next(orders)
        for a, b in batch_bounds(data.n_train, run.batch_size):
            idx = order[a:b]
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(full())
    return out


def test_a_run_stops_at_the_first_check_where_its_full_train_loss_meets_the_target(d64, monkeypatch):
    """Known answer: every check evaluates (NEAR made infinite), so the run must stop at the first check point
    (every ⌈90/32⌉ = 3 updates inside an epoch, and each epoch's end) whose full-train loss is ≤ the target,
    a target chosen from the trace so that this point lies inside the second epoch."""
    monkeypatch.setattr(crossing, "NEAR", (math.inf, 1.0))
    run = runs_of(d64)[0]
    spe, every = 90, crossing.check_every(90)
    assert every == 3
    losses = trace(run, d64, 3)
    checks = [s for s in range(1, len(losses)) if (s % spe) % every == 0]
    chosen = spe + 10 * every                                    # the 30th update of epoch 2
    target = losses[chosen] * (1 + 1e-9)
    expect = next(s for s in checks if losses[s] <= target)
    assert spe < expect <= chosen and expect % spe, "the crossing must fall inside epoch 2 for this test"
    run = dataclasses.replace(run, target_train_loss=target)
    for result in both([run], d64)[0]:
        assert result.reached_target and result.status == "done"
        assert result.steps == expect and len(result.epoch_rows) == 3
        last = result.final
        assert (last["epoch"], last["steps"], last["partial"]) == (2, expect, True)
        assert last["examples"] == 1437 + 16 * (expect - spe)    # epoch 1 whole (its last batch 13), then B=16
        assert last["train_loss"] == pytest.approx(losses[expect], rel=1e-9) and last["train_loss"] <= target
        assert result.timed_epochs == 1 and result.epoch_time_s == result.epoch_rows[1]["epoch_time_s"]


def test_without_the_checks_inside_the_epoch_a_run_overshoots_to_the_epoch_end(d64, monkeypatch):
    """The baseline the benchmark compares with (BATCHSCOPE_CHECKS=epoch): the old rule, the end of the epoch."""
    monkeypatch.setenv("BATCHSCOPE_CHECKS", "epoch")
    run = dataclasses.replace(runs_of(d64)[0], target_train_loss=0.5)
    result = train_run(run, d64, CPU, engine="plain", model=model_of(run, d64))
    assert result.reached_target and result.steps % 90 == 0 and not result.final["partial"]


def test_stack_members_stop_at_their_own_crossings_as_each_would_alone(d64):
    """Three seeds in one stack reach a loss target at different updates inside different epochs; each stops
    where the plain loop stops it alone, the others go on unchanged, and every final loss is in [0.8, 1] × T."""
    runs = runs_of(d64, seeds=[0, 1, 2], optimizers=["momentum"], lr={"momentum": 0.02}, target_train_loss=0.15,
                   epochs=12)
    pairs = both(runs, d64)
    stops = set()
    for fast, plain in pairs:
        assert (fast.status, fast.reached_target, fast.steps, len(fast.epoch_rows)) == \
            (plain.status, plain.reached_target, plain.steps, len(plain.epoch_rows)) == ("done", True, fast.steps,
                                                                                           len(fast.epoch_rows))
        for a, b in zip(fast.epoch_rows, plain.epoch_rows):
            assert (a["epoch"], a["steps"], a["examples"], a["partial"]) == (b["epoch"], b["steps"], b["examples"],
                                                                              b["partial"])
            for key in METRICS:
                assert a[key] == pytest.approx(b[key], rel=1e-7, abs=1e-10), (a["epoch"], key)
        for key in plain.state:
            torch.testing.assert_close(fast.state[key], plain.state[key], rtol=1e-6, atol=1e-8)
        assert 0.8 * 0.15 <= fast.final["train_loss"] <= 0.15
        stops.add(fast.steps)
    assert len(stops) == 3 and any(f.final["partial"] for f, _ in pairs)


def test_an_accuracy_target_stops_at_its_crossing_too(d64):
    runs = runs_of(d64, seeds=[0, 1], target_train_acc=0.9, epochs=10)
    for fast, plain in both(runs, d64):
        assert fast.steps == plain.steps and fast.reached_target and plain.reached_target
        assert fast.final["train_acc"] >= 0.9 and fast.final["partial"] == plain.final["partial"]


def test_an_epoch_budget_has_no_checks_and_keeps_its_run_id():
    data_n = 1437
    fixed = runs_of(load_dataset("digits"))[0]
    assert crossing.watch_of(fixed, 1, CPU) is None and "stop_rule" not in fixed.identity()
    target = StudySpec.from_dict({"dataset": "digits", "target_train_loss": 0.1}).expand(n_train=data_n)[0]
    assert target.identity()["stop_rule"] == STOP_RULE == 2
