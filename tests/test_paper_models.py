"""The papers' conv nets: ResNet-20's published size, Keskar's C1, ghost batch norm honoured, the time estimate's
closed forms, and every measure finite on them (batch norm in eval mode, the general Hessian-vector path)."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from studies.engine.models import build_model
from studies.engine.norm import GhostBatchNorm
from studies.engine.optim import make_loss
from studies.measures.measure_run import measure_run
from studies.measures.objective import objective
from studies.spec.config import MeasureSpec
from studies.spec.model_facts import model_cost


def count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_resnet20_has_he_et_al_s_269_722_weights_for_cifar10():
    m = build_model("resnet20", (), (3, 32, 32), 10, seed=0)
    assert count(m) == 269_722   # the paper's "0.27 M": option-A shortcuts have no weights
    convs = [x for x in m.modules() if isinstance(x, nn.Conv2d)]
    assert len(convs) == 19 and sum(isinstance(x, nn.Linear) for x in m.modules()) == 1   # 6n + 2 = 20 layers
    assert all(c.bias is None for c in convs) and sum(isinstance(x, GhostBatchNorm) for x in m.modules()) == 19
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_keskar_c1_layers():
    m = build_model("keskar_c1", (), (3, 32, 32), 10, seed=0)
    convs = [x for x in m.modules() if isinstance(x, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [(3, 64, (5, 5)), (64, 64, (5, 5))]
    assert [(x.in_features, x.out_features) for x in m.modules() if isinstance(x, nn.Linear)] == \
        [(64 * 8 * 8, 384), (384, 192), (192, 10)]
    assert count(m) == 1_756_554


@pytest.mark.parametrize("name", ["resnet20", "keskar_c1"])
@pytest.mark.parametrize("shape, classes", [((3, 32, 32), 10), ((3, 32, 32), 100), ((1, 28, 28), 10), ((1, 8, 8), 10)])
def test_the_estimate_s_closed_form_counts_every_weight(name, shape, classes):
    assert model_cost(name, shape, classes).weights == count(build_model(name, (), shape, classes, seed=0))


def test_resnet20_forward_flops_match_the_usual_41_million():
    assert model_cost("resnet20", (3, 32, 32), 10).train_flops / 6 == pytest.approx(40.6e6, rel=0.01)


@pytest.mark.parametrize("name", ["resnet20", "keskar_c1"])
def test_ghost_norm_reaches_every_norm_and_normalises_chunks(name):
    m = build_model(name, (), (3, 8, 8), 10, seed=0, norm="ghost", ghost_batch=4)
    norms = [x for x in m.modules() if isinstance(x, GhostBatchNorm)]
    assert norms and all(n.ghost == 4 for n in norms)
    plain = build_model(name, (), (3, 8, 8), 10, seed=0)
    assert all(n.ghost == 0 for n in plain.modules() if isinstance(n, GhostBatchNorm))
    x = torch.randn(8, 3, 8, 8)
    a, b = m.train()(x), torch.cat([plain.train()(x[:4]), plain(x[4:])])
    assert torch.allclose(a, b, atol=1e-5)   # ghost over chunks of 4 = plain batch norm on each chunk


def test_same_seed_same_weights_and_the_global_rng_untouched():
    state = torch.get_rng_state()
    a, b = (build_model("resnet20", (), (3, 8, 8), 10, seed=3) for _ in range(2))
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_paper_models_refuse_data_that_is_not_an_image():
    with pytest.raises(ValueError, match="needs image data"):
        build_model("resnet20", (), (1, 40), 10, seed=0)


@pytest.mark.slow   # minutes on a busy 2-core CPU: Lanczos, L-BFGS-B and per-example gradients of 0.27-1.7 M weights
@pytest.mark.parametrize("name", ["resnet20", "keskar_c1"])
def test_every_measure_is_finite_on_the_batch_norm_models_in_eval_mode(name):
    torch.manual_seed(0)
    x, y = torch.randn(48, 3, 8, 8), torch.arange(48) % 4
    model = build_model(name, (), (3, 8, 8), 4, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(3):   # a few steps, so the running statistics are not the initial ones
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    loss_fn = make_loss("cross_entropy")
    assert objective(model, x, y, loss_fn).calc is None   # the general Hessian-vector path, not mlp_hvp
    spec = MeasureSpec.from_dict({"sample": 32, "lbfgs_iters": 2, "random_directions": 2, "landscape_points": 3,
                                  "sharpness_adaptive": True, "rescale_audit": True})
    init = {k: v.clone() for k, v in build_model(name, (), (3, 8, 8), 4, seed=1).state_dict().items()}
    row = measure_run(model, x, y, loss_fn, spec, init_state=init)
    numbers = {k: v for k, v in row.items() if isinstance(v, float) and not k.endswith("_time_s")}
    for col in ("sharpness_eps", "sharpness_rand", "sharpness_sam", "sharpness_adaptive", "hessian_top_eig",
                "hessian_trace", "grad_norm", "noise_scale"):   # λ_min (critical) is off here: its Lanczos run is slow
        assert math.isfinite(row[col]), col
    assert all(math.isfinite(v) for k, v in numbers.items() if not k.endswith("_se")), numbers
    assert "batch norm" in row["rescale_audit_note"] or "normalisation" in row["rescale_audit_note"]
    assert not model.training   # measured in eval mode and left there
