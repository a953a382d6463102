"""Gradient noise scale: exact expectations, the finite-population factor, and recovery of a known
tr(Σ)/|G|² from synthetic per-example gradients drawn without replacement."""

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from studies.measures.objective import objective
from studies.measures.noise import batch_factor, gradient_sq_norms, noise_scale, noise_scale_from_norms


class LinearLoss(nn.Module):
    """Per-example loss g_i·w, the rows g_i of the input: a batch's gradient is the mean of its rows."""

    def __init__(self, dim):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(dim, dtype=torch.float64))

    def forward(self, x):
        return x @ self.w


def mean_loss(out, y):
    return out.mean()


def per_example_gradients(n=400, dim=30, b_simple=20.0, seed=0):
    """g_i = G + noise with covariance diag(s²); |G|² set so that tr Σ/|G|² ≈ b_simple."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.5, 2.0, size=dim)
    direction = rng.normal(size=dim)
    big_g = direction / np.linalg.norm(direction) * math.sqrt(np.sum(s ** 2) / b_simple)
    return big_g + rng.normal(size=(n, dim)) * s


def population(g):
    mean = g.mean(0)
    return float(mean @ mean), float(((g - mean) ** 2).sum(1).mean())    # |G|², tr Σ (1/N normalised)


def test_exact_expectations_give_the_exact_answer():
    g2, tr = 4.0, 100.0
    r = noise_scale_from_norms([g2 + tr / 8], [g2 + tr / 512], 8, 512)
    assert r.value == pytest.approx(25.0, rel=1e-12)
    assert r.g2 == pytest.approx(g2, rel=1e-12) and r.trace_sigma == pytest.approx(tr, rel=1e-12)
    n = 1000
    r = noise_scale_from_norms([g2 + batch_factor(8, n) * tr] * 3, [g2 + batch_factor(512, n) * tr] * 2, 8, 512, n)
    assert r.value == pytest.approx(25.0, rel=1e-12)
    assert (r.draws_small, r.draws_big, r.n) == (3, 2, n)
    r = noise_scale_from_norms([g2 + batch_factor(8, n) * tr], [g2], 8, n, n)     # full batch: c = 0
    assert r.value == pytest.approx(25.0, rel=1e-12)


def test_with_replacement_form_is_mccandlish_appendix_a():
    sq_small, sq_big, b, bb = [7.0, 9.0], [2.5, 3.5], 16, 256
    r = noise_scale_from_norms(sq_small, sq_big, b, bb)
    s, l = np.mean(sq_small), np.mean(sq_big)
    g2 = (bb * l - b * s) / (bb - b)
    tr = (s - l) / (1 / b - 1 / bb)
    assert r.g2 == pytest.approx(g2, rel=1e-12) and r.trace_sigma == pytest.approx(tr, rel=1e-12)
    assert r.value == pytest.approx(tr / g2, rel=1e-12)


def test_batch_factor_is_exact_over_all_subsets():
    """Averaged over every B-subset of N vectors, |mean|² = |G|² + c_B·tr Σ with c_B = (1/B − 1/N)·N/(N−1)."""
    g = np.random.default_rng(1).normal(size=(7, 3)) + 0.5
    g2, tr = population(g)
    for b in (1, 2, 3, 5, 7):
        avg = np.mean([np.sum(g[list(c)].mean(0) ** 2) for c in itertools.combinations(range(7), b)])
        assert avg == pytest.approx(g2 + batch_factor(b, 7) * tr, rel=1e-12)
    assert batch_factor(7, 7) == 0.0 and batch_factor(4) == 0.25


def test_recovers_known_noise_scale_from_synthetic_gradients_without_replacement():
    g = per_example_gradients()
    g2, tr = population(g)
    obj = objective(LinearLoss(g.shape[1]), torch.tensor(g), torch.zeros(len(g)), mean_loss, chunk=64)
    r = noise_scale(obj, b_small=8, b_big=200, draws_small=1500, draws_big=100,
                    generator=torch.Generator().manual_seed(0))
    assert (r.b_small, r.b_big, r.n) == (8, 200, 400)
    assert r.trace_sigma == pytest.approx(tr, rel=0.05)
    assert r.g2 == pytest.approx(g2, rel=0.1)
    assert r.value == pytest.approx(tr / g2, rel=0.1)


def test_big_batch_capped_at_n_is_one_exact_draw():
    g = per_example_gradients(n=64, dim=5, seed=2)
    g2, _ = population(g)
    obj = objective(LinearLoss(5), torch.tensor(g), torch.zeros(64), mean_loss)
    sq = gradient_sq_norms(obj, 64, draws=10)
    assert sq.shape == (1,) and sq[0] == pytest.approx(g2, rel=1e-12)
    r = noise_scale(obj, b_small=1000, b_big=10_000, draws_small=4, generator=torch.Generator().manual_seed(0))
    assert (r.b_small, r.b_big, r.draws_big, r.draws_small) == (32, 64, 1, 4)


def test_bad_arguments_and_unresolved_g2():
    with pytest.raises(ValueError, match="b_small < b_big"):
        noise_scale_from_norms([1.0], [1.0], 64, 64)
    with pytest.raises(ValueError, match="draw"):
        noise_scale_from_norms([], [1.0], 8, 64)
    with pytest.raises(ValueError):
        batch_factor(10, 5)
    r = noise_scale_from_norms([10.0], [1.0], 8, 64)        # |G|² estimate < 0: too few draws
    assert r.g2 < 0 and math.isnan(r.value)
    r = noise_scale_from_norms([1.0], [2.0], 8, 64)         # tr Σ estimate < 0
    assert r.trace_sigma < 0 and math.isnan(r.value)


def test_noise_scale_leaves_weights_and_mode_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = torch.randn(50, 4), torch.randint(0, 3, (50,))
    r = noise_scale(objective(model, x, y, nn.functional.cross_entropy), b_small=4, draws_small=5,
                    generator=torch.Generator().manual_seed(0))
    assert r.b_big == 50 and r.n == 50
    assert model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_jackknife_standard_error_matches_the_spread_over_repeats():
    """The reported SE of B_simple is honest: over independent repeats, the spread of the estimates is
    about the mean reported SE, and the estimates centre on the population value."""
    g = per_example_gradients(n=400, dim=30, b_simple=20.0, seed=5)
    g2, tr = population(g)
    obj = objective(LinearLoss(g.shape[1]), torch.tensor(g), torch.zeros(len(g)), mean_loss, chunk=400)
    runs = [noise_scale(obj, b_small=8, b_big=400, draws_small=64, generator=torch.Generator().manual_seed(s))
            for s in range(60)]
    vals, ses = np.array([r.value for r in runs]), np.array([r.se for r in runs])
    assert np.isfinite(ses).all() and (ses > 0).all()
    assert vals.std(ddof=1) == pytest.approx(ses.mean(), rel=0.3)
    assert abs(vals.mean() - tr / g2) < 4 * vals.std(ddof=1) / math.sqrt(len(vals))


def test_jackknife_by_hand_and_one_exact_big_draw():
    """With one exact big-batch draw only the small draws vary: the jackknife over them, by hand."""
    s, b = np.array([3.0, 5.0, 4.0, 6.0]), np.array([1.0])
    r = noise_scale_from_norms(s, b, 8, 64)
    f = lambda ms: (ms - 1.0) / (1 / 8 - 1 / 64) / ((1 / 8 * 1.0 - 1 / 64 * ms) / (1 / 8 - 1 / 64))  # noqa: E731
    loo = np.array([f((s.sum() - v) / 3) for v in s])
    assert r.value == pytest.approx(f(s.mean()))
    assert r.se == pytest.approx(math.sqrt(3 / 4 * ((loo - loo.mean()) ** 2).sum()))
    assert math.isnan(noise_scale_from_norms([3.0], [1.0], 8, 64).se)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["plain", "auto"])
def test_probe_follows_training_at_log_spaced_epochs_without_changing_it(engine):
    """Both loops call the probe at epoch 0, powers of four and the last epoch; the weights and metrics
    are exactly those of training without it."""
    from studies.spec.config import StudySpec
    from studies.engine.data import load_dataset
    from studies.measures.measure_run import training_probe
    from studies.engine.models import build_model
    from studies.measures.noise import probe_epoch
    from studies.engine.optim import make_loss
    from studies.engine.train import train_run
    spec = StudySpec.from_dict({"dataset": "digits", "hidden": [16], "batch_sizes": [256], "optimizers": ["sgd"],
                                "shuffle": [True], "seeds": [0], "epochs": 6})
    data = load_dataset("digits", spec.data, "cpu")
    run = spec.expand(n_train=data.n_train)[0]
    torch.set_num_threads(1)
    plain = train_run(run, data, torch.device("cpu"), engine=engine)
    model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
    probe = training_probe(model, data.x_train, data.y_train, make_loss(run.loss), spec.measure)
    probed = train_run(run, data, torch.device("cpu"), engine=engine, probe=probe)
    for k, v in plain.state.items():
        assert torch.equal(v, probed.state[k]), k
    got = [r["epoch"] for r in probed.epoch_rows if "noise_scale" in r]
    assert got == [0, 1, 4, 6] and [e for e in range(70) if probe_epoch(e)] == [0, 1, 4, 16, 64]
    for r in probed.epoch_rows:
        if "noise_scale" in r:
            assert math.isfinite(r["noise_scale"]) and r["noise_scale_se"] > 0 and r["noise_scale_time_s"] > 0
    assert [r["train_loss"] for r in plain.epoch_rows] == [r["train_loss"] for r in probed.epoch_rows]
