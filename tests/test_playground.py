"""The optimizer playground against known answers: torch.optim's update rules, the saddle escape, sharp vs flat
minima under batch noise, 1/√B noise, closed-form derivatives and the notes' critical-point rule."""
import numpy as np
import pytest
import scipy.optimize
import torch

from studies.spec.config import OPTIMIZERS
from studies.engine.optim import make_optimizer
from studies.playground import (OptimizerSpec, Setup, Stepper, batch_noise, examples, explore,
                                first_small_gradient, integrate, last_points, noise_rms, schedule_factors)
from studies.surfaces import SURFACES, Surface, kind_of, probe


def simulate(surface: Surface, opt: OptimizerSpec, starts, setup: Setup, seeds=(0,)):
    """Run ``opt`` from each start (one per seed; a single start is shared) with the batches of ``setup``,
    one trajectory per seed (the seed draws the batches): the page's `explore` for one optimizer."""
    setup.check()
    xi = examples(setup.n_examples, setup.sigma)
    noise = np.stack([batch_noise(xi, setup.batch, setup.steps, replacement=setup.replacement,
                                  shuffle=setup.shuffle, seed=s) for s in seeds])
    return integrate(surface, [opt], np.zeros(len(seeds), int), starts, noise, schedule_factors(setup))


def nearest_minimum(surface: Surface, points: np.ndarray) -> np.ndarray:
    """Index into surface.minima of the minimum nearest to each point (K, 2); -1 for a point that left."""
    centres = np.asarray(surface.minima, float)
    d = np.linalg.norm(points[:, None, :] - centres[None], axis=-1)
    return np.where(np.isfinite(points).all(1), np.nanargmin(np.where(np.isnan(d), np.inf, d), 1), -1)

ODD = dict(beta=0.8, alpha=0.9, beta1=0.85, beta2=0.99, weight_decay=0.05)   # not the defaults: seen passed


def torch_optimizer(spec: OptimizerSpec, p):
    wd = spec.weight_decay
    return {"sgd": lambda: torch.optim.SGD([p], lr=spec.lr, weight_decay=wd),
            "momentum": lambda: torch.optim.SGD([p], lr=spec.lr, momentum=spec.beta, weight_decay=wd),
            "nesterov": lambda: torch.optim.SGD([p], lr=spec.lr, momentum=spec.beta, nesterov=True, weight_decay=wd),
            "adagrad": lambda: torch.optim.Adagrad([p], lr=spec.lr, weight_decay=wd),
            "rmsprop": lambda: torch.optim.RMSprop([p], lr=spec.lr, alpha=spec.alpha, weight_decay=wd),
            "adam": lambda: torch.optim.Adam([p], lr=spec.lr, betas=(spec.beta1, spec.beta2), weight_decay=wd),
            "adamw": lambda: torch.optim.AdamW([p], lr=spec.lr, betas=(spec.beta1, spec.beta2),
                                               weight_decay=wd)}[spec.name]()


def rosenbrock_torch(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def steps_side_by_side(spec, torch_opt, p, steps, lr_at):
    """The playground's Stepper and a torch optimizer on Rosenbrock, the largest difference over the steps."""
    surface, stepper = SURFACES["rosenbrock"], Stepper(spec, (1, 2))
    theta, worst = p.detach().numpy().copy()[None], 0.0
    for t in range(steps):
        for group in torch_opt.param_groups:
            group["lr"] = lr_at(t)
        torch_opt.zero_grad()
        rosenbrock_torch(p).backward()
        torch_opt.step()
        theta = stepper.step(theta, np.stack(surface.grad(theta[:, 0], theta[:, 1]), -1), lr_at(t))
        worst = max(worst, float(np.abs(theta[0] - p.detach().numpy()).max()))
    return worst


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_update_rule_matches_torch_optim(name):
    lr = 1e-3 if name in ("sgd", "momentum", "nesterov") else 0.05
    spec = OptimizerSpec(name, lr, **ODD)
    p = torch.nn.Parameter(torch.tensor([-1.5, 2.0], dtype=torch.float64))
    assert steps_side_by_side(spec, torch_optimizer(spec, p), p, 1, lambda t: lr) < 1e-15    # one step
    p = torch.nn.Parameter(torch.tensor([-1.5, 2.0], dtype=torch.float64))
    # fifty steps under a changing learning rate (a schedule), the state carried along
    assert steps_side_by_side(spec, torch_optimizer(spec, p), p, 50, lambda t: lr * (0.5 + t / 50)) < 1e-12


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_update_rule_matches_the_librarys_optimizer(name):
    """studies.engine.optim.make_optimizer (fused kernels, momentum 0.9, torch's defaults) takes the same steps."""
    lr = 1e-3 if name in ("sgd", "momentum", "nesterov") else 0.05
    p = torch.nn.Parameter(torch.tensor([0.3, -0.4], dtype=torch.float64))
    assert steps_side_by_side(OptimizerSpec(name, lr), make_optimizer(name, [p], lr), p, 30, lambda t: lr) < 1e-10


def test_adamw_is_adam_with_decoupled_weight_decay():
    """At weight decay 0 AdamW's path is Adam's exactly; with it, θ shrinks by lr·wd before Adam's step."""
    s, setup = SURFACES["rosenbrock"], Setup(steps=80)

    def path(name, wd):
        return simulate(s, OptimizerSpec(name, 0.05, weight_decay=wd), (-1.5, 2.0), setup).theta

    np.testing.assert_array_equal(path("adamw", 0.0), path("adam", 0.0))
    assert not np.array_equal(path("adamw", 0.1), path("adam", 0.1))      # decoupled vs through the gradient
    theta, g = np.array([[2.0, -1.0]]), np.array([[3.0, 0.5]])
    adam = Stepper(OptimizerSpec("adam", 0.1), (1, 2)).step(theta, g, 0.1)
    adamw = Stepper(OptimizerSpec("adamw", 0.1, weight_decay=0.5), (1, 2)).step(theta, g, 0.1)
    np.testing.assert_allclose(adamw, adam - 0.1 * 0.5 * theta, rtol=0, atol=1e-15)


def test_adaptive_methods_take_the_same_step_in_steep_and_flat_directions():
    """Adam's first step is lr·sign(g) whatever the gradient's size: the per-direction rescaling of the notes."""
    g = np.array([[100.0, 0.01]])
    step = Stepper(OptimizerSpec("adam", 0.1), (1, 2)).step(np.zeros((1, 2)), g, 0.1)
    assert step == pytest.approx(np.array([[-0.1, -0.1]]), rel=1e-5)
    sgd = Stepper(OptimizerSpec("sgd", 0.1), (1, 2)).step(np.zeros((1, 2)), g, 0.1)
    assert abs(sgd[0, 0] / sgd[0, 1]) == pytest.approx(1e4)


ESCAPE_STEPS = 150     # every one of 20 seeds of B = 8 leaves |y| ≤ 1 within this many steps (measured ≤ 91)


def test_gd_on_the_stable_manifold_stays_stuck_while_minibatches_escape():
    saddle = SURFACES["saddle"]
    full = simulate(saddle, OptimizerSpec("sgd", 0.05), (1.5, 0.0), Setup(steps=1000, batch=256, n_examples=256))
    end = last_points(full)[0]
    assert end[1] == 0.0 and abs(end[0]) < 1e-10                 # stuck at the saddle, exactly on y = 0
    small = first_small_gradient(saddle, full)
    assert small["kind"] == "saddle" and small["eig_min"] == -2.0 and small["eig_max"] == 2.0
    noisy = simulate(saddle, OptimizerSpec("sgd", 0.05), (1.5, 0.0),
                     Setup(steps=ESCAPE_STEPS, batch=8, n_examples=256, sigma=1.0), seeds=range(20))
    escaped = (np.abs(noisy.theta[:, :, 1]) > 1).any(1)
    assert escaped.all(), f"{(~escaped).sum()} of 20 mini-batch runs still near the saddle"


def test_small_batches_end_in_the_flat_minimum_more_often_than_large_ones():
    """100 seeded trials from random starts around the sharp minimum: B = 1 ends in the flat one in 98 %,
    B = 64 in 9 % (about the share of starts already in its basin)."""
    surface = SURFACES["sharp_flat"]
    rng = np.random.default_rng(123)
    starts = np.column_stack([rng.uniform(-1.6, -0.4, 100), rng.uniform(-0.6, 0.6, 100)])
    flat = {}
    for b in (1, 64):
        p = simulate(surface, OptimizerSpec("sgd", surface.lr), starts,
                     Setup(steps=1000, batch=b, n_examples=256, sigma=surface.noise), seeds=range(100))
        flat[b] = float(np.mean(nearest_minimum(surface, last_points(p)) == 1))
    assert flat[1] >= 0.8 and flat[64] <= 0.3, flat


def test_the_noise_shrinks_like_one_over_sqrt_b():
    xi = examples(256, 1.5)
    assert xi.mean(0) == pytest.approx([0, 0], abs=1e-12) and xi.std(0) == pytest.approx([1.5, 1.5])
    for replacement in (True, False):
        for b in (1, 8, 64):
            noise = batch_noise(xi, b, 4000, replacement=replacement, shuffle=True, seed=1)
            rms = np.sqrt(np.mean(np.sum(noise**2, 1)))
            assert rms == pytest.approx(noise_rms(1.5, 256, b, replacement), rel=0.06), (replacement, b)
    assert noise_rms(1.0, 256, 1, True) / noise_rms(1.0, 256, 64, True) == pytest.approx(8.0)
    assert not batch_noise(xi, 256, 10, replacement=False, shuffle=True, seed=0).any()     # full batch: exact


def test_epochs_visit_every_example_once_in_a_new_or_a_fixed_order():
    xi = examples(64, 1.0)
    fixed = batch_noise(xi, 8, 24, replacement=False, shuffle=False, seed=3)
    shuffled = batch_noise(xi, 8, 24, replacement=False, shuffle=True, seed=3)
    assert np.array_equal(fixed[:8], fixed[8:16]) and not np.allclose(shuffled[:8], shuffled[8:16])
    for noise in (fixed, shuffled):
        assert noise.reshape(3, 8, 2).sum(1) == pytest.approx(np.zeros((3, 2)), abs=1e-12)   # ξ sum to 0
    partial = batch_noise(xi, 48, 4, replacement=False, shuffle=False, seed=3)             # 48 + 16 a pass
    assert (partial[0] * 48 + partial[1] * 16) == pytest.approx([0, 0], abs=1e-12)


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradients_and_hessians_match_finite_differences(name):
    s, h = SURFACES[name], 1e-6
    (x0, x1), (y0, y1) = s.domain
    rng = np.random.default_rng(0)
    x, y = rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)
    gx, gy = s.grad(x, y)
    scale = 1 + np.abs(s.loss(x, y))
    assert np.allclose(gx, (s.loss(x + h, y) - s.loss(x - h, y)) / (2 * h), atol=1e-5 * scale.max() * 100)
    assert np.allclose(gy, (s.loss(x, y + h) - s.loss(x, y - h)) / (2 * h), atol=1e-5 * scale.max() * 100)
    hess = s.hessian(x, y)
    fd_x = (np.stack(s.grad(x + h, y), -1) - np.stack(s.grad(x - h, y), -1)) / (2 * h)
    fd_y = (np.stack(s.grad(x, y + h), -1) - np.stack(s.grad(x, y - h), -1)) / (2 * h)
    assert np.allclose(hess[:, :, 0], fd_x, rtol=1e-5, atol=1e-4) and np.allclose(hess[:, :, 1], fd_y, rtol=1e-5,
                                                                                   atol=1e-4)


def test_the_notes_rule_on_the_hessian_eigenvalues():
    assert [kind_of(v) for v in ((1, 2), (-1, -2), (-1, 2), (0, 1), (0, -1))] == \
        ["minimum", "maximum", "saddle", "undecided", "undecided"]
    assert probe(SURFACES["saddle"], 0, 0).kind == "saddle" and probe(SURFACES["saddle"], 0, 0).critical
    monkey = probe(SURFACES["monkey"], 0, 0)
    assert monkey.critical and monkey.kind == "undecided" and "cannot tell" in monkey.verdict()
    sf = SURFACES["sharp_flat"]
    grad = lambda v: np.array(sf.grad(*v))           # noqa: E731
    for guess, kind in (((-1.0, 0.0), "minimum"), ((1.2, 0.0), "minimum"), ((-0.4, 0.0), "saddle")):
        point = scipy.optimize.root(grad, guess, tol=1e-12).x
        found = probe(sf, *point)
        assert found.critical and found.kind == kind, (guess, found)
    bump_top = scipy.optimize.root(lambda v: np.array(SURFACES["bumpy"].grad(*v)), (3 * np.pi / 4, 3 * np.pi / 4)).x
    assert probe(SURFACES["bumpy"], *bump_top).kind == "maximum"
    assert "not a critical point" in probe(SURFACES["valley"], 1, 1).verdict()


def test_momentum_rolls_over_the_bumps_where_gradient_descent_stops():
    s = SURFACES["bumpy"]
    start = s.starts["on the plateau (3.8, -3.8)"]
    ends = {n: s.loss(*last_points(simulate(s, OptimizerSpec(n, s.lr), start, Setup(steps=200)))[0])
            for n in ("sgd", "momentum")}
    assert ends["sgd"] > 0.5 and ends["momentum"] < 0.01, ends


def test_explore_gives_every_optimizer_and_batch_and_the_verdicts():
    s = SURFACES["saddle"]
    opts = [OptimizerSpec(n, 0.05) for n in OPTIMIZERS]
    steps, summary = explore(s, opts, (1.5, 0.0), Setup(steps=100, n_examples=256), [1, 8, 64, 256])
    assert len(summary) == 4 * len(OPTIMIZERS) and set(steps.batch) == {1, 8, 64, 256}
    full = summary[(summary.batch == 256) & (summary.optimizer == "sgd")].iloc[0]
    assert full.noise_theory == 0 and full.small_kind == "saddle" and full.final_y == 0
    one = summary[summary.batch == 1]
    assert one.noise_theory.iloc[0] == pytest.approx(np.sqrt(2)) and one.left_map.any()
    assert steps.groupby(["optimizer", "batch"]).step.min().eq(0).all()


def test_bad_settings_say_what_to_change():
    with pytest.raises(ValueError, match="batch size B"):
        Setup(batch=300, n_examples=256).check()
    with pytest.raises(ValueError, match="learning rate"):
        Stepper(OptimizerSpec("adam", -1.0), (1, 2))
    with pytest.raises(ValueError, match="beta1"):
        OptimizerSpec("adam", 0.1, beta1=1.0).check()
    with pytest.raises(ValueError, match="batch size B"):
        explore(SURFACES["saddle"], [OptimizerSpec("sgd", 0.1)], (1, 0), Setup(n_examples=64), [128])
