"""studies/engine/norm.py: ghost batch norm against torch's BatchNorm and against chunk-by-chunk references."""
import pytest
import torch
from torch import nn

from studies.engine.norm import GhostBatchNorm, ghost_chunks

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("batch, ghost, sizes", [
    (32, 0, [32]), (32, 32, [32]), (32, 64, [32]), (8, 4, [4, 4]), (10, 4, [4, 4, 2]), (9, 4, [4, 5]),
    (5, 4, [5]), (13, 4, [4, 4, 5]), (1, 4, [1]), (7, 2, [2, 2, 3]), (6, 2, [2, 2, 2])])
def test_ghost_chunks(batch, ghost, sizes):
    assert ghost_chunks(batch, ghost) == sizes and sum(sizes) == batch


def _pair(torch_cls, features, ghost=0, seed=0):
    """A GhostBatchNorm and a torch BatchNorm with the same random affine weights and running statistics."""
    g = torch.Generator().manual_seed(seed)
    ours, theirs = GhostBatchNorm(features, ghost).double(), torch_cls(features).double()
    state = {"weight": torch.rand(features, generator=g, dtype=torch.float64) + 0.5,
             "bias": torch.randn(features, generator=g, dtype=torch.float64),
             "running_mean": torch.randn(features, generator=g, dtype=torch.float64),
             "running_var": torch.rand(features, generator=g, dtype=torch.float64) + 0.5,
             "num_batches_tracked": torch.tensor(3)}
    ours.load_state_dict(state)
    theirs.load_state_dict(state)
    return ours, theirs


@pytest.mark.parametrize("torch_cls, shape", [(nn.BatchNorm1d, (12, 5)), (nn.BatchNorm1d, (12, 5, 7)),
                                              (nn.BatchNorm2d, (12, 5, 3, 4))])
@pytest.mark.parametrize("ghost", [0, 12, 50])
def test_one_chunk_is_torchs_batch_norm_bit_for_bit(torch_cls, shape, ghost):
    """ghost = 0, or N ≥ B: the same output, gradients and running statistics as torch's BatchNorm, exactly."""
    ours, theirs = _pair(torch_cls, shape[1], ghost)
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    w = torch.randn(shape, dtype=torch.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    (ours(xa) * w).sum().backward()
    (theirs(xb) * w).sum().backward()
    assert torch.equal(ours(x.clone()).detach(), theirs(x.clone()).detach())   # a second step, from the updated stats
    assert torch.equal(xa.grad, xb.grad) and torch.equal(ours.weight.grad, theirs.weight.grad)
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    ours.eval(), theirs.eval()
    assert torch.equal(ours(x), theirs(x))


def test_ghost_normalises_each_chunk_by_itself_and_updates_the_running_stats_per_chunk():
    """B = 11, N = 4: chunks 4, 4, 3, each the batch norm of those rows alone; the running statistics take
    the chunks' means and unbiased variances one after another (momentum 0.1 each), three updates counted."""
    ours, ref = _pair(nn.BatchNorm1d, 6, ghost=4)
    x = torch.randn(11, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    out = ours(x)
    expected = [ref(part) for part in x.split([4, 4, 3])]   # torch's BatchNorm, one chunk at a time
    torch.testing.assert_close(out, torch.cat(expected), rtol=0, atol=1e-14)
    _, fresh = _pair(nn.BatchNorm1d, 6, ghost=4)
    rm, rv = fresh.running_mean.clone(), fresh.running_var.clone()
    for part in x.split([4, 4, 3]):
        rm = 0.9 * rm + 0.1 * part.mean(0)
        rv = 0.9 * rv + 0.1 * part.var(0, unbiased=True)
    torch.testing.assert_close(ours.running_mean, rm, rtol=0, atol=1e-14)
    torch.testing.assert_close(ours.running_var, rv, rtol=0, atol=1e-14)
    assert int(ours.num_batches_tracked) == 3 + 3   # loaded at 3, then one update per chunk


def test_a_remainder_of_one_example_joins_the_previous_chunk():
    ours, ref = _pair(nn.BatchNorm1d, 3, ghost=4)
    x = torch.randn(9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(ours(x), torch.cat([ref(x[:4]), ref(x[4:])]), rtol=0, atol=1e-14)


def test_a_batch_of_one_example_uses_the_running_statistics_and_leaves_them_alone():
    """torch's BatchNorm1d raises on one value per channel in training; here it is normalised as in eval mode,
    the statistics untouched, and its gradient still reaches the weights."""
    ours, theirs = _pair(nn.BatchNorm1d, 4, ghost=2)
    x = torch.randn(1, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        theirs(x)
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    out = ours(x)
    out.sum().backward()
    assert ours.weight.grad is not None and ours.weight.grad.abs().sum() > 0
    for key, value in before.items():
        assert torch.equal(ours.state_dict()[key], value), key
    theirs.eval()
    torch.testing.assert_close(out.detach(), theirs(x), rtol=0, atol=0)
    # images: one example still has H·W values per channel, normalised by itself as torch does
    ours2, theirs2 = _pair(nn.BatchNorm2d, 4)
    img = torch.randn(1, 4, 3, 3, dtype=torch.float64)
    assert torch.equal(ours2(img), theirs2(img))


def test_state_dict_loads_into_torchs_batch_norm_and_back():
    ours = GhostBatchNorm(5, 8)
    ours(torch.randn(20, 5))
    theirs = nn.BatchNorm1d(5)
    theirs.load_state_dict(ours.state_dict())
    back = GhostBatchNorm(5, 8)
    back.load_state_dict(theirs.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), back.state_dict().values()))
    with pytest.raises(ValueError, match="2-D, 3-D or 4-D"):
        ours(torch.randn(2, 5, 1, 1, 1))
