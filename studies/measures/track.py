"""The training probe: what the training loops measure at the log-spaced probe epochs (noise.probe_epoch: 0,
1, 4, 16, 64, …, and the last), so that a quantity is followed over training and not only seen at the end.

`HessianProbe` follows λ_max of the Hessian (Cohen et al. 2021: under full-batch GD it rises to the stability
threshold 2/η and hovers there; small batches stop sharpening earlier). It runs the end-of-run estimator
(hessian.extreme_eigenvalues, top end only) on the same measurement sample from the same Lanczos start, so
its last point is the run's own hessian_top_eig. `Probes` joins several probes into the one hook the loops
call: ``probe(epoch, state)`` → columns of the epoch row, ``probe.wants(epoch)``.
"""
from __future__ import annotations

import copy
import time
from typing import Callable, Mapping

import torch
from torch import Tensor, nn

from . import LAMBDA_MAX
from .hessian import EIG_TOL, extreme_eigenvalues
from .noise import probe_epoch
from .objective import objective


TRACK_TOL = 15 * EIG_TOL   # 3 % of λ_max: a point of a log-scale curve, not the end measurement's 0.2 %


class HessianProbe:
    """λ_max (``hessian_top_eig``) with its Lanczos residual bound (``_err``), the HVPs it took
    (``hessian_track_hvps``) and the probe's time (``hessian_track_time_s``) at the weights `state`, on (x, y): the measurement sample. Evaluates a private
    eval-mode copy of the model, so the training model, its RNG and its mode are never touched. The first
    probe starts Lanczos from the seeded vector of the end measurement; each later one from the previous
    probe's top Ritz vector (the sharpest direction moves slowly), which takes ~3× fewer HVPs, and stops at a
    residual bound of TRACK_TOL·λ_max (the error bar drawn)."""

    def __init__(self, model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable, *, seed: int = 0):
        self.model = copy.deepcopy(model).eval()
        self.x, self.y, self.loss_fn, self.seed = x, y, loss_fn, seed
        self.last: list[tuple[Tensor, Tensor]] = []   # (weights, top Ritz vector) of each run it has probed

    wants = staticmethod(probe_epoch)

    def __call__(self, epoch: int, state: Mapping[str, Tensor]) -> dict[str, float]:
        t = time.perf_counter()
        state = {k: v.detach().to(self.x.device) for k, v in state.items()}
        obj = objective(self.model, self.x, self.y, self.loss_fn, state=state)
        # a stack's members share one probe: each continues from the vector of the weights nearest its own
        near = None if epoch == 0 or not self.last else \
            min(range(len(self.last)), key=lambda i: float((self.last[i][0] - obj.theta).norm()))
        ext = extreme_eigenvalues(obj, ends="top", tol=TRACK_TOL, generator=torch.Generator().manual_seed(self.seed),
                                  start=None if near is None else self.last[near][1])
        if near is None:
            self.last.append((obj.theta, ext.top_vector))
        else:
            self.last[near] = (obj.theta, ext.top_vector)
        return {LAMBDA_MAX: ext.max, LAMBDA_MAX + "_err": ext.max_err, "hessian_track_hvps": ext.hvps,
                "hessian_track_time_s": time.perf_counter() - t}


class Probes:
    """Several probes as one hook: each one's columns, in order, at the epochs they share."""

    def __init__(self, *probes):
        self.probes = probes

    wants = staticmethod(probe_epoch)

    def __call__(self, epoch: int, state: Mapping[str, Tensor]) -> dict[str, float]:
        out: dict[str, float] = {}
        for p in self.probes:
            out.update(p(epoch, state))
        return out
