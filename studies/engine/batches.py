"""Device-resident batches: an epoch is a permutation of indices, a batch is a slice of it (airbench style).

No DataLoader: the data already sit on the device, so a batch is one `index_select`.
"""
from __future__ import annotations

import torch


def epoch_orders(n: int, *, shuffle: bool, generator: torch.Generator, device: torch.device):
    """Yield one index order per epoch, forever.

    shuffle=True draws a new ``randperm`` every epoch; shuffle=False draws ONE permutation up front and
    keeps it for every epoch (a fixed order, not the data set's file order, so both modes see the same
    kind of mixed batches and differ only in whether the order changes).
    """
    first = torch.randperm(n, generator=generator).to(device)
    yield first
    while True:
        yield torch.randperm(n, generator=generator).to(device) if shuffle else first


def batch_bounds(n: int, batch_size: int, drop_last: bool = False) -> list[tuple[int, int]]:
    """(start, stop) of every batch of an epoch; the last partial batch is kept unless drop_last."""
    stops = range(batch_size, n + batch_size, batch_size)
    bounds = [(s - batch_size, min(s, n)) for s in stops]
    if drop_last and bounds and bounds[-1][1] - bounds[-1][0] < batch_size:
        bounds.pop()
    return bounds


def samples_per_epoch(n: int, batch_size: int, drop_last: bool = False) -> int:
    return sum(b - a for a, b in batch_bounds(n, batch_size, drop_last))
