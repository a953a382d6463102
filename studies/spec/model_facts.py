"""What the papers' conv nets cost, without torch: weights, training FLOPs and stored activations per example.

Closed forms of engine/paper_models.py's layers for an image (C, H, W) and k classes, for the time and memory
estimates (estimate.py); tests check the weights against the built models, exactly.

- resnet20: weights 144·C + 32 + 268,608 + 65·k (269,722 for CIFAR-10); multiply-adds H·W·(144·C + 39,168)
  plus the linear layer (40.6 M for a 32×32 colour image).
- keskar_c1: two 5×5 convs (64) at H×W and ⌈H/2⌉×⌈W/2⌉, then 64·⌈H/4⌉·⌈W/4⌉ → 384 → 192 → k.

A training step costs about 3 forward passes (forward 1, backward 2), 2 FLOPs per multiply-add.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelCost:
    weights: int
    train_flops: float      # per example: forward and backward
    activations: float      # float32 values kept per example for the backward pass (roughly)


def _half(n: int) -> int:
    return (n - 1) // 2 + 1


def model_cost(model: str, shape: tuple[int, ...], classes: int) -> ModelCost | None:
    """The cost of ``model`` on images of ``shape`` (C, H, W); None for the models estimate.py counts itself."""
    if model not in ("resnet20", "keskar_c1") or len(shape) != 3:
        return None
    c, h, w = shape
    if model == "resnet20":
        weights = 144 * c + 32 + 268_608 + 65 * classes
        hw, hw2, hw4 = h * w, _half(h) * _half(w), _half(_half(h)) * _half(_half(w))
        macs = hw * (144 * c + 16 * 16 * 9 * 6) + hw2 * (16 * 32 * 9 + 32 * 32 * 9 * 5) \
            + hw4 * (32 * 64 * 9 + 64 * 64 * 9 * 5) + 64 * classes
        activations = 3 * (hw * 16 * 7 + hw2 * 32 * 6 + hw4 * 64 * 6)
    else:
        h1, w1 = _half(h), _half(w)
        h2, w2 = _half(h1), _half(w1)
        flat = 64 * h2 * w2
        weights = 64 * c * 25 + 128 + 64 * 64 * 25 + 128 + flat * 384 + 384 + 384 * 192 + 192 + 192 * classes + classes
        macs = h * w * 64 * c * 25 + h1 * w1 * 64 * 64 * 25 + flat * 384 + 384 * 192 + 192 * classes
        activations = 3 * 64 * (h * w + h1 * w1) + 64 * (h1 * w1 + h2 * w2) + 2 * (384 + 192)
    return ModelCost(weights, 6.0 * macs, float(activations))
