"""Model registry: an MLP for any data, a small CNN for images (C, H, W) and sequences (C, L), and the papers'
conv nets for images (paper_models.py: resnet20, keskar_c1; they always have batch norm, ``hidden`` unused).

Every model is a plain ``nn.Sequential`` built on the CPU with weights drawn from its own seed, so the same
seed gives the same initial weights in every run of a study (only the batch size, optimizer and order
differ), and building a model never moves the caller's global RNG.

``norm = "batch"`` puts batch norm after every hidden Linear and every conv (Linear/conv → BatchNorm → ReLU;
the layer before a batch norm has no bias: the norm's β takes its place); ``"ghost"`` is the same with
statistics over chunks of ``ghost_batch`` examples (GhostBatchNorm, Hoffer et al. 2017).
"""
from __future__ import annotations

import math
from functools import partial

import torch
from torch import nn

from ..spec.config import MODELS
from .norm import GhostBatchNorm
from .paper_models import PAPER_MODELS, build_paper_model


def _block(layer, width: int, norm: str, ghost_batch: int) -> list[nn.Module]:
    """layer(width) then ReLU (``layer`` a Linear or conv with its input side bound, e.g. partial(nn.Linear,
    64)); with a norm, layer without bias → GhostBatchNorm(width) → ReLU."""
    if norm == "none":
        return [layer(width, bias=True), nn.ReLU()]
    return [layer(width, bias=False), GhostBatchNorm(width, ghost_batch if norm == "ghost" else 0), nn.ReLU()]


def _head(in_features: int, hidden: tuple[int, ...], n_classes: int, norm: str = "none",
          ghost_batch: int = 0) -> list[nn.Module]:
    """Linear, [norm,] ReLU, ..., Linear: widths ``hidden`` then the class logits (hidden = () is one Linear)."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += _block(partial(nn.Linear, in_features), width, norm, ghost_batch)
        in_features = width
    return layers + [nn.Linear(in_features, n_classes)]


def _mlp(hidden, input_shape, n_classes, norm, ghost_batch) -> nn.Sequential:
    # Only Flatten / Linear / [GhostBatchNorm] / ReLU: the stacked trainer walks this Sequential layer by layer.
    return nn.Sequential(nn.Flatten(), *_head(math.prod(input_shape), hidden, n_classes, norm, ghost_batch))


def _image_cnn(hidden, input_shape, n_classes, norm, ghost_batch) -> nn.Sequential:
    """Two 3×3 conv blocks (32, 64 channels, ReLU, 2×2 max-pool), padded so 8×8 digits keep a 2×2 map."""
    c, h, w = input_shape
    if min(h, w) < 4:
        raise ValueError(f"cnn needs images of at least 4×4 pixels, got {h}×{w}; use model = \"mlp\"")
    conv = lambda c_in: partial(nn.Conv2d, c_in, kernel_size=3, padding=1)  # noqa: E731
    features = [*_block(conv(c), 32, norm, ghost_batch), nn.MaxPool2d(2),
                *_block(conv(32), 64, norm, ghost_batch), nn.MaxPool2d(2), nn.Flatten()]
    return nn.Sequential(*features, *_head(64 * (h // 2 // 2) * (w // 2 // 2), hidden, n_classes, norm, ghost_batch))


def _sequence_cnn(hidden, input_shape, n_classes, norm, ghost_batch) -> nn.Sequential:
    """The MNIST-1D reference ConvBase (Greydanus 2020: 25 channels, strides 2, kernels 5, 3, 3; about
    92-94 % test accuracy), with the optional ``hidden`` layers before the class logits."""
    c, length = input_shape
    for k in (5, 3, 3):
        length = (length + 2 * 1 - k) // 2 + 1
    if length < 1:
        raise ValueError(f"cnn needs sequences of at least 4 steps, got {input_shape[1]}; use model = \"mlp\"")
    features = []
    for c_in, k in ((c, 5), (25, 3), (25, 3)):
        features += _block(partial(nn.Conv1d, c_in, kernel_size=k, stride=2, padding=1), 25, norm, ghost_batch)
    return nn.Sequential(*features, nn.Flatten(), *_head(25 * length, hidden, n_classes, norm, ghost_batch))


def build_model(name: str, hidden: tuple[int, ...], input_shape: tuple[int, ...], n_classes: int,
                seed: int, *, norm: str = "none", ghost_batch: int = 0) -> nn.Module:
    """A freshly initialised model on the CPU; the same arguments always give the same weights."""
    hidden, input_shape = tuple(hidden), tuple(input_shape)
    if name in PAPER_MODELS:
        make = lambda _hidden, shape, classes, norm_, ghost: build_paper_model(  # noqa: E731
            name, shape, classes, norm_, ghost)
    elif name == "mlp":
        make = _mlp
    elif name == "cnn":
        if len(input_shape) == 3:
            make = _image_cnn
        elif len(input_shape) == 2:
            make = _sequence_cnn
        else:
            raise ValueError(f"cnn needs image (C, H, W) or sequence (C, L) data, got shape {input_shape}; "
                             "use model = \"mlp\"")
    else:
        raise ValueError(f"unknown model {name!r}; use one of {', '.join(MODELS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make(hidden, input_shape, n_classes, norm, ghost_batch)


def run_model(run, data, seed: int | None = None) -> nn.Module:
    """The model of a RunSpec for a Dataset (its shape and classes), at the run's seed unless ``seed``."""
    return build_model(run.model, run.hidden, data.input_shape, data.n_classes, run.seed if seed is None else seed,
                       norm=run.norm, ghost_batch=run.ghost_batch)
