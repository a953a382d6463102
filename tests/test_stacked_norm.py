"""studies/engine/stacked_norm.py and the stacked engine with batch norm: every member equals its model trained by the
plain loop (autograd through torch's BatchNorm1d, or GhostBatchNorm), in float64."""
import copy
import dataclasses

import pytest
import torch
from torch import nn

from studies.spec.config import StudySpec
from studies.engine.data import load_dataset
from studies.engine.models import build_model, run_model
from studies.engine.norm import GhostBatchNorm
from studies.engine.stacked import stackable, train_stacked
from studies.engine.stacked_norm import StackedNorm
from studies.engine.train import train_run

CPU = torch.device("cpu")
METRICS = ("train_loss", "train_acc", "test_loss", "test_acc")
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def d64(digits):
    return dataclasses.replace(digits, x_train=digits.x_train.double(), x_test=digits.x_test.double())


def runs_of(digits, **kw):
    d = {"dataset": "digits", "hidden": [32, 16], "batch_sizes": [16], "optimizers": ["momentum"],
         "shuffle": [True, False], "seeds": [0, 1], "epochs": 2, "norm": "batch"}
    d.update(kw)
    return StudySpec.from_dict(d).expand(n_train=digits.n_train)


def with_torch_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose GhostBatchNorm(ghost = 0) layers are torch's own nn.BatchNorm1d, same state."""
    out = copy.deepcopy(model)
    for name, m in list(out.named_children()):
        if isinstance(m, GhostBatchNorm):
            assert m.ghost == 0
            bn = nn.BatchNorm1d(m.num_features).to(m.weight.dtype)
            bn.load_state_dict(m.state_dict())
            setattr(out, name, bn)
    return out


def assert_equal_runs(fast, plain, rel=1e-9, atol=1e-10):
    assert fast.status == plain.status and fast.steps == plain.steps and len(fast.epoch_rows) == len(plain.epoch_rows)
    if fast.status == "diverged":   # a blown-up loss: only where and when
        assert fast.diverged_epoch == plain.diverged_epoch
        return
    for a, b in zip(fast.epoch_rows, plain.epoch_rows):
        for key in METRICS:
            assert a[key] == pytest.approx(b[key], rel=rel, abs=atol), (a["epoch"], key)
    assert list(fast.state) == list(plain.state)   # the model's state_dict keys, in its order
    for key in plain.state:   # Adam divides the first layer's tiny gradients (digits pixels that are nearly
        # always 0) by their own size: summation-order rounding shows there at 1e-10, 1e-13 elsewhere
        torch.testing.assert_close(fast.state[key].double(), plain.state[key].double(), rtol=1e-8,
                                   atol=max(atol, 1e-9), msg=key)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("batch, ghost", [(12, 0), (12, 4), (13, 4), (9, 4), (11, 3), (1, 0), (1, 4), (2, 5)])
def test_stacked_norm_equals_ghost_batch_norm_per_member(batch, ghost, k):
    """Forward (γ·x̂ + β), backward (∂z, ∂γ, ∂β), running statistics and counts of K members (one member with
    one chunk takes torch's kernel), each against its own GhostBatchNorm under autograd, in float64: equal
    chunks, a smaller last chunk, a merged remainder of one, and a batch of one example (the running statistics,
    untouched)."""
    g = torch.Generator().manual_seed(batch * 10 + ghost)
    mods = []
    for _ in range(k):
        m = GhostBatchNorm(5, ghost).double()
        m.load_state_dict({"weight": torch.rand(5, generator=g, dtype=torch.float64) + 0.5,
                           "bias": torch.randn(5, generator=g, dtype=torch.float64),
                           "running_mean": torch.randn(5, generator=g, dtype=torch.float64),
                           "running_var": torch.rand(5, generator=g, dtype=torch.float64) + 0.5,
                           "num_batches_tracked": torch.tensor(7)})
        mods.append(m)
    stacked = StackedNorm(mods, CPU)
    for p in stacked.params:
        p.grad = torch.zeros_like(p)
    z = torch.randn(k, batch, 5, generator=g, dtype=torch.float64)
    up = torch.randn(k, batch, 5, generator=g, dtype=torch.float64)
    zx, out = z.clone(), torch.empty_like(z)
    dz = stacked.backward(up.clone(), zx, stacked.forward(zx, out))
    for k, m in enumerate(mods):
        zk = z[k].clone().requires_grad_()
        y = m(zk)
        (y * up[k]).sum().backward()
        torch.testing.assert_close(out[k], y.detach(), rtol=0, atol=1e-13)
        torch.testing.assert_close(dz[k], zk.grad, rtol=1e-12, atol=1e-13)   # n = 2: r is large
        torch.testing.assert_close(stacked.weight.grad[k, 0], m.weight.grad, rtol=0, atol=1e-13)
        torch.testing.assert_close(stacked.bias.grad[k, 0], m.bias.grad, rtol=0, atol=1e-13)
        for key, value in m.state_dict().items():
            torch.testing.assert_close(stacked.state(k, "n")[f"n.{key}"], value, rtol=0, atol=1e-14, msg=key)
    logits = stacked.eval_(z.clone())
    for k, m in enumerate(mods):
        torch.testing.assert_close(logits[k], m.eval()(z[k]), rtol=0, atol=1e-13)


def test_norm_mlps_stack_and_other_norms_do_not():
    assert stackable(build_model("mlp", (8, 4), (5,), 2, 0, norm="batch"))
    assert stackable(build_model("mlp", (8,), (5,), 2, 0, norm="ghost", ghost_batch=4))
    assert stackable(with_torch_batchnorm(build_model("mlp", (8,), (5,), 2, 0, norm="batch")))
    assert not stackable(build_model("cnn", (8,), (1, 8, 8), 2, 0, norm="batch"))
    for change in (lambda m: setattr(m[2], "momentum", None),                        # a cumulative average
                   lambda m: setattr(m, "1", nn.Linear(5, 8)),                         # a bias before the norm
                   lambda m: setattr(m, "2", nn.BatchNorm1d(8, affine=False)),
                   lambda m: setattr(m, "2", nn.LayerNorm(8)),
                   lambda m: setattr(m, "3", nn.Tanh())):
        model = build_model("mlp", (8,), (5,), 2, 0, norm="batch")
        change(model)
        assert not stackable(model)


def test_every_member_equals_torchs_batchnorm1d_model_trained_by_the_plain_loop(digits, d64):
    """Seeds × shuffle as one stack; each member against its model with torch's nn.BatchNorm1d, trained alone by
    the plain loop (autograd, torch.optim), in float64: every epoch's metrics and the final state, running
    statistics included."""
    runs = runs_of(digits)
    assert len(runs) == 4
    stacked = train_stacked(runs, d64, CPU, models=[run_model(r, digits).double() for r in runs])
    for run, res in zip(runs, stacked):
        reference = with_torch_batchnorm(run_model(run, digits).double())
        assert any(isinstance(m, nn.BatchNorm1d) and type(m) is nn.BatchNorm1d for m in reference)
        assert_equal_runs(res, train_run(run, d64, CPU, model=reference, engine="plain"))


@pytest.mark.parametrize("kw", [
    {"norm": "ghost", "ghost_batch": 5, "optimizers": ["adam"]},                 # chunks 5, 5, 6; the last batch 5, 8
    {"norm": "ghost", "ghost_batch": 100, "batch_sizes": [359], "epochs": 3},    # 100 × 3 + 59; a last batch of 1
    {"norm": "batch", "batch_sizes": [359], "epochs": 3, "weight_decay": {"momentum": 1e-3}},
    {"norm": "ghost", "ghost_batch": 6, "batch_sizes": [18], "lr": {"momentum": [0.01, 30.0]}, "shuffle": [True]},
    {"norm": "batch", "batch_sizes": [64], "lr": {"momentum": [0.01, 30.0]}, "shuffle": [True], "seeds": [0]},
    {"norm": "ghost", "ghost_batch": 8, "batch_sizes": [16], "epochs": 4, "batch_schedule": "step",
     "batch_growth": 4},                                                       # B 16, 64, 256: chunks of 8
    {"norm": "batch", "batch_sizes": [32], "budgets": ["steps:100"]},
])
def test_ghost_members_equal_their_plain_runs(digits, d64, kw):
    """Ghost batch norm (merged and smaller chunks), an epoch's last batch of one example (1437 = 4 · 359 + 1),
    weight decay, and lr sweeps whose diverging member leaves the stack (the last, alone, goes on through torch's
    kernel): each member equals its run alone in the plain loop. (Chunks of 2-4 digits examples make training chaotic: a 1e-14 change of one weight grows to
    order 1 in 40 steps in the plain loop alone, so no two summation orders agree there; not tested at those.)"""
    runs = runs_of(digits, **kw)
    stacked = train_stacked(runs, d64, CPU, models=[run_model(r, digits).double() for r in runs])
    for run, res in zip(runs, stacked):
        assert_equal_runs(res, train_run(run, d64, CPU, model=run_model(run, digits).double(), engine="plain"))
    if "lr" in kw:
        assert {r.status for r in stacked} == {"done", "diverged"}


def test_solo_norm_run_in_float32_matches_the_plain_loop(digits):
    run = runs_of(digits, shuffle=[True], seeds=[0], norm="ghost", ghost_batch=8)[0]
    fast, plain = train_run(run, digits, CPU), train_run(run, digits, CPU, engine="plain")
    assert_equal_runs(fast, plain, rel=1e-3, atol=2e-4)
