import torch

from studies.engine.batches import batch_bounds, epoch_orders, samples_per_epoch


def _orders(shuffle, seed=0, n=50, k=4):
    it = epoch_orders(n, shuffle=shuffle, generator=torch.Generator().manual_seed(seed), device=torch.device("cpu"))
    return [next(it) for _ in range(k)]


def test_fixed_order_is_identical_across_epochs_and_a_permutation():
    orders = _orders(False)
    assert all(torch.equal(o, orders[0]) for o in orders)
    assert sorted(orders[0].tolist()) == list(range(50))
    assert not torch.equal(orders[0], torch.arange(50))   # one permutation, not file order


def test_shuffled_orders_differ_each_epoch_and_reproduce_under_a_seed():
    a, b = _orders(True), _orders(True)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], a[1]) and not torch.equal(a[1], a[2])
    assert all(sorted(o.tolist()) == list(range(50)) for o in a)
    assert not torch.equal(_orders(True, seed=1)[1], a[1])
    # both modes start from the same first permutation
    assert torch.equal(_orders(False)[0], a[0])


def test_partial_batches_are_kept_unless_drop_last():
    assert batch_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert batch_bounds(10, 4, drop_last=True) == [(0, 4), (4, 8)]
    assert batch_bounds(8, 4, drop_last=True) == [(0, 4), (4, 8)]
    assert samples_per_epoch(1437, 64) == 1437
    assert samples_per_epoch(1437, 64, drop_last=True) == 1408
    assert batch_bounds(5, 5) == [(0, 5)]
