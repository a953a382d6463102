"""A running job's progress for the Jobs page, and its time left: the New-study form's estimate first, refined
by the measured pace.

The pace alone misleads early (the worker's start-up and the first epoch's warm-up, divided by a sliver of
work done, read "≈ 8 h" for a job of 84 s); the estimate alone ignores what this machine actually does. So
the remaining time blends the two, trusting the measured pace more as the done share grows and fully from
TRUST_AT on. Pure arithmetic: no torch, no streamlit.
"""
from __future__ import annotations

import time

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


HALF_LIFE_S = 10.0   # the shown time left follows a new reading by half in this many seconds


def smoothed_remaining(previous: tuple[float, float] | None, remaining: float | None, now: float,
                       half_life_s: float = HALF_LIFE_S) -> float | None:
    """The time left to show: the last shown value ``previous`` = (seconds, when), counted down by the clock,
    moved toward the new reading ``remaining`` by 1 − 2^(−Δt / half_life_s). A reading that swings (a run
    ends, the pace of a new batch size differs) moves the shown value smoothly instead of 24 s → 2 min → 17 s."""
    if remaining is None or previous is None:
        return remaining
    shown, then = previous
    dt = max(0.0, now - then)
    counted = max(0.0, shown - dt)
    keep = 0.5 ** (dt / half_life_s)
    return keep * counted + (1.0 - keep) * remaining


def live_curves(progress: dict) -> list[dict]:
    """Per epoch of each run of this attempt that reported one: run, state, epoch, train loss and test accuracy
    (the Jobs page's live curves, from the progress file the job writes)."""
    return [{"run": r.get("run", ""), "state": r.get("state", ""), "epoch": e, "train_loss": loss, "test_acc": acc}
            for r in (progress.get("runs") or {}).values() for e, loss, acc in (r.get("curve") or [])]


def progress_view(job: dict, progress: dict, now: float | None = None) -> dict:
    """What the page shows for a job: runs done / total, the phase, the current run and epoch, loss, elapsed
    and remaining, and one row per run of this attempt.

    The work of this attempt is its runs to do; a running run counts by its share of epochs (a run whose
    training is over and is being measured counts whole). Remaining time starts from the form's estimate and
    is refined by the measured pace (remaining_s above); None with neither.
    """
    now = time.time() if now is None else now
    total = progress.get("total") or job.get("n_runs") or 0
    done = progress.get("done", 0)
    started = job.get("started") or progress.get("started")
    end = job.get("finished") or progress.get("finished") or now
    elapsed = max(0.0, end - started) if started else 0.0
    epochs, epoch = progress.get("epochs") or 0, progress.get("epoch") or 0
    runs = list((progress.get("runs") or {}).values())
    active = [r for r in runs if r.get("state") in ("training", "measuring")]
    if runs:
        current_share = sum(1.0 if r["state"] == "measuring" or not r.get("budget")
                            else min(1.0, (r.get("epochs") or 0) / r["budget"]) for r in active)
    else:
        current_share = epoch / epochs if progress.get("current") and epochs else 0.0
    at_start = job.get("done_at_start")
    at_start = (total - progress["todo"]) if at_start is None and "todo" in progress else at_start
    done_here = done - (done if at_start is None else at_start) + current_share
    todo = total - (done if at_start is None else at_start)
    remaining = None
    estimate_s = progress.get("estimate_s", job.get("estimate_s"))
    if job.get("state") == "running" and todo > 0:
        remaining = remaining_s(estimate_s, done_here / todo if done_here > 0 else 0.0, elapsed)
    elif job.get("state") == "queued":
        remaining = estimate_s
    fraction = min(1.0, (done + current_share) / total) if total else 0.0
    return {"done": done, "total": total, "fraction": fraction,
            "current": progress.get("current"), "epoch": epoch, "epochs": epochs, "loss": progress.get("loss"),
            "test_acc": progress.get("test_acc"), "failed": progress.get("failed", 0),
            "phase": progress.get("phase") if job.get("state") == "running" else None,
            "runs": [{"run_id": rid, "run": r.get("run", ""), "state": r.get("state", ""),
                      "epochs": f"{r.get('epochs') or 0}/{r['budget']}" if r.get("budget") else r.get("epochs"),
                      "reached_target": r.get("reached_target"),
                      "time_s": r.get("time_s") if r.get("time_s") is not None
                      else (now - r["started"] if r.get("started") else None)}
                     for rid, r in (progress.get("runs") or {}).items()],
            "elapsed_s": elapsed, "remaining_s": remaining}
