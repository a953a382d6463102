"""What is measured after training, and the one record of each measure (the registry below).

Map: objective.py (the loss as a function of the flat weights), mlp_hvp.py (fast Hessian-vector products for
MLPs), lbfgsb.py (the box-constrained optimiser of ε-sharpness), sharpness.py (ε, adaptive, random, SAM),
hessian.py (λ_max, λ_min, trace, spectral density, minimum ratio, gradient norm), noise.py (B_simple), track.py
(the training probe: B_simple and λ_max over training), landscape.py (slices, interpolation, the 2-D surface),
reparam.py (the rescaling audit), measure_run.py (runs the estimators a spec switches on).

Every fact about a measure is written once, here: its columns, the [measure] switch that turns it on, its
label, unit, expected sign against the gap, the chart pages that draw it, whether the predictors table ranks
it, its cost and its estimator. MeasureSpec, the New-study form, the charts, the predictors table and the
summaries read it. Adding a measure = its estimator in a module of this package + one `Measure` record (and a
`Switch` if it has its own key). Estimators are named as "module:function" and imported only when a run is
measured, so this module, config.py and the pages never import torch.
"""
from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from typing import Callable, Iterator

FAMILIES = ("sharpness", "curvature")   # the pages that draw a measure against the batch size
COSTS = ("cheap", "moderate", "costly")  # a few HVPs / tens of HVPs / ≥ 40 HVPs or a dense Hessian


@dataclass(frozen=True)
class Param:
    """A number of the [measure] table that tunes an estimator: its default and range, written once (MeasureSpec
    reads, checks and hashes it from here)."""

    name: str
    default: int | float           # an int default makes an integer parameter
    low: float
    high: float
    low_open: bool = False         # a float above `low`, never at it
    odd: bool = False              # an odd count (a grid with its centre)
    quiet: bool = False            # left out of the spec's identity at its default: adding it changed no stored id


@dataclass(frozen=True)
class Switch:
    """A key of the [measure] table that turns estimators on: a checkbox, or a list of values (one column each,
    [] turns it off) shown as a text field."""

    name: str
    default: bool | tuple[float, ...]
    form: str                      # catalogue key of its New-study widget; its help is form + "_help"
    group: int = 0                 # the New-study page's column for a checkbox (0 sharpness, 1 curvature, 2 other)
    bounds: tuple[float, float] = (0.0, 1.0)   # a list switch's values: above the first, at most the second
    quiet: bool = False            # left out of the spec's identity while off: adding it changed no stored id
    params: tuple[Param, ...] = ()  # the parameters that tune what it turns on
    per_configuration: bool = False  # a view made once per configuration (on one of its seeds), not per run
    hvps: Callable[[object], float] = lambda m: 0   # its cost while on, in Hessian-vector products (or loss
                                   # evaluations of that cost) on the sample, under MeasureSpec m: the estimate's model

    @property
    def listed(self) -> bool:
        return isinstance(self.default, tuple)


@dataclass(frozen=True)
class Measure:
    """One measured quantity: its main column in the runs table and everything the app says about it."""

    column: str
    companions: tuple[str, ...]    # further columns it writes; "_se" stands for column + "_se"
    switches: tuple[str, ...]      # the [measure] keys that make it measured (any one of them)
    compute: str                   # its estimator "module:measure_<name>", beside its maths; <name> names <name>_time_s
    label: str                     # catalogue key of its axis and legend name
    unit: str
    sign: int = 0                  # expected sign vs the gap gap_acc: +1 sharper/more curved → larger gap
    predictor: bool = False        # a row of the predictors table (ranked by sign × Ψ when sign ≠ 0)
    charts: tuple[str, ...] = ()   # FAMILIES that draw it against the batch size
    summary: bool = True           # summarised per group (conclusions, `export --table summary`)
    note: str = ""                 # its header in the CLI's closing note, which judges its end difference
    cost: str = "cheap"

    @property
    def caption_key(self) -> str:
        """Its caption's catalogue key; the text may name any MeasureSpec parameter (`caption` below)."""
        return f"caption.{self.column}"

    @property
    def how_key(self) -> str:
        """Its "How it is measured" line's catalogue key (`how` below)."""
        return f"how.{self.column}"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, *(self.column + c if c.startswith("_") else c for c in self.companions))



SAMPLE = (Param("sample", 2048, 16, 1_000_000),   # training examples the measurements use (fixed, seeded)
          Param("sample_seed", 0, 0, 2**31 - 1))
_SWITCHES: dict[str, Switch] = {s.name: s for s in (
    Switch("sharpness_eps", (1e-3,), "form.eps",                # Keskar's ε, one column per ε
           hvps=lambda m: len(m.sharpness_eps) * m.lbfgs_iters * 3, params=(   # L-BFGS-B: ~3 evaluations a step
        Param("lbfgs_iters", 10, 1, 1000),                      # the budget for the max over the box (and ASAM's)
        Param("subspace_dim", 0, 0, 100_000))),                 # a random subspace y = A z (0 = full; paper: 100)
    Switch("sharpness_random", True, "form.random", 0, hvps=lambda m: m.random_directions, params=(
        Param("random_directions", 10, 1, 1000),                # M for random sharpness
        Param("random_sigma", 0.05, 0.0, 10.0, low_open=True))),  # the filter-normalised perturbation's size
    Switch("sharpness_sam", True, "form.sam", 0, hvps=lambda m: 2, params=(   # a gradient and a loss per chunk
        Param("sam_rho", 0.05, 0.0, 10.0, low_open=True),
        Param("sam_m", 128, 1, 1_000_000))),                    # m-sharpness chunk size
    Switch("hessian", True, "form.hessian", 1, hvps=lambda m: 20),   # λ_max by Lanczos (+ the trace)
    Switch("critical", False, "form.critical", 1,   # λ_min: ≥ 40 Lanczos steps (and λ_max's run without hessian)
           hvps=lambda m: 40 + (0 if m.hessian else 20)),
    Switch("landscape", True, "form.landscape", 2, hvps=lambda m: m.landscape_points * 0.5,   # a forward pass a point
           params=(Param("landscape_points", 21, 3, 1001),)),
    Switch("noise_scale", True, "form.noise", 2, hvps=lambda m: 5),   # at the end: the probe's last point
    # models under ~5,000 weights; with critical on, its bottom end is critical's Lanczos run
    Switch("spectrum", False, "form.spectrum", 1,   # the density priced by size in the estimate; its Lanczos ends:
           hvps=lambda m: (0 if m.critical else 40) + (0 if m.hessian or m.critical else 20)),
    # adaptive sharpness: the box |y_i| ≤ ε·|x_i|, 1 % of each weight
    Switch("sharpness_adaptive", False, "form.adaptive", 0, quiet=True, hvps=lambda m: m.lbfgs_iters * 1.5,
           params=(Param("adaptive_eps", 0.01, 0.0, 1.0, low_open=True, quiet=True),)),
    # λ_max at the probe epochs, on the first track_sample examples of the sample (cost ∝ it)
    Switch("hessian_track", False, "form.hessian_track", 1, quiet=True,
           params=(Param("track_sample", 512, 16, 1_000_000, quiet=True),)),
    # rows of kind "surface": the 2-D landscape on a grid of surface_points per axis over ±1
    Switch("landscape_2d", False, "form.landscape_2d", 2, quiet=True, per_configuration=True,
           params=(Param("surface_points", 21, 3, 101, odd=True, quiet=True),)),
    # ‖g‖/‖g₀‖ on the whole training set: two full-batch gradients
    Switch("grad_norm_ratio", False, "form.grad_norm_ratio", 1, quiet=True, hvps=lambda m: 2),
    # rows of kind "audit": layer l × α, layer l + 1 × 1/α, every measure again
    Switch("rescale_audit", False, "form.rescale_audit", 2, quiet=True, per_configuration=True,
           params=(Param("rescale_alpha", 10.0, 0.0, 1e6, low_open=True, quiet=True),)),
)}

_M = "studies.measures."   # the measure functions' package: "module:measure_<name>" below
_HESSIAN = ("hessian", "critical", "spectrum")   # one Lanczos run serves all three
LAMBDA_MAX = "hessian_top_eig"   # λ_max's column, named once: the end-of-run measure and the tracked one
EPS_SHARPNESS = "sharpness_eps"  # Keskar's ε-sharpness at the first ε, the headline sharpness column
ZERO_CUT = 1e-3   # |λ| ≤ ZERO_CUT·max|λ| counts as zero: the minimum ratio's cut (hessian.RATIO_CUT), and the
                  # critical-point verdict's floor under λ_min's error (analysis/verdict.py reads it from here)
_MEASURES: dict[str, Measure] = {m.column: m for m in (
    Measure("sharpness_eps", ("_iters",), ("sharpness_eps",), _M + "sharpness:measure_sharpness_eps",
            "label.sharpness_eps", "% of 1 + loss", 1, True, ("sharpness",), note="ε-sharpness", cost="moderate"),
    Measure("sharpness_adaptive", ("_iters",), ("sharpness_adaptive",), _M + "sharpness:measure_sharpness_adaptive",
            "label.sharpness_adaptive", "% of 1 + loss", 1, True, ("sharpness",), cost="moderate"),
    Measure("sharpness_rand", ("_se",), ("sharpness_random",), _M + "sharpness:measure_sharpness_rand",
            "label.sharpness_rand", "loss", 1, True, ("sharpness",), cost="moderate"),
    Measure("sharpness_sam", ("_raw",), ("sharpness_sam",), _M + "sharpness:measure_sharpness_sam",
            "label.sharpness_sam", "loss", 1, True, ("sharpness",)),
    Measure("grad_norm", ("grad_norm_init",), _HESSIAN, _M + "hessian:measure_hessian", "label.grad_norm",
            "loss per weight", charts=("curvature",)),
    Measure("hessian_min_eig", ("_err",), ("critical", "spectrum"), _M + "hessian:measure_hessian",
            "label.hessian_min_eig", "loss per weight²", charts=("curvature",), cost="costly"),
    Measure(LAMBDA_MAX, ("_err", "hessian_iters", "hessian_converged"), _HESSIAN, _M + "hessian:measure_hessian",
            "label.hessian_top_eig", "loss per weight²", 1, True, ("sharpness", "curvature"), note="λ_max",
            cost="moderate"),
    Measure("hessian_trace", ("_se", "_probes"), ("hessian",), _M + "hessian:measure_hessian", "label.hessian_trace",
            "loss per weight²", 1, True, ("sharpness",), cost="moderate"),
    Measure("min_ratio", ("min_ratio_cut", "n_eig_positive", "n_eig_negative"), ("spectrum",),
            _M + "hessian:measure_spectrum", "label.min_ratio", "fraction", charts=("curvature",), summary=False,
            cost="costly"),
    Measure("grad_norm_ratio", (), ("grad_norm_ratio",), _M + "hessian:measure_grad_norm_ratio",
            "label.grad_norm_ratio", "ratio", charts=("curvature",)),
    Measure("noise_scale", ("_se", "_trace"), ("noise_scale",), _M + "noise:measure_noise_scale", "label.noise_scale",
            "examples", 0, True, cost="moderate"),
    Measure("noise_scale_init", ("_se", "_trace"), ("noise_scale",), _M + "noise:measure_noise_scale_init",
            "label.noise_scale_init", "examples", summary=False, cost="moderate"),
)}


def switches() -> tuple[Switch, ...]:
    """The [measure] switches in the table's order."""
    return tuple(_SWITCHES.values())


def switch(name: str) -> Switch | None:
    return _SWITCHES.get(name)


def params() -> tuple[Param, ...]:
    """Every [measure] parameter: the sample's, then each switch's, in the table's order."""
    return SAMPLE + tuple(p for s in _SWITCHES.values() for p in s.params)


def param(name: str) -> Param | None:
    return next((p for p in params() if p.name == name), None)


def measures() -> tuple[Measure, ...]:
    """Every measure, in the order pages, tables and estimators take them."""
    return tuple(_MEASURES.values())


def measure(column: str) -> Measure | None:
    """The measure whose main column is `column` (None for any other column)."""
    return _MEASURES.get(column)


def caption(column: str, spec) -> str:
    """A measure's caption in the current language, naming the values of MeasureSpec ``spec`` it was measured
    with: any parameter by name (``{sample}``, ``{lbfgs_iters}``, …) and ``{eps}``, the first ε."""
    from ..i18n import t
    values = {p.name: f"{getattr(spec, p.name):,}" if isinstance(p.default, int) else f"{getattr(spec, p.name):g}"
              for p in params()}
    return t(_MEASURES[column].caption_key, eps=f"{spec.sharpness_eps[0]:g}" if spec.sharpness_eps else "—", **values)


def how(columns) -> str:
    """The "How it is measured" lines of these measures (markdown bullets), in the registry's order."""
    from ..i18n import t
    return "\n".join(t(m.how_key) for m in _MEASURES.values() if m.column in columns)


def drawn(family: str) -> tuple[str, ...]:
    """The main columns a chart family ("sharpness", "curvature") draws against the batch size."""
    return tuple(m.column for m in _MEASURES.values() if family in m.charts)


def estimators(on: Callable[[str], object]) -> list[tuple[str, Callable]]:
    """(name, function) of each estimator to run, once each, in registry order, where `on(switch)` says which
    switches are on; the name (the function's, less its "measure_" prefix) names its <name>_time_s column.
    Importing the functions' modules imports torch."""
    names = dict.fromkeys(m.compute for m in _MEASURES.values() if any(on(s) for s in m.switches))
    return [(c.partition(":")[2].removeprefix("measure_"), resolve(c)) for c in names]


def resolve(compute: str) -> Callable:
    """The function a "module:function" names."""
    module, _, name = compute.partition(":")
    return getattr(importlib.import_module(module), name)


def _check(m: Measure) -> None:
    problems = [f"its column {m.column!r} is taken" if m.column in _MEASURES else "",
                *(f"unknown switch {s!r}" for s in m.switches if s not in _SWITCHES),
                "" if set(m.charts) <= set(FAMILIES) else f"charts must be among {', '.join(FAMILIES)}",
                "" if m.cost in COSTS else f"cost must be one of {', '.join(COSTS)}",
                "" if ":" in m.compute else "compute must be 'module:function'"]
    problems = [p for p in problems if p]
    if problems:
        raise ValueError(f"measure {m.column!r}: {'; '.join(problems)}")


@contextlib.contextmanager
def registered(*records: Measure | Switch) -> Iterator[None]:
    """Add switches and measures for the duration of a block (a plugin's or a test's), then remove them."""
    added: list[tuple[dict, str]] = []
    try:
        for r in records:
            if isinstance(r, Switch):
                if r.name in _SWITCHES:
                    raise ValueError(f"switch {r.name!r} exists")
                _SWITCHES[r.name] = r
                added.append((_SWITCHES, r.name))
            else:
                _check(r)
                _MEASURES[r.column] = r
                added.append((_MEASURES, r.column))
        yield
    finally:
        for table, key in reversed(added):
            table.pop(key, None)
