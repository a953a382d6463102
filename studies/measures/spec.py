"""MeasureSpec, the [measure] table: which estimators run (the registry's switches) and the parameters that
tune them. Frozen and validated like the rest of the spec; its identity is what measure ids hash. No torch.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from .. import measures
from ..spec.spec_checks import SpecError, read_bool, read_float, read_int, read_list, read_table, reject_unknown, unique


@dataclass(frozen=True, init=False)
class MeasureSpec:
    """What to measure after training: the [measure] table. Measurements never retrain a run. Its switches
    (sharpness_eps, hessian, …: which estimators run, with their defaults) are the registry's
    (studies.measures), read as attributes (``spec.hessian``); the fields below tune the estimators."""

    switches: tuple = ()                         # (name, value) of every registered switch, in its order
    sample: int = 2048                           # training examples the measurements use (fixed, seeded)
    sample_seed: int = 0
    lbfgs_iters: int = 10                        # Keskar's budget for the max over the ε-box
    subspace_dim: int = 0                        # Keskar's random subspace y = A z (0 = full space; paper: 100)
    random_directions: int = 10                  # M for random sharpness
    random_sigma: float = 0.05                   # relative size of the filter-normalised perturbation
    sam_rho: float = 0.05
    sam_m: int = 128                             # m-sharpness chunk size
    landscape_points: int = 21
    adaptive_eps: float = 0.01                   # the adaptive box |y_i| ≤ ε·|x_i|: 1 % of every weight
    surface_points: int = 21                     # the 2-D landscape's grid, points per axis over ±1 (odd)
    rescale_alpha: float = 10.0                  # the audit's α: layer l × α, layer l + 1 × 1/α
    track_sample: int = 512                      # hessian_track: the first this many of the sample (cost ∝ it)

    def __init__(self, switches=(), **given):
        values = dict(switches)
        values.update({k: given.pop(k) for k in list(given) if measures.switch(k)})
        object.__setattr__(self, "switches", tuple(
            (s.name, tuple(values[s.name]) if s.listed and s.name in values else values.get(s.name, s.default))
            for s in measures.switches()))
        for f in _parameters(type(self)):
            object.__setattr__(self, f.name, given.pop(f.name, f.default))
        if given:
            raise TypeError(f"MeasureSpec has no field {', '.join(given)}")

    def __getattr__(self, name: str):
        """A switch's value: ``spec.hessian``; a switch registered after this spec was made has its default."""
        if not name.startswith("_"):
            for k, v in self.__dict__.get("switches", ()):
                if k == name:
                    return v
            if measures.switch(name):
                return measures.switch(name).default
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def on(self) -> tuple[str, ...]:
        """The switches that are on (a list switch with at least one value)."""
        return tuple(s.name for s in measures.switches() if getattr(self, s.name))

    @classmethod
    def from_dict(cls, d: Mapping) -> "MeasureSpec":
        d = read_table("measure", d)
        reject_unknown("measure", d, tuple(s.name for s in measures.switches())
                        + tuple(f.name for f in _parameters(cls)))
        out: dict[str, Any] = {}
        for k, v in d.items():
            key = f"measure.{k}"
            sw = measures.switch(k)
            if sw and sw.listed:
                given = v if isinstance(v, (list, tuple)) and not v else read_list(key, v)   # [] turns it off
                vals = [read_float(key, e, sw.bounds[0], sw.bounds[1], lo_open=True) for e in given]
                out[k] = unique(key, vals)
            elif sw:
                out[k] = read_bool(key, v)
            elif k == "sample":
                out[k] = read_int(key, v, 16, 1_000_000)
            elif k == "sample_seed":
                out[k] = read_int(key, v, 0, 2**31 - 1)
            elif k == "lbfgs_iters":
                out[k] = read_int(key, v, 1, 1000)
            elif k == "subspace_dim":
                out[k] = read_int(key, v, 0, 100_000)
            elif k == "random_directions":
                out[k] = read_int(key, v, 1, 1000)
            elif k in ("random_sigma", "sam_rho"):
                out[k] = read_float(key, v, 0.0, 10.0, lo_open=True)
            elif k == "sam_m":
                out[k] = read_int(key, v, 1, 1_000_000)
            elif k == "landscape_points":
                out[k] = read_int(key, v, 3, 1001)
            elif k == "adaptive_eps":
                out[k] = read_float(key, v, 0.0, 1.0, lo_open=True)
            elif k == "track_sample":
                out[k] = read_int(key, v, 16, 1_000_000)
            elif k == "surface_points":
                out[k] = read_int(key, v, 3, 101)
                if out[k] % 2 == 0:
                    raise SpecError(key, f"{out[k]} is even; use an odd count so the grid has its centre, "
                                         f"e.g. {out[k] + 1}")
            elif k == "rescale_alpha":
                out[k] = read_float(key, v, 0.0, 1e6, lo_open=True)
        return cls(**out)

    def identity(self) -> dict:
        """Every switch, then every parameter: the dict measure ids hash and the [measure] table written. A
        quiet switch while off and a quiet parameter at its default are left out, so ids made before they
        existed stay the same."""
        return {**{s.name: getattr(self, s.name) for s in measures.switches()
                   if not (s.quiet and getattr(self, s.name) == s.default)},
                **{f.name: getattr(self, f.name) for f in _parameters(type(self))
                   if not (f.name in _QUIET and getattr(self, f.name) == f.default)}}


_QUIET = ("adaptive_eps", "surface_points", "rescale_alpha", "track_sample")   # parameters added after ids were stored


def _parameters(cls) -> tuple:
    """MeasureSpec's parameter fields (all but `switches`)."""
    return tuple(f for f in dataclasses.fields(cls) if f.name != "switches")
