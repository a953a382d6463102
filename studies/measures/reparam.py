"""The rescaling audit (Dinh et al. 2017, "Sharp minima can generalize for deep nets"): in a ReLU network,
multiplying layer l's weights and bias by α and layer l + 1's weights by 1/α computes exactly the same function
(ReLU(αz) = α·ReLU(z)), yet λ_max, the trace and Keskar's ε-sharpness can be made as large or small as one
likes. A measure that changes under it describes the parametrisation, not the function. `rescaled` builds the
twin network; measure_run measures it with the same spec and reports each measure's ratio rescaled/original.
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
# positively homogeneous of degree 1 (m(αz) = α·m(z) for α > 0): a scale passes through them unchanged
_HOMOGENEOUS = (nn.ReLU, nn.LeakyReLU, nn.Flatten, nn.Identity, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
                nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.Dropout)


def rescale_pair(model: nn.Module) -> tuple[str, str]:
    """The names of the first two weighted layers (Linear / Conv) of `model`'s module sequence with only
    positively homogeneous modules (ReLU, pooling, Flatten) between them. Refuses batch norm (it divides a
    layer's scale out, so the rescaling is no reparametrisation: the function would change) and a model
    without such a pair, saying why."""
    mods = [(n, m) for n, m in model.named_modules() if not list(m.children())]
    for n, m in mods:
        if isinstance(m, nn.modules.batchnorm._NormBase) or isinstance(m, (nn.LayerNorm, nn.GroupNorm)):
            raise ValueError(f"the rescaling audit needs a network without normalisation layers: {n!r} "
                             f"({type(m).__name__}) divides the scale out, so α·W is not the same function; "
                             "turn rescale_audit off for this model")
    first = None
    for n, m in mods:
        if isinstance(m, _WEIGHTED):
            if first is not None:
                return first, n
            first = n
        elif first is not None and not isinstance(m, _HOMOGENEOUS):
            first = None   # a non-homogeneous module (tanh, softmax): α would not pass through it
    raise ValueError("the rescaling audit needs two weighted layers joined by ReLU (or pooling); "
                     "this model has none")


def rescaled(model: nn.Module, alpha: float) -> nn.Module:
    """A copy of `model` (eval mode) with rescale_pair's layer l × α (weight and bias) and layer l + 1's
    weight × 1/α: the same function, another point in weight space."""
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    first, second = rescale_pair(model)
    twin = copy.deepcopy(model).eval()
    layers = dict(twin.named_modules())
    with torch.no_grad():
        layers[first].weight.mul_(alpha)
        if layers[first].bias is not None:
            layers[first].bias.mul_(alpha)
        layers[second].weight.div_(alpha)
    return twin


def rescaled_state(model: nn.Module, state: dict[str, Tensor], alpha: float) -> dict[str, Tensor]:
    """`state` (a state_dict of `model`, e.g. its initial weights) rescaled as `rescaled` rescales the model."""
    first, second = rescale_pair(model)
    out = {k: v.clone() for k, v in state.items()}
    for key in (f"{first}.weight", f"{first}.bias"):
        if key in out:
            out[key] = out[key] * alpha
    out[f"{second}.weight"] = out[f"{second}.weight"] / alpha
    return out


def logits_max_diff(a: nn.Module, b: nn.Module, x: Tensor, chunk: int = 2048) -> float:
    """max |a(x) − b(x)| over the examples and classes (both in eval mode), in chunks."""
    worst = 0.0
    with torch.no_grad():
        for s in range(0, len(x), chunk):
            worst = max(worst, float((a(x[s:s + chunk]) - b(x[s:s + chunk])).abs().max()))
    return worst
