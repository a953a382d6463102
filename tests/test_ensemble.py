"""studies/engine/stacked.py (this file keeps the name test_ensemble: an acceptance check runs it by that name). The
fast paths compute what the plain loop computes: the stacked engine (solo and K members), the direct fused
optimizer kernels. Not how fast they are (benchmarks/training.py does that)."""
import dataclasses

import pytest
import torch

from studies.spec.config import OPTIMIZERS, StudySpec
from studies.engine.data import load_dataset
from studies.engine.stacked import StackedTrainer, stack_key, stackable, train_stacked
from studies.engine.models import build_model
from studies.engine.optim import Update, make_optimizer
from studies.engine.train import train_run

CPU = torch.device("cpu")
# every test here compares two float32 computations that sum in different orders: one thread fixes the order
pytestmark = pytest.mark.usefixtures("one_thread")
METRICS = ("train_loss", "train_acc", "test_loss", "test_acc")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def runs_of(digits, **kw):
    d = {"dataset": "digits", "hidden": [32, 16], "batch_sizes": [16], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 2}
    d.update(kw)
    return StudySpec.from_dict(d).expand(n_train=digits.n_train)


def assert_same_run(fast, plain, atol=2e-4):
    assert fast.status == plain.status and fast.steps == plain.steps
    assert fast.samples_per_epoch == plain.samples_per_epoch and fast.reached_target == plain.reached_target
    assert len(fast.epoch_rows) == len(plain.epoch_rows)
    for a, b in zip(fast.epoch_rows, plain.epoch_rows):
        assert a["epoch"] == b["epoch"] and a["steps"] == b["steps"] and a["lr"] == pytest.approx(b["lr"])
        for key in METRICS:
            assert a[key] == pytest.approx(b[key], abs=atol), (a["epoch"], key)
    assert fast.state.keys() == plain.state.keys()
    for key in plain.state:
        torch.testing.assert_close(fast.state[key], plain.state[key], atol=atol, rtol=1e-3)


@pytest.mark.parametrize("opt", OPTIMIZERS)
def test_solo_fast_engine_matches_the_plain_loop(digits, opt):
    weight_decay = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 1e-3, "adam": 1e-3} if opt != "adamw" else {}
    run = runs_of(digits, optimizers=[opt], weight_decay={k: v for k, v in weight_decay.items() if k == opt})[0]
    assert_same_run(train_run(run, digits, CPU), train_run(run, digits, CPU, engine="plain"))


def test_every_member_of_a_stack_matches_the_same_run_trained_alone(digits):
    runs = runs_of(digits, optimizers=["momentum"], shuffle=[True, False], seeds=[0, 1, 2])
    assert len(runs) == 6 and len({stack_key(r) for r in runs}) == 1
    seen = []
    results = train_stacked(runs, digits, CPU, on_epoch=lambda run, row: seen.append((run.run_id, row["epoch"])))
    assert len(seen) == 6 * 2
    for run, res in zip(runs, results):
        assert_same_run(res, train_run(run, digits, CPU, engine="plain"))


@pytest.mark.parametrize("kw", [
    {"optimizers": ["adamw"], "loss": "focal", "schedule": "cosine", "warmup_epochs": 1, "epochs": 3},
    {"optimizers": ["adam"], "batch_sizes": [100], "drop_last": True, "hidden": []},
    {"optimizers": ["rmsprop"], "batch_sizes": [7], "schedule": "step", "epochs": 2},
    {"optimizers": ["nesterov"], "batch_sizes": [512], "epochs": 3},   # softmax by hand (K·B·C ≥ 8192)
])
def test_stack_matches_solo_with_schedules_other_losses_and_partial_batches(digits, kw):
    runs = runs_of(digits, seeds=[3, 4], shuffle=[True, False], **kw)
    for run, res in zip(runs, train_stacked(runs, digits, CPU)):
        assert_same_run(res, train_run(run, digits, CPU, engine="plain"))


def test_members_that_stop_early_leave_the_stack_and_the_rest_go_on(digits):
    runs = runs_of(digits, optimizers=["adam"], seeds=[0, 1, 2, 3], epochs=12, target_train_acc=0.97,
                   batch_sizes=[64], lr={"adam": 0.003})
    results = train_stacked(runs, digits, CPU)
    alone = [train_run(run, digits, CPU, engine="plain") for run in runs]
    for res, ref in zip(results, alone):
        assert_same_run(res, ref, atol=5e-4)
    assert all(r.reached_target for r in results)
    assert len({len(r.epoch_rows) for r in results}) > 1   # they stopped at different epochs


def test_a_diverging_member_is_diverged_and_the_others_are_not_disturbed(digits):
    runs = runs_of(digits, seeds=[0, 1], epochs=3, batch_sizes=[64], lr={"sgd": 0.5})
    big = runs_of(digits, seeds=[0], epochs=3, batch_sizes=[64], lr={"sgd": 50.0})[0]
    assert stack_key(big) == stack_key(runs[0])   # sgd takes a learning rate per member
    res = train_stacked([big], digits, CPU)[0]
    assert res.status == "diverged" and res.diverged_epoch is not None
    assert_same_run(res, train_run(big, digits, CPU, engine="plain"))


def test_stacking_rules(digits):
    mlp = build_model("mlp", (8,), digits.input_shape, 10, 0)
    cnn = build_model("cnn", (8,), digits.input_shape, 10, 0)
    assert stackable(mlp) and not stackable(cnn)
    a, b = runs_of(digits, batch_sizes=[16, 32])
    assert stack_key(a) != stack_key(b)
    with pytest.raises(ValueError, match="share every setting"):
        StackedTrainer([a, b], digits, CPU)
    with pytest.raises(ValueError, match="only MLPs"):
        cnn_run = runs_of(digits, model="cnn")[0]
        StackedTrainer([cnn_run], digits, CPU)


def test_stacked_init_is_each_members_own_init(digits):
    runs = runs_of(digits, seeds=[5, 6])
    trainer = StackedTrainer(runs, digits, CPU)
    for pos, run in enumerate(runs):
        ref = build_model(run.model, run.hidden, digits.input_shape, 10, run.seed).state_dict()
        assert all(torch.equal(trainer.net.state(pos)[k], ref[k]) for k in ref)


def _step_side_by_side(name, weight_decay, hyper, lrs, seed):
    """The fused Update and torch.optim on copies of the same parameters, fed the same gradients at each lr."""
    torch.manual_seed(seed)
    ps = [torch.randn(3, 4), torch.randn(4)]
    qs = [p.clone().requires_grad_() for p in ps]
    for p in ps:
        p.grad = torch.zeros_like(p)
    update, opt = Update(name, ps, 0.05, weight_decay, hyper), make_optimizer(name, qs, 0.05, weight_decay, hyper)
    for lr in lrs:
        for p, q in zip(ps, qs):
            g = torch.randn_like(p)
            p.grad.copy_(g)
            q.grad = g.clone()
        update(lr)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
    return ps, qs, update, opt


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_direct_fused_update_equals_torch_optim_bit_for_bit(name, weight_decay):
    ps, qs, update, _ = _step_side_by_side(name, weight_decay, None, [0.01 * (i + 1) for i in range(5)], seed=0)
    assert all(torch.equal(p, q.detach()) for p, q in zip(ps, qs))
    assert (update.opt is None) == (name != "rmsprop")   # torch.optim only where there is no fused kernel


@pytest.mark.parametrize("name,hyper", [("momentum", {"momentum": 0.5, "nesterov": True}),
                                        ("nesterov", {"momentum": 0.7}), ("adam", {"beta1": 0.8, "beta2": 0.99,
                                                                                    "eps": 1e-6}),
                                        ("adamw", {"beta2": 0.95}), ("rmsprop", {"alpha": 0.9})])
def test_direct_fused_update_with_optim_hyperparameters_equals_torch_optim(name, hyper):
    ps, qs, _, opt = _step_side_by_side(name, 0.0, hyper, [0.05] * 4, seed=1)
    assert all(torch.equal(p, q.detach()) for p, q in zip(ps, qs))
    plain = [p.clone().requires_grad_() for p in ps]
    default = make_optimizer(name, plain, 0.05)
    assert default.defaults != opt.defaults   # the hyperparameters did reach torch.optim


def test_update_select_keeps_the_chosen_members_state():
    torch.manual_seed(0)
    p = torch.randn(3, 4)
    p.grad = torch.randn(3, 4)
    update = Update("adam", [p], 0.1)
    update(0.1)
    keep = torch.tensor([0, 2])
    q = p.index_select(0, keep)
    q.grad = p.grad.index_select(0, keep)
    smaller = update.select(keep, [q])
    for _ in range(2):
        update(0.1)
        smaller(0.1)
    torch.testing.assert_close(q, p.index_select(0, keep), rtol=0, atol=0)


def test_learning_rates_stack_and_each_member_equals_its_run_alone_in_float64(digits):
    """An lr sweep × seeds trains as one stack (per-member lr in the fused kernels): every member equals
    the same run trained alone, in float64, for each optimizer family, with a schedule and a member
    that diverges and leaves the stack."""
    d64 = dataclasses.replace(digits, x_train=digits.x_train.double(), x_test=digits.x_test.double())
    for opt, lrs, kw in [("momentum", [0.003, 0.03, 0.02, 0.01], {}),
                         ("adam", [1e-3, 3e-3], {"schedule": "cosine", "warmup_epochs": 1}),
                         ("adagrad", [0.01, 0.05], {}), ("sgd", [0.05, 80.0], {})]:
        runs = runs_of(digits, optimizers=[opt], lr={opt: lrs}, seeds=[0, 1], epochs=2, **kw)
        assert len(runs) == 2 * len(lrs) and len({stack_key(r) for r in runs}) == 1
        models = lambda rs: [build_model(r.model, r.hidden, digits.input_shape, 10, r.seed).double()  # noqa: E731
                             for r in rs]
        together = train_stacked(runs, d64, CPU, models=models(runs))
        for run, res in zip(runs, together):
            alone = train_stacked([run], d64, CPU, models=models([run]))[0]
            assert res.status == alone.status and len(res.epoch_rows) == len(alone.epoch_rows)
            for a, b in zip(res.epoch_rows, alone.epoch_rows):
                assert a["lr"] == b["lr"] and a["steps"] == b["steps"]
                for key in METRICS:
                    assert a[key] == pytest.approx(b[key], rel=1e-8, abs=1e-10, nan_ok=True), (opt, run.lr, key)
            for key in alone.state:
                # batched matmuls round differently per stack size (1e-16 after an epoch); float32 would miss this by far
                torch.testing.assert_close(res.state[key], alone.state[key], rtol=1e-7, atol=1e-9, equal_nan=True)
        if opt == "sgd":
            assert {r.status for r in together} == {"done", "diverged"}


def test_runs_that_differ_in_lr_stack_only_where_the_fused_kernels_take_each_its_own(digits):
    a, b = runs_of(digits, optimizers=["adam"], lr={"adam": [1e-3, 1e-2]})
    assert stack_key(a) == stack_key(b)
    a, b = runs_of(digits, optimizers=["rmsprop"], lr={"rmsprop": [1e-3, 1e-2]})
    assert stack_key(a) != stack_key(b)   # torch.optim's RMSprop: one lr per parameter tensor
    with pytest.raises(ValueError, match="share every setting"):
        StackedTrainer([a, b], digits, CPU)
