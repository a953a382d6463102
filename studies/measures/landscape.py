"""1-D views of the loss landscape, as rows for the `landscape` table.

- `filter_normalized_direction`: a Gaussian direction with each filter scaled to the weights it perturbs
  (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"); 1-D tensors (biases, norm layers) get 0.
- `random_slice_rows`: f(θ + α·d) for one such direction d around one solution, α ∈ [−1, 1].
- `surface_rows`: f(θ + α·d₁ + β·d₂) on a grid over [−1, 1]², d₁, d₂ filter-normalised (Li et al. 2018's 2-D
  plot), on the measurement sample, in batched forward passes (Objective.loss_many).
- `interpolation_rows`: f((1−α)·θ_a + α·θ_b) between two solutions (Keskar et al. 2017, Fig. 3),
  α ∈ [−0.5, 1.5], over the whole state_dict including batch-norm buffers.

The model is evaluated through `functional_call` on tensors we build, so its weights and train/eval mode
stay exactly as they were (the caller sets eval mode).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from .objective import DEFAULT_CHUNK, Objective, loss_and_accuracy, split_state

SLICE_ALPHAS = tuple(np.linspace(-1.0, 1.0, 21).round(10))
INTERPOLATION_ALPHAS = tuple(np.linspace(-0.5, 1.5, 21).round(10))


def filter_normalized_direction(params: Mapping[str, Tensor], generator: torch.Generator | None = None
                                ) -> dict[str, Tensor]:
    """A direction d with d[name] ~ N(0, 1), then each row / output filter (index along dim 0) rescaled to
    the norm of the same row / filter of `params`: ‖d_i‖ = ‖θ_i‖ exactly (0 where θ_i = 0). Tensors with
    fewer than 2 dimensions (biases, norm-layer scales) get direction 0. Drawn from `generator` (on its
    device; a CPU generator gives the same direction on every device), in the order of `params`."""
    gen_device = generator.device if generator is not None else torch.device("cpu")
    out = {}
    for name, p in params.items():
        if p.dim() < 2:
            out[name] = torch.zeros_like(p)
            continue
        d = torch.randn(p.shape, generator=generator, device=gen_device, dtype=torch.float64)
        d = d.to(p.device)
        rows = d.reshape(len(d), -1)
        target = p.detach().reshape(len(p), -1).double().norm(dim=1, keepdim=True)
        rows = rows * (target / rows.norm(dim=1, keepdim=True).clamp_min(1e-300))
        out[name] = rows.reshape(p.shape).to(p.dtype)
    return out


def _rows(kind: str, alpha: float, model: nn.Module, state: Mapping[str, Tensor], train: tuple, test: tuple,
          loss_fn: Callable, chunk: int) -> dict:
    tr_loss, tr_acc = loss_and_accuracy(model, state, *train, loss_fn, chunk)
    te_loss, te_acc = loss_and_accuracy(model, state, *test, loss_fn, chunk)
    return {"kind": kind, "alpha": float(alpha), "train_loss": tr_loss, "train_acc": tr_acc,
            "test_loss": te_loss, "test_acc": te_acc}


def random_slice_rows(model: nn.Module, train: tuple[Tensor, Tensor], test: tuple[Tensor, Tensor],
                      loss_fn: Callable, alphas: Sequence[float] = SLICE_ALPHAS, seed: int = 0, *,
                      chunk: int = DEFAULT_CHUNK) -> list[dict]:
    """Loss and accuracy on train and test at θ + α·d, d filter-normalised (seeded CPU generator), one row
    per α. α = 0 is the model as it is."""
    params, consts = split_state(model)
    d = filter_normalized_direction(params, torch.Generator().manual_seed(seed))
    rows = []
    for a in alphas:
        state = {**consts, **{k: p + float(a) * d[k] for k, p in params.items()}}
        rows.append(_rows("random", a, model, state, train, test, loss_fn, chunk))
    return rows


def surface_rows(obj: Objective, points: int = 21, generator: torch.Generator | None = None) -> list[dict]:
    """train_loss = f(θ + α·d₁ + β·d₂) for α, β on `points` values over [−1, 1] (odd: the centre is θ itself,
    the run's own loss on obj's data), d₁ then d₂ drawn filter-normalised from `generator` (a CPU generator
    with the same seed gives every run the same draw, so runs are compared alike; biases unperturbed).
    One row of the grid (`points` weight vectors) per batched forward pass; the MLP's own path for the MLP."""
    if points < 3 or points % 2 == 0:
        raise ValueError(f"points must be odd and ≥ 3 (the grid needs its centre), got {points}")
    params = obj.unflatten(obj.theta)
    d1, d2 = (obj.flatten(filter_normalized_direction(params, generator)) for _ in range(2))
    grid = np.linspace(-1.0, 1.0, points).round(10)
    if obj.calc is not None:   # the MLP: the first layer's products formed once (mlp_hvp.plane_loss)
        f = np.zeros((points, points))
        with torch.no_grad():
            for s in range(0, len(obj.x), obj.chunk):
                xc, yc = obj.x[s:s + obj.chunk], obj.y[s:s + obj.chunk]
                f += len(yc) / len(obj.x) * obj.calc.plane_loss(obj.theta, d1, d2, grid.tolist(), grid.tolist(),
                                                                xc, yc).double().cpu().numpy()
    else:
        betas = torch.tensor(grid, dtype=obj.theta.dtype, device=obj.theta.device).unsqueeze(1)
        f = np.array([obj.loss_many(obj.theta + float(a) * d1 + betas * d2) for a in grid])
    return [{"kind": "surface", "alpha": float(a), "beta": float(b), "train_loss": float(f[i, j])}
            for i, a in enumerate(grid) for j, b in enumerate(grid)]


def interpolate_state(state_a: Mapping[str, Tensor], state_b: Mapping[str, Tensor], alpha: float
                      ) -> dict[str, Tensor]:
    """(1−α)·a + α·b for floating tensors; integer tensors (e.g. num_batches_tracked) from the nearer end
    (a for α ≤ ½)."""
    if set(state_a) != set(state_b):
        raise ValueError(f"the two states have different keys: {sorted(set(state_a) ^ set(state_b))}")
    out = {}
    for k, a in state_a.items():
        b = state_b[k].to(a.device)
        if a.is_floating_point():
            out[k] = torch.lerp(a.detach(), b.detach().to(a.dtype), float(alpha))  # exact at α = 0 and 1
        else:
            out[k] = (a if alpha <= 0.5 else b).detach().clone()
    return out


def interpolation_rows(model: nn.Module, state_a: Mapping[str, Tensor], state_b: Mapping[str, Tensor],
                       train: tuple[Tensor, Tensor], test: tuple[Tensor, Tensor], loss_fn: Callable,
                       alphas: Sequence[float] = INTERPOLATION_ALPHAS, *, chunk: int = DEFAULT_CHUNK
                       ) -> list[dict]:
    """Loss and accuracy on train and test along (1−α)·θ_a + α·θ_b over the whole state_dict; α = 0 is
    state_a, α = 1 is state_b. The caller adds the two ends' run ids to the rows."""
    return [_rows("interpolation", a, model, interpolate_state(state_a, state_b, a), train, test, loss_fn,
                  chunk) for a in alphas]
