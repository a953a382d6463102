"""λ_max over training: the stability threshold's known answer (GD on a quadratic diverges exactly past it,
torch's own SGD with and without momentum), and the training probe's λ_max against a dense eigendecomposition
of the Hessian at the same epoch."""
import math

import numpy as np
import pytest
import torch

from studies.spec.optimizers import stability_threshold


def _gd(lam: float, lr: float, *, momentum: float = 0.0, nesterov: bool = False, steps: int = 3000) -> float:
    """|w| after `steps` of torch.optim.SGD on f(w) = ½·λ·w², from w = 1 (float64)."""
    w = torch.ones(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum, nesterov=nesterov)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * lam * w * w).sum().backward()
        opt.step()
    return float(w.detach().abs())


@pytest.mark.parametrize("name, given", [("sgd", None), ("momentum", None), ("momentum", {"momentum": 0.5}),
                                         ("nesterov", None), ("momentum", {"nesterov": True})])
def test_gd_on_a_quadratic_diverges_exactly_past_the_threshold(name, given):
    lr = 0.05
    lam, formula = stability_threshold(name, lr, given)
    kw = {"sgd": {}, "momentum": {"momentum": (given or {}).get("momentum", 0.9),
                                  "nesterov": (given or {}).get("nesterov", False)},
          "nesterov": {"momentum": 0.9, "nesterov": True}}[name]
    assert _gd(lam * 0.99, lr, **kw) < 1e-3        # just below: converges
    assert _gd(lam * 1.01, lr, **kw) > 1e3         # just above: diverges
    assert formula == {"sgd": "2/η"}.get(name, "(2+2β)/((1+2β)η)" if kw.get("nesterov") else "(2+2β)/η")


def test_threshold_values_and_adaptive_methods_have_none():
    assert stability_threshold("sgd", 0.1) == (pytest.approx(20.0), "2/η")
    assert stability_threshold("momentum", 0.05)[0] == pytest.approx((2 + 1.8) / 0.05)
    for name in ("adam", "adamw", "rmsprop", "adagrad"):
        assert stability_threshold(name, 0.001) is None
    with pytest.raises(ValueError, match="unknown optimizer"):
        stability_threshold("lion", 0.1)


def test_tracked_lambda_max_equals_the_dense_eigendecomposition_at_the_same_epoch():
    from studies.spec.config import MeasureSpec, StudySpec
    from studies.engine.data import load_dataset
    from studies.measures.hessian import hessian_matrix
    from studies.measures.measure_run import sample_indices, training_probe
    from studies.measures.objective import objective
    from studies.engine.models import build_model
    from studies.engine.optim import make_loss
    from studies.engine.train import train_run
    torch.set_num_threads(1)
    spec = StudySpec.from_dict({"dataset": "digits", "hidden": [8], "batch_sizes": [64], "optimizers": ["sgd"],
                                "shuffle": [True], "seeds": [0], "epochs": 5})
    data = load_dataset("digits", spec.data, "cpu")
    run = spec.expand(n_train=data.n_train)[0]
    measure = MeasureSpec(noise_scale=False, hessian_track=True, sample=256)
    model = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed)
    probe = training_probe(model, data.x_train, data.y_train, make_loss(run.loss), measure)
    states = {}

    def recording(epoch, state):   # the loop's own call, plus a copy of the weights it probed
        states[epoch] = {k: v.detach().clone() for k, v in state.items()}
        return probe(epoch, state)
    recording.wants = probe.wants
    result = train_run(run, data, torch.device("cpu"), probe=recording)
    rows = [r for r in result.epoch_rows if "hessian_top_eig" in r]
    assert [r["epoch"] for r in rows] == [0, 1, 4, 5]
    idx = sample_indices(data.n_train, 256, 0)
    twin = build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed).double().eval()
    for r in rows:
        state = {k: v.double() for k, v in states[r["epoch"]].items()}
        obj = objective(twin, data.x_train[idx].double(), data.y_train[idx], make_loss(run.loss), state=state)
        dense = float(np.linalg.eigvalsh(hessian_matrix(obj))[-1])
        # within its own error bar (the residual bound, ≤ 3 % of λ_max), and in fact within 0.5 %
        assert abs(r["hessian_top_eig"] - dense) <= r["hessian_top_eig_err"], r["epoch"]
        assert r["hessian_top_eig"] == pytest.approx(dense, rel=5e-3), r["epoch"]
        assert 0 <= r["hessian_top_eig_err"] <= 0.03 * dense + 1e-12 and r["hessian_track_hvps"] >= 1
    assert math.isfinite(result.epoch_rows[2]["train_loss"]) and "hessian_top_eig" not in result.epoch_rows[2]


def test_a_warm_started_probe_follows_each_member_of_a_stack_from_its_own_vector():
    from studies.measures.track import HessianProbe
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    probe = HessianProbe(model, x, y, torch.nn.functional.cross_entropy, seed=3)
    a = {k: v.clone() for k, v in model.state_dict().items()}
    b = {k: v * 1.5 for k, v in a.items()}
    first = [probe(0, a), probe(0, b)]
    assert len(probe.last) == 2
    again = [probe(1, a), probe(1, b)]   # same weights: each from its own vector, so ~1 step each
    for f, g in zip(first, again):
        assert g["hessian_top_eig"] == pytest.approx(f["hessian_top_eig"], rel=0.03)
        assert g["hessian_track_hvps"] <= f["hessian_track_hvps"]
