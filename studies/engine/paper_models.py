"""The papers' convolutional networks: He et al. 2016's CIFAR ResNet-20 and Keskar et al. 2017's C1.

Both always have batch norm, as published; ``norm = "ghost"`` makes every one of their norms a ghost batch
norm over chunks of ``ghost_batch`` examples (Hoffer et al. 2017), ``"none"`` and ``"batch"`` keep plain batch
norm. ``hidden`` does not apply (their widths are the papers'). Layers with a norm after them have no bias.

- resnet20: a 3×3 conv (16) and batch norm, then three stages of three basic blocks (two 3×3 convs with batch
  norm; 16, 32, 64 channels; the first block of stages 2 and 3 halves the map with stride 2), each block adding
  its input through the parameter-free shortcut (option A: every other pixel, zero channels padded), global
  average pooling and a linear layer: 269,722 weights for CIFAR-10 (the paper's "0.27 M").
- keskar_c1: two blocks of a 5×5 conv (64, padded to keep the size), batch norm, ReLU and a 3×3 max-pool with
  stride 2 (padded: 32 → 16 → 8), then fully connected layers 384 → 192 → classes with ReLU.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .norm import GhostBatchNorm

PAPER_MODELS = ("resnet20", "keskar_c1")


def _conv3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN, plus the input (option A shortcut when the shape changes), then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int, ghost: int):
        super().__init__()
        self.conv1, self.bn1 = _conv3(c_in, c_out, stride), GhostBatchNorm(c_out, ghost)
        self.conv2, self.bn2 = _conv3(c_out, c_out), GhostBatchNorm(c_out, ghost)
        self.stride, self.pad = stride, c_out - c_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        short = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad:
            short = F.pad(short, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + short)


class ResNet20(nn.Module):
    """He et al. 2016, section 4.2: 6n + 2 layers with n = 3."""

    def __init__(self, in_channels: int, n_classes: int, ghost: int = 0, n: int = 3):
        super().__init__()
        self.conv, self.bn = _conv3(in_channels, 16), GhostBatchNorm(16, ghost)
        blocks, c = [], 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                blocks.append(BasicBlock(c, width, stride if i == 0 else 1, ghost))
                c = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, n_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))


def keskar_c1(input_shape: tuple[int, ...], n_classes: int, ghost: int = 0) -> nn.Sequential:
    """Keskar et al. 2017, table 1's C1 (a shallow conv net on CIFAR-10)."""
    c, h, w = input_shape
    layers: list[nn.Module] = []
    for c_in in (c, 64):
        layers += [nn.Conv2d(c_in, 64, 5, padding=2, bias=False), GhostBatchNorm(64, ghost), nn.ReLU(),
                   nn.MaxPool2d(3, stride=2, padding=1)]
        h, w = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * h * w, 384), nn.ReLU(), nn.Linear(384, 192),
                         nn.ReLU(), nn.Linear(192, n_classes))


def build_paper_model(name: str, input_shape: tuple[int, ...], n_classes: int, norm: str,
                      ghost_batch: int) -> nn.Module:
    """``name`` (one of PAPER_MODELS) for images (C, H, W); ValueError for other data."""
    if len(input_shape) != 3:
        raise ValueError(f"{name} needs image data (C, H, W), got shape {tuple(input_shape)}; use model = \"mlp\"")
    ghost = ghost_batch if norm == "ghost" else 0
    if name == "resnet20":
        return ResNet20(input_shape[0], n_classes, ghost)
    return keskar_c1(tuple(input_shape), n_classes, ghost)
