"""``[lr] sgd = "auto"`` or ``"auto:0.01"``: an lr search that extends itself. How the value reads, the short
grid it starts from, and the spec with the lrs the search added (analysis/lr_search decides them,
execution/auto_lr trains them). No torch.

The start grid is the centre lr × FACTOR^k, k = −2…2 (two decades; the optimizer's default lr, or the one after the
colon); the search adds lrs a FACTOR beyond an edge. The added lrs live in ``StudySpec.lr_added`` — per
(optimizer, batch size), outside the study's id: the study is the spec as written, "auto:0.01", whatever the
search finds.
"""
from __future__ import annotations

import dataclasses

from .spec_checks import SpecError

AUTO = "auto"
FACTOR = 10 ** 0.5        # the start grid's spacing, and the step beyond an edge (half a decade)
START = (-2, -1, 0, 1, 2)    # two decades around the centre


def round_lr(lr: float) -> float:
    """Four significant digits, so that a value reached by two paths (×FACTOR then ÷FACTOR) is one lr."""
    return float(f"{lr:.4g}")


def read_auto(key: str, v: str) -> str:
    """"auto" or "auto:<lr>" (0 < lr ≤ 1000), normalised; anything else refused in one line."""
    text = v.strip().lower()
    if text == AUTO:
        return AUTO
    head, _, tail = text.partition(":")
    try:
        lr = float(tail) if head == AUTO else None
    except ValueError:
        lr = None
    if lr is None or not 0 < lr <= 1e3:
        raise SpecError(key, key="spec.lr_auto", v=repr(v))
    return f"{AUTO}:{lr:g}"


def is_auto(v) -> bool:
    return isinstance(v, str)


def start_grid(value: str, default: float) -> tuple[float, ...]:
    """The lrs an auto search starts from: around the lr after the colon, else around ``default``."""
    _, _, tail = value.partition(":")
    center = float(tail) if tail else default
    return tuple(round_lr(center * FACTOR ** k) for k in START)


def auto_optimizers(spec) -> tuple[str, ...]:
    """The spec's optimizers whose lr is searched."""
    lrs = dict(spec.lr)
    return tuple(o for o in spec.optimizers if is_auto(lrs.get(o)))


def with_added(spec, added: dict):
    """``spec`` with the search's lrs: {(optimizer, batch size): {lr: reason}} (same study id)."""
    rows = tuple(sorted((o, int(b), tuple(sorted(lrs))) for (o, b), lrs in added.items() if lrs))
    return dataclasses.replace(spec, lr_added=rows)


def lrs_at(spec, optimizer: str, batch_size: int) -> tuple[float, ...]:
    """The spec's lrs for ``optimizer`` (lrs_for), and those an auto search added at this batch size."""
    extra = [lrs for o, b, lrs in spec.lr_added if o == optimizer and b == batch_size]
    return tuple(dict.fromkeys(spec.lrs_for(optimizer) + (extra[0] if extra else ())))
