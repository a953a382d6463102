"""Time left for a running study: the New-study form's estimate first, refined by the measured pace.

The pace alone misleads early (the worker's start-up and the first epoch's warm-up, divided by a sliver of
work done, read "≈ 8 h" for a job of 84 s); the estimate alone ignores what this machine actually does. So
the remaining time blends the two, trusting the measured pace more as the done share grows and fully from
TRUST_AT on. Pure arithmetic: no torch, no streamlit.
"""
from __future__ import annotations

TRUST_AT = 0.25   # share of the work after which the measured pace alone decides


def remaining_s(estimate_s: float | None, done_share: float, elapsed_s: float) -> float | None:
    """Seconds left, or None with neither an estimate nor any work done.

    ``estimate_s``: the form's estimate for the runs this attempt trains; ``done_share``: the share of that
    work done (finished runs plus the running ones' share of epochs, 0..1); ``elapsed_s``: since the attempt
    started."""
    share = min(max(done_share, 0.0), 1.0)
    if share >= 1.0:
        return 0.0
    guess = None if estimate_s is None else max(0.0, estimate_s * (1.0 - share) if share > 0
                                               else estimate_s - elapsed_s)
    if share <= 0.0:
        return guess
    measured = elapsed_s * (1.0 - share) / share
    if guess is None:
        return measured
    trust = min(1.0, share / TRUST_AT)
    return (1.0 - trust) * guess + trust * measured
