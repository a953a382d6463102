"""studies.models: shapes for every model × data kind, seeded init, the caller's RNG, the plain MLP."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from studies.models import build_model, count_params

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
    assert count_params(linear) == 30 * 2 + 2


def test_mnist1d_cnn_matches_the_reference():
    """Greydanus's ConvBase: conv(1→25, k5) conv(25→25, k3) conv(25→25, k3), stride 2, then 125 → 10."""
    model = build_model("cnn", (), (1, 40), 10, seed=0)
    convs = [m for m in model if isinstance(m, nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0], c.padding[0]) for c in convs] == \
        [(1, 25, 5, 2, 1), (25, 25, 3, 2, 1), (25, 25, 3, 2, 1)]
    assert model[-1].in_features == 125
    assert count_params(model) == (25 * 5 + 25) + 2 * (25 * 25 * 3 + 25) + (125 * 10 + 10)


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
