"""MeasureSpec, the [measure] table: which estimators run (the registry's switches) and the parameters that
tune them (the registry's parameters, with their defaults and ranges). Frozen and validated like the rest of
the spec; its identity is what measure ids hash. No torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .. import measures
from ..spec.spec_checks import SpecError, read_bool, read_float, read_int, read_list, read_table, reject_unknown, unique


@dataclass(frozen=True, init=False)
class MeasureSpec:
    """What to measure after training: the [measure] table. Measurements never retrain a run. Its switches
    (sharpness_eps, hessian, …: which estimators run) and its parameters (sample, lbfgs_iters, …: how) are the
    registry's (studies.measures), read as attributes (``spec.hessian``, ``spec.sample``); a switch or
    parameter registered after this spec was made reads as its default."""

    switches: tuple = ()                         # (name, value) of every registered switch, in its order
    params: tuple = ()                           # (name, value) of every registered parameter, in its order

    def __init__(self, switches=(), params=(), **given):
        values = {**dict(switches), **dict(params)}
        values.update(given)
        unknown = [k for k in values if not measures.switch(k) and not measures.param(k)]
        if unknown:
            raise TypeError(f"MeasureSpec has no field {', '.join(unknown)}")
        object.__setattr__(self, "switches", tuple(
            (s.name, tuple(values[s.name]) if s.listed and s.name in values else values.get(s.name, s.default))
            for s in measures.switches()))
        object.__setattr__(self, "params", tuple((p.name, values.get(p.name, p.default)) for p in measures.params()))

    def __getattr__(self, name: str):
        """A switch's or a parameter's value: ``spec.hessian``, ``spec.sample``."""
        if not name.startswith("_"):
            for k, v in (*self.__dict__.get("switches", ()), *self.__dict__.get("params", ())):
                if k == name:
                    return v
            known = measures.switch(name) or measures.param(name)
            if known:
                return known.default
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def on(self) -> tuple[str, ...]:
        """The switches that are on (a list switch with at least one value)."""
        return tuple(s.name for s in measures.switches() if getattr(self, s.name))

    def hvp_units(self) -> dict[str, float]:
        """Per switch that is on, the Hessian-vector products (or loss evaluations of their cost) it takes on
        the sample, from its registry record: the estimate's measurement cost. Switches priced otherwise
        (by size, per probe or per configuration) are left out."""
        units = {s.name: float(s.hvps(self)) for s in measures.switches() if getattr(self, s.name)}
        return {k: v for k, v in units.items() if v}

    @classmethod
    def from_dict(cls, d: Mapping) -> "MeasureSpec":
        d = read_table("measure", d)
        reject_unknown("measure", d, tuple(s.name for s in measures.switches())
                       + tuple(p.name for p in measures.params()))
        out: dict[str, Any] = {}
        for k, v in d.items():
            key = f"measure.{k}"
            sw, p = measures.switch(k), measures.param(k)
            if sw and sw.listed:
                given = v if isinstance(v, (list, tuple)) and not v else read_list(key, v)   # [] turns it off
                vals = [read_float(key, e, sw.bounds[0], sw.bounds[1], lo_open=True) for e in given]
                out[k] = unique(key, vals)
            elif sw:
                out[k] = read_bool(key, v)
            elif isinstance(p.default, int):
                out[k] = read_int(key, v, int(p.low), int(p.high))
                if p.odd and out[k] % 2 == 0:
                    raise SpecError(key, f"{out[k]} is even; use an odd count so the grid has its centre, "
                                         f"e.g. {out[k] + 1}")
            else:
                out[k] = read_float(key, v, p.low, p.high, lo_open=p.low_open)
        return cls(**out)

    def identity(self) -> dict:
        """Every switch, then every parameter: the dict measure ids hash and the [measure] table written. A
        quiet switch while off and a quiet parameter at its default are left out, so ids made before they
        existed stay the same."""
        return {**{s.name: getattr(self, s.name) for s in measures.switches()
                   if not (s.quiet and getattr(self, s.name) == s.default)},
                **{p.name: getattr(self, p.name) for p in measures.params()
                   if not (p.quiet and getattr(self, p.name) == p.default)}}
