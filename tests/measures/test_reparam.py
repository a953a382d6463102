"""Adaptive sharpness and the rescaling audit: known answers on a quadratic, a trained ReLU MLP whose copy with
layer l × α and layer l + 1 × 1/α computes the same logits, keeps its adaptive sharpness and moves λ_max, and
models the audit refuses with a reason."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.spec.config import MeasureSpec
from studies import measures
from studies.measures.measure_run import measure_run
from studies.measures.objective import objective
from studies.measures.reparam import logits_max_diff, rescale_pair, rescaled, rescaled_state
from studies.measures.sharpness import adaptive_sharpness, eps_sharpness


class Quadratic(nn.Module):
    """f(w) = ½·Σ a_i·w_i² whatever the input: the box maximum is known in closed form."""

    def __init__(self, w, a):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.register_buffer("a", torch.tensor(a, dtype=torch.float64))

    def forward(self, x):
        return (0.5 * self.a * self.w ** 2).sum().expand(len(x))


def _mean(out, y):
    return out.mean()


def test_adaptive_and_keskar_boxes_reach_their_closed_form_maxima_on_a_convex_quadratic():
    model = Quadratic([0.5, -2.0, 0.0, 3.0], [1.0, 2.0, 5.0, 0.5])
    obj = objective(model, torch.zeros(3, 1, dtype=torch.float64), torch.zeros(3), _mean)
    f0 = 0.5 * (0.25 + 2 * 4 + 0 + 0.5 * 9)
    eps = 0.01
    got = adaptive_sharpness(obj, eps, iters=20)
    assert got.base_loss == pytest.approx(f0) and got.max_loss == pytest.approx(f0 * (1 + eps) ** 2, rel=1e-12)
    assert got.value == pytest.approx(100 * f0 * ((1 + eps) ** 2 - 1) / (1 + f0), rel=1e-10)
    # Keskar's box ε(|w| + 1) is wider; the weight at 0 has gradient 0 there, so L-BFGS-B leaves it
    w, a = [0.5, 2.0, 3.0], [1.0, 2.0, 0.5]
    keskar = 0.5 * sum(ai * (wi + eps * (wi + 1)) ** 2 for wi, ai in zip(w, a))
    assert eps_sharpness(obj, eps, iters=20).max_loss == pytest.approx(keskar, rel=1e-12)
    with pytest.raises(ValueError, match="eps must be > 0"):
        adaptive_sharpness(obj, 0.0)


def _trained_mlp(hidden=(32, 32), steps=150):
    torch.manual_seed(0)
    x, y = torch.randn(300, 12), torch.randint(0, 4, (300,))
    layers, width = [nn.Flatten()], 12
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval(), x, y


def test_the_rescaled_twin_is_the_same_function_at_another_point():
    model, x, y = _trained_mlp()
    assert rescale_pair(model) == ("1", "3")
    twin = rescaled(model, 10.0)
    assert logits_max_diff(model, twin, x) <= 1e-4
    assert torch.equal(twin[1].weight, model[1].weight * 10) and torch.equal(twin[3].weight, model[3].weight / 10)
    assert torch.equal(twin[1].bias, model[1].bias * 10) and torch.equal(twin[3].bias, model[3].bias)
    state = rescaled_state(model, model.state_dict(), 10.0)
    assert all(torch.equal(state[k], v) for k, v in twin.state_dict().items())
    with pytest.raises(ValueError, match="alpha must be > 0"):
        rescaled(model, 0.0)


def test_the_audit_keeps_adaptive_sharpness_and_moves_lambda_max_and_keskar():
    model, x, y = _trained_mlp()
    rows = []
    spec = MeasureSpec(sharpness_adaptive=True, rescale_audit=True, noise_scale=False, sample=300)
    out = measure_run(model, x, y, F.cross_entropy, spec, density_rows=rows)
    audit = {r["measure"]: r for r in rows if r["kind"] == "audit"}
    assert set(audit) == {"sharpness_eps", "sharpness_adaptive", "sharpness_rand", "sharpness_sam", "grad_norm",
                          "hessian_top_eig", "hessian_trace"}
    for r in audit.values():
        assert r["original"] == pytest.approx(out[r["measure"]]) and r["ratio"] == pytest.approx(
            r["rescaled"] / r["original"]) and r["logits_max_diff"] <= 1e-4 and r["rescale_alpha"] == 10.0
    assert audit["sharpness_adaptive"]["ratio"] == pytest.approx(1.0, abs=0.01)
    assert audit["sharpness_rand"]["ratio"] == pytest.approx(1.0, abs=0.01)   # filter-normalised: invariant too
    assert audit["hessian_top_eig"]["ratio"] >= 10 and audit["sharpness_eps"]["ratio"] >= 2
    assert out["rescale_audit_time_s"] > 0 and "rescale_audit_note" not in out


def test_the_audit_refuses_batch_norm_and_models_without_a_relu_pair_with_a_reason():
    bn = nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3)).eval()
    with pytest.raises(ValueError, match="normalisation layers: '2' \\(BatchNorm1d\\)"):
        rescale_pair(bn)
    with pytest.raises(ValueError, match="two weighted layers joined by ReLU"):
        rescale_pair(nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)))
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    off = {s.name: () if s.listed else False for s in measures.switches()}
    out = measure_run(bn, x, y, F.cross_entropy, MeasureSpec(**{**off, "hessian": True, "rescale_audit": True},
                                                             sample=40), density_rows=(rows := []))
    assert "BatchNorm1d" in out["rescale_audit_note"] and rows == [] and "hessian_top_eig" in out


def test_conv_layers_joined_by_relu_and_pooling_are_a_pair():
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1),
                        nn.ReLU(), nn.Flatten(), nn.Linear(16, 3)).eval()
    assert rescale_pair(cnn) == ("0", "3")
    x = torch.randn(8, 1, 4, 4)
    assert logits_max_diff(cnn, rescaled(cnn, 7.0), x) <= 1e-5
