"""The intervals every derived number carries: over seeds, over runs, and for a difference of two groups.

One place for the rule, so a chart's band, a table's interval and an export agree. 95 % everywhere. Over the
seeds of one group: Student's t-interval of the mean (a handful of seeds; a bootstrap of 3 values is not an
interval); for a positive, skewed quantity the same on the log scale (``log_interval``). B_simple's seed
bootstrap lives with it (analysis.b_simple). Fewer values than an interval needs: NaN bounds, and the text says so.
No torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..measures import EPS_SHARPNESS, LAMBDA_MAX

LEVEL = 0.95
T_INTERVAL = "95 % t-interval over seeds"
LOG_T_INTERVAL = "95 % t-interval over seeds on the log scale (geometric mean, ×/÷)"
# positive, skewed quantities: their number is a geometric mean and their interval is taken on the log scale
LOG_SCALE = frozenset({EPS_SHARPNESS, "sharpness_adaptive", "sharpness_rand", LAMBDA_MAX, "hessian_trace",
                       "noise_scale", "epoch_time_s", "step_time_s", "samples_per_s", "total_time_s", "steps",
                       "epochs", "examples", "time_to_target_s", "examples_to_target"})
BOOTSTRAP = "95 % bootstrap interval over runs"
MIN_BOOTSTRAP = 3    # a bootstrap of fewer values only reshuffles them


@dataclass(frozen=True)
class Interval:
    """A number, its 95 % interval (NaN when ``n`` cannot give one) and how many values it comes from."""
    value: float
    low: float
    high: float
    n: int

    @property
    def has_interval(self) -> bool:
        return math.isfinite(self.low) or math.isfinite(self.high)


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]


def mean_interval(values) -> Interval:
    """The mean and its t-interval (n ≥ 2; identical values give a zero-width interval)."""
    v = _finite(values)
    if len(v) == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = float(v.mean())
    if len(v) < 2:
        return Interval(m, math.nan, math.nan, 1)
    half = float(stats.t.ppf(0.5 + LEVEL / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return Interval(m, m - half, m + half, len(v))


def log_interval(values) -> Interval:
    """For a positive, skewed quantity over seeds (sharpness, λ_max, trace, noise scale, epoch time, steps,
    time to target): the geometric mean and Student's t-interval of the mean of the logs, mapped back — a ×/÷
    interval that is never below 0. Non-positive values are left out (they cannot be logged); n ≥ 2 for an
    interval, identical values give a zero-width one."""
    v = _finite(values)
    v = v[v > 0]
    if len(v) == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = mean_interval(np.log(v))
    return Interval(math.exp(m.value), math.exp(m.low), math.exp(m.high), m.n)   # exp(nan) is nan


def log_scale(column: str, values=None) -> bool:
    """Whether ``column`` is summarised on the log scale: a positive, skewed quantity (LOG_SCALE, every
    sharpness_eps@ε) whose ``values`` (when given) are all positive; a value ≤ 0 (a random sharpness or a trace
    away from a minimum can be) sends it back to the plain mean, which never drops a value."""
    if column not in LOG_SCALE and not column.startswith("sharpness_eps@"):
        return False
    if values is None:
        return True
    v = _finite(values)
    return bool(len(v)) and bool((v > 0).all())


def difference_interval(a, b) -> Interval:
    """mean(b) − mean(a) with Welch's 95 % interval (each side ≥ 2 values); NaN bounds otherwise."""
    x, y = _finite(a), _finite(b)
    if len(x) == 0 or len(y) == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    d = float(y.mean() - x.mean())
    if len(x) < 2 or len(y) < 2:
        return Interval(d, math.nan, math.nan, len(x) + len(y))
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return Interval(d, d, d, len(x) + len(y))
    dof = (vx + vy) ** 2 / ((vx ** 2 / (len(x) - 1)) + (vy ** 2 / (len(y) - 1)))
    half = float(stats.t.ppf(0.5 + LEVEL / 2, dof) * se)
    return Interval(d, d - half, d + half, len(x) + len(y))


def beyond_noise(diff: Interval) -> bool | None:
    """Whether a difference's interval excludes 0 (True), contains it (False), or there is none (None)."""
    if not diff.has_interval:
        return None
    return bool(diff.low > 0 or diff.high < 0)
