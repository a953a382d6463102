"""Landscape slices: filter normalisation, the ends of the interpolation, α = 0 of a random slice."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studies.measures.landscape import (INTERPOLATION_ALPHAS, filter_normalized_direction, interpolate_state,
                               interpolation_rows, random_slice_rows)

KEYS = {"kind", "alpha", "train_loss", "train_acc", "test_loss", "test_acc"}


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 4))


def cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 5 * 5, 3))


def split(n, shape, classes, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=g), torch.randint(0, classes, (n,), generator=g)


def direct(model, x, y):
    with torch.no_grad():
        out = model(x)
    return F.cross_entropy(out, y).item(), (out.argmax(1) == y).float().mean().item()


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_same(model, before):
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_filter_normalized_direction_has_the_row_norms_it_claims():
    model = cnn()
    params = dict(model.named_parameters())
    d = filter_normalized_direction(params, torch.Generator().manual_seed(0))
    assert list(d) == list(params)
    for name, p in params.items():
        assert d[name].shape == p.shape and d[name].dtype == p.dtype
        if p.dim() < 2:                                   # conv/linear biases, batch-norm weight and bias
            assert torch.count_nonzero(d[name]) == 0, name
        else:                                             # each output filter / row: ‖d_i‖ = ‖θ_i‖
            torch.testing.assert_close(d[name].flatten(1).norm(dim=1), p.detach().flatten(1).norm(dim=1),
                                       rtol=1e-6, atol=0)
            assert not torch.allclose(d[name], p.detach())


def test_filter_normalized_direction_is_seeded():
    params = dict(mlp().named_parameters())
    a = filter_normalized_direction(params, torch.Generator().manual_seed(1))
    b = filter_normalized_direction(params, torch.Generator().manual_seed(1))
    c = filter_normalized_direction(params, torch.Generator().manual_seed(2))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["1.weight"], c["1.weight"])


def test_random_slice_at_zero_reproduces_the_model():
    model = mlp().eval()
    train, test = split(50, (6,), 4, 0), split(30, (6,), 4, 1)
    before = snapshot(model)
    rows = random_slice_rows(model, train, test, F.cross_entropy, alphas=[-1.0, 0.0, 0.5], seed=3, chunk=16)
    assert [r["alpha"] for r in rows] == [-1.0, 0.0, 0.5]
    assert all(set(r) == KEYS and r["kind"] == "random" for r in rows)
    zero = rows[1]
    assert (zero["test_loss"], zero["test_acc"]) == pytest.approx(direct(model, *test), rel=1e-6)
    assert (zero["train_loss"], zero["train_acc"]) == pytest.approx(direct(model, *train), rel=1e-6)
    assert rows[0]["train_loss"] != zero["train_loss"]
    assert_same(model, before)
    assert not model.training
    again = random_slice_rows(model, train, test, F.cross_entropy, alphas=[-1.0, 0.0, 0.5], seed=3)
    assert [r["train_loss"] for r in again] == pytest.approx([r["train_loss"] for r in rows], rel=1e-6)


def train_a_little(model, x, y, steps, lr, seed):
    torch.manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return snapshot(model)


def test_interpolation_ends_reproduce_each_solution_with_batchnorm_buffers():
    train, test = split(40, (1, 5, 5), 3, 0), split(20, (1, 5, 5), 3, 1)
    model = cnn()
    state_a = train_a_little(model, *train, steps=3, lr=0.05, seed=0)
    state_b = train_a_little(model, *train, steps=8, lr=0.2, seed=1)
    assert state_a["1.num_batches_tracked"] != state_b["1.num_batches_tracked"]
    model.eval()
    current = snapshot(model)
    rows = interpolation_rows(model, state_a, state_b, train, test, F.cross_entropy, chunk=7)
    assert [r["alpha"] for r in rows] == pytest.approx(list(INTERPOLATION_ALPHAS))
    assert rows[0]["alpha"] == pytest.approx(-0.5) and rows[-1]["alpha"] == pytest.approx(1.5)
    assert all(set(r) == KEYS and r["kind"] == "interpolation" for r in rows)
    assert_same(model, current)
    assert not model.training
    by_alpha = {round(r["alpha"], 6): r for r in rows}
    for alpha, state in ((0.0, state_a), (1.0, state_b)):
        ref = cnn()
        ref.load_state_dict(state)
        ref.eval()
        r = by_alpha[alpha]
        assert (r["train_loss"], r["train_acc"]) == pytest.approx(direct(ref, *train), rel=1e-5)
        assert (r["test_loss"], r["test_acc"]) == pytest.approx(direct(ref, *test), rel=1e-5)


def test_interpolate_state_floats_linear_integers_from_nearer_end():
    a = {"w": torch.tensor([0.0, 2.0]), "n": torch.tensor(3)}
    b = {"w": torch.tensor([4.0, -2.0]), "n": torch.tensor(10)}
    mid = interpolate_state(a, b, 0.25)
    torch.testing.assert_close(mid["w"], torch.tensor([1.0, 1.0]))
    assert mid["n"].item() == 3 and interpolate_state(a, b, 0.75)["n"].item() == 10
    torch.testing.assert_close(interpolate_state(a, b, -0.5)["w"], torch.tensor([-2.0, 4.0]))
    torch.testing.assert_close(interpolate_state(a, b, 1.5)["w"], torch.tensor([6.0, -4.0]))
    assert torch.equal(interpolate_state(a, b, 0.0)["w"], a["w"])
    assert torch.equal(interpolate_state(a, b, 1.0)["w"], b["w"])
    with pytest.raises(ValueError, match="different keys"):
        interpolate_state(a, {"w": b["w"]}, 0.5)


def test_default_grids():
    assert INTERPOLATION_ALPHAS[0] == -0.5 and INTERPOLATION_ALPHAS[-1] == 1.5
    assert 0.0 in INTERPOLATION_ALPHAS and 1.0 in INTERPOLATION_ALPHAS
    assert np.allclose(np.diff(INTERPOLATION_ALPHAS), 0.1)


def _mlp_objective(seed=0, n=200):
    from studies.measures.objective import objective
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, 4)).eval()
    x, y = torch.randn(n, 10), torch.randint(0, 4, (n,))
    return objective(model, x, y, F.cross_entropy, chunk=64)


def test_surface_centre_is_the_measured_loss_and_every_point_its_own_forward_pass():
    from studies.measures.landscape import surface_rows
    obj = _mlp_objective()
    assert obj.calc is not None   # the MLP's own path (first layer formed once), in chunks of 64
    rows = surface_rows(obj, 5, torch.Generator().manual_seed(3))
    assert len(rows) == 25 and {r["kind"] for r in rows} == {"surface"}
    assert sorted({r["alpha"] for r in rows}) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    centre = [r for r in rows if r["alpha"] == 0 and r["beta"] == 0]
    assert centre[0]["train_loss"] == pytest.approx(obj.loss(), rel=1e-6)
    gen = torch.Generator().manual_seed(3)
    params = obj.unflatten(obj.theta)
    d1, d2 = (obj.flatten(filter_normalized_direction(params, gen)) for _ in range(2))
    for r in rows[::6]:   # the general path: one plain loss per point
        assert r["train_loss"] == pytest.approx(obj.loss(obj.theta + r["alpha"] * d1 + r["beta"] * d2), rel=1e-5)
    assert max(r["train_loss"] for r in rows) > centre[0]["train_loss"]


def test_surface_directions_are_the_same_for_every_run_with_the_seed():
    from studies.measures.landscape import surface_rows
    from studies.measures.objective import objective
    obj = _mlp_objective()
    generic = objective(obj.model, obj.x, obj.y, lambda out, y: F.cross_entropy(out, y))   # no MLP path
    assert generic.calc is None
    a = surface_rows(obj, 3, torch.Generator().manual_seed(8))
    b = surface_rows(generic, 3, torch.Generator().manual_seed(8))
    assert [r["train_loss"] for r in a] == pytest.approx([r["train_loss"] for r in b], rel=1e-5)
    with pytest.raises(ValueError, match="odd"):
        surface_rows(obj, 4)
