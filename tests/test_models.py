"""studies.engine.models: shapes for every model × data kind, seeded init, the caller's RNG, the plain MLP."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from studies.engine.models import build_model

SHAPES = {
    "tabular": (13,),
    "digits": (1, 8, 8),
    "mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
    "odd image": (2, 9, 7),
    "mnist1d": (1, 40),
    "two-channel sequence": (2, 50),
}


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
@pytest.mark.parametrize("kind", list(SHAPES))
@pytest.mark.parametrize("hidden", [(), (16,), (32, 8)])
def test_output_shape(name, kind, hidden):
    shape = SHAPES[kind]
    if name == "cnn" and len(shape) == 1:
        pytest.skip("cnn on tabular data is refused (tested below)")
    model = build_model(name, hidden, shape, 7, seed=0)
    out = model(torch.randn(5, *shape))
    assert out.shape == (5, 7) and out.dtype == torch.float32
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_same_seed_same_weights_other_seed_other_weights():
    for name, shape in (("mlp", (1, 8, 8)), ("cnn", (1, 8, 8)), ("cnn", (1, 40))):
        a = build_model(name, (64,), shape, 10, seed=3)
        b = build_model(name, (64,), shape, 10, seed=3)
        c = build_model(name, (64,), shape, 10, seed=4)
        assert _same_weights(a, b)
        assert not _same_weights(a, c)


def test_global_rng_untouched():
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    build_model("mlp", (32, 32), (40,), 4, seed=9)
    build_model("cnn", (16,), (3, 32, 32), 10, seed=9)
    build_model("cnn", (), (1, 40), 10, seed=9)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_cnn_on_tabular_and_unknown_model_raise():
    with pytest.raises(ValueError, match="mlp"):
        build_model("cnn", (8,), (13,), 3, seed=0)
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet", (8,), (13,), 3, seed=0)
    with pytest.raises(ValueError, match="4×4"):
        build_model("cnn", (), (1, 3, 3), 3, seed=0)


def test_mlp_is_a_plain_sequential():
    model = build_model("mlp", (256, 128), (1, 8, 8), 10, seed=0)
    assert type(model) is nn.Sequential
    assert [type(m) for m in model] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 256), (256, 128), (128, 10)]
    linear = build_model("mlp", (), (30,), 2, seed=0)
    assert [type(m) for m in linear] == [nn.Flatten, nn.Linear]
    assert n_weights(linear) == 30 * 2 + 2


def test_mnist1d_cnn_matches_the_reference():
    """Greydanus's ConvBase: conv(1→25, k5) conv(25→25, k3) conv(25→25, k3), stride 2, then 125 → 10."""
    model = build_model("cnn", (), (1, 40), 10, seed=0)
    convs = [m for m in model if isinstance(m, nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0], c.padding[0]) for c in convs] == \
        [(1, 25, 5, 2, 1), (25, 25, 3, 2, 1), (25, 25, 3, 2, 1)]
    assert model[-1].in_features == 125
    assert n_weights(model) == (25 * 5 + 25) + 2 * (25 * 25 * 3 + 25) + (125 * 10 + 10)


def test_image_cnn_layout():
    model = build_model("cnn", (128,), (1, 8, 8), 10, seed=0)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (3, 3)), (64, (3, 3))]
    assert sum(isinstance(m, nn.MaxPool2d) for m in model) == 2
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    head = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in head] == [(64 * 2 * 2, 128), (128, 10)]


def test_cnn_trains_a_step():
    model = build_model("cnn", (16,), (1, 8, 8), 10, seed=0)
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,))
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("norm, ghost", [("batch", 0), ("ghost", 4)])
def test_norm_puts_batch_norm_after_every_hidden_layer_and_conv(norm, ghost):
    """Linear/conv (no bias) → GhostBatchNorm → ReLU; the logits layer keeps its bias and has no norm."""
    from studies.engine.norm import GhostBatchNorm
    mlp = build_model("mlp", (32, 16), (1, 8, 8), 10, seed=0, norm=norm, ghost_batch=ghost)
    assert [type(m) for m in mlp] == [nn.Flatten] + [nn.Linear, GhostBatchNorm, nn.ReLU] * 2 + [nn.Linear]
    assert [m.bias is None for m in mlp if isinstance(m, nn.Linear)] == [True, True, False]
    assert all(m.ghost == ghost for m in mlp if isinstance(m, GhostBatchNorm))
    cnn = build_model("cnn", (16,), (1, 8, 8), 10, seed=0, norm=norm, ghost_batch=ghost)
    kinds = [type(m) for m in cnn]
    assert kinds[:8] == [nn.Conv2d, GhostBatchNorm, nn.ReLU, nn.MaxPool2d] * 2
    seq = build_model("cnn", (), (1, 40), 10, seed=0, norm=norm, ghost_batch=ghost)
    assert [type(m) for m in seq][:9] == [nn.Conv1d, GhostBatchNorm, nn.ReLU] * 3
    for kind, shape in SHAPES.items():
        for name in ("mlp", "cnn") if len(shape) > 1 else ("mlp",):
            model = build_model(name, (16,), shape, 7, seed=0, norm=norm, ghost_batch=ghost)
            assert model(torch.randn(10, *shape)).shape == (10, 7)   # training mode: chunks 4, 4, 2 for ghost
            assert model.eval()(torch.randn(1, *shape)).shape == (1, 7)
    # the same seed, the same weights; no norm: the models as they were (no norm modules at all)
    assert _same_weights(build_model("mlp", (8,), (5,), 2, 1, norm=norm, ghost_batch=ghost),
                         build_model("mlp", (8,), (5,), 2, 1, norm=norm, ghost_batch=ghost))
    assert not any(isinstance(m, GhostBatchNorm) for m in build_model("cnn", (8,), (1, 8, 8), 2, 1).modules())


def test_run_model_builds_the_runs_norm():
    from studies.spec.config import StudySpec
    from studies.engine.data import load_dataset
    from studies.engine.models import run_model
    data = load_dataset("digits")
    run = StudySpec.from_dict({"dataset": "digits", "hidden": [8], "norm": "ghost", "ghost_batch": 16,
                               "batch_sizes": [64]}).expand(n_train=data.n_train)[0]
    model = run_model(run, data)
    assert model[2].ghost == 16 and _same_weights(model, build_model("mlp", (8,), (1, 8, 8), 10, run.seed,
                                                                     norm="ghost", ghost_batch=16))


def n_weights(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
