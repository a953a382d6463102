import math

import pytest
import torch
import torch.nn.functional as F

from studies.spec.config import OPTIMIZERS
from studies.engine.optim import focal_loss, lr_factor, make_loss, make_optimizer


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_lowers_a_quadratic(name):
    w = torch.nn.Parameter(torch.tensor([3.0, -2.0]))
    opt = make_optimizer(name, [w], lr=0.05)
    start = (w ** 2).sum().item()
    for _ in range(50):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    assert (w ** 2).sum().item() < start


def test_optimizer_settings():
    w = [torch.nn.Parameter(torch.zeros(2))]
    assert make_optimizer("momentum", w, 0.1).defaults["momentum"] == 0.9
    assert make_optimizer("nesterov", w, 0.1).defaults["nesterov"] is True
    assert make_optimizer("sgd", w, 0.1).defaults["momentum"] == 0.0
    assert isinstance(make_optimizer("adamw", w, 0.1, 0.01), torch.optim.AdamW)
    d = make_optimizer("momentum", w, 0.1, hyper={"momentum": 0.5, "nesterov": True}).defaults
    assert (d["momentum"], d["nesterov"]) == (0.5, True)
    d = make_optimizer("adam", w, 0.1, hyper={"beta1": 0.8, "beta2": 0.95, "eps": 1e-6}).defaults
    assert (d["betas"], d["eps"]) == ((0.8, 0.95), 1e-6)
    assert make_optimizer("rmsprop", w, 0.1, hyper={"alpha": 0.9}).defaults["alpha"] == 0.9
    assert make_optimizer("sgd", w, 0.1, hyper={"momentum": 0.5}).defaults["momentum"] == 0.0   # sgd has none


def test_schedules_and_warmup():
    kw = dict(total_steps=100, warmup_steps=0)
    assert lr_factor(0, schedule="constant", **kw) == 1.0 == lr_factor(99, schedule="constant", **kw)
    assert lr_factor(0, schedule="cosine", **kw) == pytest.approx(1.0)
    assert lr_factor(50, schedule="cosine", **kw) == pytest.approx(0.5)
    assert lr_factor(100, schedule="cosine", **kw) == pytest.approx(0.0, abs=1e-12)
    assert [lr_factor(s, schedule="step", **kw) for s in (0, 49, 50, 75)] == pytest.approx([1, 1, 0.1, 0.01])
    warm = dict(total_steps=100, warmup_steps=10, schedule="constant")
    assert [lr_factor(s, **warm) for s in (0, 4, 9, 10, 60)] == pytest.approx([0.1, 0.5, 1.0, 1.0, 1.0])
    assert lr_factor(10, total_steps=100, warmup_steps=10, schedule="cosine") == pytest.approx(1.0)


def test_focal_loss_matches_its_formula_and_reduces_to_cross_entropy():
    torch.manual_seed(0)
    logits, y = torch.randn(16, 5), torch.randint(0, 5, (16,))
    p_t = F.softmax(logits, -1)[torch.arange(16), y]
    assert focal_loss(logits, y).item() == pytest.approx((-(1 - p_t) ** 2 * p_t.log()).mean().item(), rel=1e-6)
    assert focal_loss(logits, y, gamma=0.0).item() == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-6)
    # easy examples are down-weighted: focal < cross-entropy
    assert focal_loss(logits, y).item() < F.cross_entropy(logits, y).item()
    assert make_loss("cross_entropy") is F.cross_entropy and not math.isnan(make_loss("focal")(logits, y).item())
