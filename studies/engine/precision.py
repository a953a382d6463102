"""Mixed precision and memory layout for the training steps: ``precision = "fp32" | "bf16"``.

bf16 runs the forward pass (and so the loss) under ``torch.autocast`` in bfloat16 on the run's device; the
weights, their gradients and the optimizer state stay float32 (autocast casts per operation, torch.optim
updates the float32 parameters). Everything outside the training steps — train and test metrics, every
measurement — runs in float32. On CUDA, models with 2-D convolutions train channels-last (NHWC), the layout
the tensor cores want; elsewhere the layout is left alone.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn

from ..spec.spec_fields import PRECISIONS



def autocast(device: torch.device, precision: str):
    """The context of one training step's forward pass: autocast to bfloat16 for "bf16", else nothing."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    raise ValueError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")


def channels_last(model: nn.Module, device: torch.device) -> bool:
    """Whether this model trains channels-last on ``device``: CUDA and a 2-D convolution in it."""
    return device.type == "cuda" and any(isinstance(m, nn.Conv2d) for m in model.modules())


def prepare(model: nn.Module, device: torch.device) -> tuple[nn.Module, object]:
    """(the model in the layout it trains in, a function that puts a batch in that layout)."""
    if channels_last(model, device):
        return model.to(memory_format=torch.channels_last), \
            lambda x: x.contiguous(memory_format=torch.channels_last)
    return model, lambda x: x
