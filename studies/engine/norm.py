"""Batch norm and ghost batch norm (Hoffer, Hubara & Soudry 2017, "Train longer, generalize better") as one module.

In training, a batch is cut into chunks of ``ghost`` examples (``ghost_chunks``) and each chunk is normalised
with its own mean and biased variance; ``ghost = 0`` (plain batch norm) or a batch no larger than ``ghost`` is
one chunk, computed by the very call torch's BatchNorm makes, so ghost with N ≥ B *is* batch norm. Rules:

- The running statistics are updated once per chunk, in order, with the chunk's mean and unbiased variance
  (momentum 0.1 each time), as Hoffer's code does; ``num_batches_tracked`` counts those updates.
- A batch not divisible by N: the remainder forms a smaller last chunk; a remainder of one example cannot be
  normalised by itself (its variance is 0), so it joins the previous chunk (B = 2N + 1 → chunks N, N + 1).
- A chunk with one value per channel (a batch of one example into an MLP's norm, e.g. an epoch's last batch
  when N_train mod B = 1; torch's BatchNorm1d raises there) is normalised with the running statistics, as in
  eval mode, and leaves them unchanged. Its other examples' steps are untouched.
- In eval mode: the running statistics, for every example alone (the loss of one example does not depend on
  the others: what measurements need).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def ghost_chunks(batch: int, ghost: int) -> list[int]:
    """Chunk sizes of a batch of ``batch`` examples (in order; they sum to ``batch``). ghost = 0: one chunk."""
    if not ghost or batch <= ghost:
        return [batch]
    q, r = divmod(batch, ghost)
    if r == 1:
        return [ghost] * (q - 1) + [ghost + 1]
    return [ghost] * q + ([r] if r else [])


class GhostBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm over (N, C), (N, C, L) or (N, C, H, W) input with statistics over chunks of ``ghost`` examples
    in training (0: the whole batch). Its state_dict has torch BatchNorm's keys, so weights load either way."""

    def __init__(self, num_features: int, ghost: int = 0, **kw):
        super().__init__(num_features, **kw)
        self.ghost = int(ghost)

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() not in (2, 3, 4):
            raise ValueError(f"expected 2-D, 3-D or 4-D input, got {x.dim()}-D")

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, ghost={self.ghost}"

    def _norm(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training,
                            self.momentum if training else 0.0, self.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(x)
        if not self.training:
            return self._norm(x, False)
        if x.numel() == x.shape[1]:   # one example, one value per channel: it cannot be normalised by itself
            return self._norm(x, False)
        sizes = ghost_chunks(len(x), self.ghost)
        self.num_batches_tracked.add_(len(sizes))
        if len(sizes) == 1:
            return self._norm(x, True)
        return torch.cat([self._norm(part, True) for part in x.split(sizes)])
