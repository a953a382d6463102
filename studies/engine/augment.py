"""Data augmentation on the device, in batches: ``crop_flip`` (random crop with 4-pixel zero padding and a
random horizontal flip, as He et al. 2016 and Hoffer et al. 2017 trained CIFAR).

Each epoch draws, from a generator seeded by (run seed, epoch), one crop offset (dy, dx ∈ [0, 8]) and one
flip bit per training example; a batch's images are then cut out of their zero-padded copies by one gather,
so an example gets the same transform in an epoch whatever batch it falls in, and two runs with the same seed
see the same augmented batches. Zero padding is applied to the standardised images (0 = the training set's
mean per channel). Only the training steps see augmented images: train loss and accuracy, test metrics and
every measurement use the unaugmented sets.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..spec.spec_fields import AUGMENTS

PAD = 4


def crop_flip(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, flip: torch.Tensor, pad: int = PAD) -> torch.Tensor:
    """Images ``x`` [B, C, H, W] zero-padded by ``pad``, cut at rows dy.., columns dx.. (each in [0, 2·pad]),
    mirrored left-right where ``flip``: same shape as ``x``; dy = dx = pad and no flip give ``x`` back."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    rows = dy[:, None] + torch.arange(h, device=x.device)                        # [B, H]
    steps = torch.arange(w, device=x.device)
    cols = dx[:, None] + torch.where(flip[:, None], w - 1 - steps, steps)       # [B, W]
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    chan = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


class CropFlip:
    """The per-epoch draws of one run: ``epoch(e)`` returns ``apply(x_batch, idx)`` for that epoch, where
    ``idx`` are the batch's example indices into the training set."""

    def __init__(self, n: int, seed: int, device: torch.device, pad: int = PAD):
        self.n, self.seed, self.device, self.pad = n, seed, device, pad

    def draws(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(dy, dx, flip) for every training example in ``epoch`` (seeded: same seed and epoch, same draws)."""
        g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        shift = torch.randint(0, 2 * self.pad + 1, (2, self.n), generator=g)
        flip = torch.randint(0, 2, (self.n,), generator=g).bool()
        return shift[0].to(self.device), shift[1].to(self.device), flip.to(self.device)

    def epoch(self, epoch: int):
        dy, dx, flip = self.draws(epoch)
        return lambda xb, idx: crop_flip(xb, dy[idx], dx[idx], flip[idx], self.pad)


def augmenter(name: str, n: int, seed: int, device: torch.device) -> CropFlip | None:
    """The run's augmentation (``[data] augment``), or None for "none"."""
    if name == "none":
        return None
    if name == "crop_flip":
        return CropFlip(n, seed, device)
    raise ValueError(f"unknown augment {name!r}; use one of {', '.join(AUGMENTS)}")
