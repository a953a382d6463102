"""The optimizers of a study: one record each (default lr, hyper-parameters, torch.optim class, update family,
colour). config, optim, the playground and the charts all read this table, so adding an optimizer is one entry
here (plus its update rule in optim.py and playground.py if it starts a new family). Never imports torch."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Slider:
    """The playground's control for a setting: its OptimizerSpec field, the symbol in labels, the range
    [0, hi] in steps, the page's widget key (in the URL; ``{opt}`` is the optimizer) and catalogue keys."""
    field: str
    symbol: str
    hi: float
    step: float
    key: str
    label: str
    fmt: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class Hyper:
    """One [optim] key: its default (a run that leaves it out uses it, and it stays out of the run id), its
    range, the torch.optim argument it sets (``slot``: its place in a tuple argument) and its playground slider."""
    name: str
    default: float | bool     # a bool default: a true/false switch
    torch_key: str
    slot: int | None = None
    lo: float = 0.0
    hi: float = 1.0
    lo_open: bool = False     # eps: above 0
    hi_open: bool = True      # a decay of 1 would never forget a gradient
    slider: Slider | None = None

    def allows(self, value: float) -> bool:
        return (self.lo < value if self.lo_open else self.lo <= value) and \
            (value < self.hi if self.hi_open else value <= self.hi)


# The [optim] table's keys, in the order the form and its messages list them; the defaults are torch's, except
# momentum (torch's SGD has none; 0.9 is the usual heavy-ball β).
MOMENTUM = Hyper("momentum", 0.9, "momentum",                       # β of heavy-ball / Nesterov momentum
                 slider=Slider("beta", "β", 0.99, 0.01, "pg_beta_{opt}", "pg.beta"))
NESTEROV = Hyper("nesterov", False, "nesterov")                     # Nesterov's look-ahead for "momentum"
BETA1 = Hyper("beta1", 0.9, "betas", slot=0,                        # Adam's first-moment decay
              slider=Slider("beta1", "β1", 0.99, 0.01, "pg_beta1", "pg.beta1"))
BETA2 = Hyper("beta2", 0.999, "betas", slot=1,                      # Adam's second-moment decay
              slider=Slider("beta2", "β2", 0.9999, 0.0001, "pg_beta2", "pg.beta2", fmt="%.4f"))
EPS = Hyper("eps", 1e-8, "eps", lo_open=True, hi_open=False)        # Adam's denominator guard
ALPHA = Hyper("alpha", 0.99, "alpha",                               # RMSProp's squared-gradient decay
              slider=Slider("alpha", "α", 0.999, 0.001, "pg_alpha", "pg.alpha"))
HYPERS = (MOMENTUM, NESTEROV, BETA1, BETA2, EPS, ALPHA)

# AdamW's decoupled weight decay in the playground (its difference from Adam; 0 makes it Adam exactly).
WEIGHT_DECAY = Slider("weight_decay", "wd", 0.2, 0.001, "pg_wd_{opt}", "pg.weight_decay", fmt="%.3f",
                      help="pg.weight_decay_help")


@dataclass(frozen=True)
class Optimizer:
    """One optimizer. ``family`` names its update rule: optim.py's fused kernel (sgd, adagrad, adam, adamw; rmsprop
    has none and steps through torch.optim) and the playground's numpy rule. ``fixed``: torch.optim arguments the
    spec cannot change (torch's defaults, written here because the playground needs them without torch)."""
    name: str
    lr: float                 # default base learning rate (see LR_WHY)
    family: str
    torch_class: str
    color: str
    hypers: tuple[Hyper, ...] = ()
    fixed: tuple[tuple[str, Any], ...] = ()
    weight_decay: float = 0.0
    playground_lr: float | None = None   # share of the map's width; None: the surface's own lr

    def torch_kwargs(self, given: Mapping | None = None) -> dict:
        """torch.optim's keyword arguments besides lr and weight decay: the fixed ones, then every hyper-parameter
        (the [optim] value in ``given``, else the default). Keys of ``given`` this optimizer lacks are ignored."""
        given, kw, slots = given or {}, dict(self.fixed), {}
        for h in self.hypers:
            v = given.get(h.name, h.default)
            v = bool(v) if isinstance(h.default, bool) else float(v)
            if h.slot is None:
                kw[h.torch_key] = v
            else:
                slots.setdefault(h.torch_key, {})[h.slot] = v
        kw.update({k: tuple(v[i] for i in sorted(v)) for k, v in slots.items()})
        return kw

    def sliders(self) -> tuple[tuple[Slider, float], ...]:
        """The playground's controls with their starting values: the hyper-parameters it shows, and AdamW's
        decoupled weight decay."""
        own = tuple((h.slider, h.default) for h in self.hypers if h.slider)
        return own + (((WEIGHT_DECAY, self.weight_decay),) if self.family == "adamw" else ())


# Default lrs give every optimizer about the same effective step on standardised data: momentum 0.9 multiplies
# the step by ~10, so its lr is a tenth of plain SGD's; the adaptive methods take steps of about lr per
# coordinate. Colours: Tableau 10 order, no two neighbouring blues, fixed per optimizer across charts.
# playground_lr: the adaptive methods step a set distance whatever the gradient's size, so a share of the width.
_SGD_OFF = (("momentum", 0.0), ("nesterov", False))
_ADAGRAD = (("lr_decay", 0.0), ("eps", 1e-10), ("initial_accumulator_value", 0.0))
TABLE: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", 0.1, "sgd", "SGD", "#4e79a7", fixed=_SGD_OFF),
    Optimizer("momentum", 0.01, "sgd", "SGD", "#e15759", (MOMENTUM, NESTEROV)),
    Optimizer("nesterov", 0.01, "sgd", "SGD", "#59a14f", (MOMENTUM,), fixed=(("nesterov", True),)),
    Optimizer("adagrad", 0.01, "adagrad", "Adagrad", "#f28e2b", fixed=_ADAGRAD, playground_lr=0.08),
    Optimizer("rmsprop", 0.001, "rmsprop", "RMSprop", "#b07aa1", (ALPHA,), fixed=(("eps", 1e-8),),
              playground_lr=0.005),
    Optimizer("adam", 0.001, "adam", "Adam", "#9c755f", (BETA1, BETA2, EPS), playground_lr=0.0125),
    # AdamW: Adam with decoupled weight decay (θ ← θ·(1 − lr·wd) before the step; wd 0 is Adam); torch's wd
    Optimizer("adamw", 0.001, "adamw", "AdamW", "#edc948", (BETA1, BETA2, EPS), weight_decay=0.01,
              playground_lr=0.0125),
)}


def get(name: str) -> Optimizer:
    """The record of ``name``; a clear error for a name that is not in the table."""
    if name not in TABLE:
        raise ValueError(f"unknown optimizer {name!r}: pick one of {', '.join(TABLE)}")
    return TABLE[name]


def applies_to(hyper: Hyper) -> tuple[str, ...]:
    """The optimizers that take ``hyper``, in table order."""
    return tuple(n for n, o in TABLE.items() if hyper in o.hypers)


def stability_threshold(name: str, lr: float, given: Mapping | None = None) -> tuple[float, str] | None:
    """(λ, formula): the sharpness above which the optimizer's full-batch step diverges on a quadratic with that
    curvature, the line of Cohen et al. 2021 ("edge of stability"). SGD 2/η; heavy-ball momentum (torch's
    v ← βv + g, θ ← θ − ηv) (2 + 2β)/η; Nesterov (2 + 2β)/((1 + 2β)η). None for the adaptive methods: their
    step is preconditioned, so their threshold bounds the preconditioned Hessian's λ_max (Cohen et al. 2022),
    not the raw λ_max measured here. ``given``: the [optim] values (β), else the defaults."""
    opt = get(name)
    if opt.family != "sgd" or not lr > 0:
        return None
    kw = opt.torch_kwargs(given)
    beta, nesterov = float(kw.get("momentum", 0.0)), bool(kw.get("nesterov", False))
    if beta == 0.0:
        return 2.0 / lr, "2/η"
    if nesterov:
        return (2.0 + 2.0 * beta) / ((1.0 + 2.0 * beta) * lr), "(2+2β)/((1+2β)η)"
    return (2.0 + 2.0 * beta) / lr, "(2+2β)/η"
