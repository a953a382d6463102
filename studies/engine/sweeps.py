"""Exact pruning of learning-rate sweeps, and the early end of runs that stalled.

A run of an lr sweep is worth training only while its lr can still be the best one at its (optimizer, batch
size, shuffle) under analysis.fairness.best_lr: most seeds reaching the target, then the fewest median steps to
it. ``ruled_out`` says when it no longer can: against an lr whose own runs guarantee more seeds reaching the
target than the candidate can still get, or, with as many, whose runs have all ended with a median of steps
below anything the candidate can still reach (a run short of its target at S steps reaches it, if ever, after
S). Ties never prune, so the best lr, its steps and its runs are those of the study without pruning.

The ``Board`` holds what the rule reads: per run its steps so far and whether it ended (reached or not). Training
loops report to it after every epoch and ask it whether to go on (``Stopper``); in the pool its numbers live in
shared memory, so a stack in one process prunes on a winner another process found a moment ago.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..spec.config import PRUNED
from .loop_rules import CHANCE_MARGIN, STALL_EARLY_EPOCHS, chance_rate, stall_window, stalled

COLLAPSE_EPOCHS = 2   # a run ruled out while at chance trains to this many epochs before it is called pruned:
                      # its first epoch's fall from the initial loss hides whether it collapsed (flat after it)

RUNNING, REACHED, MISSED = 0.0, 1.0, 2.0   # a run's state on the board (MISSED: ended without the target)
_ATTACHED = None                            # in a pool worker: the shared numbers (attach)


@dataclass(frozen=True)
class Seen:
    """One run as the rule sees it: its steps (so far, or final) and its state."""

    steps: float
    state: float = RUNNING


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.inf


def ruled_out(candidate: list[Seen], others: dict[float, list[Seen]]) -> tuple[float, int, float] | None:
    """Whether the lr of ``candidate`` (its runs, one per seed) can no longer be best_lr's choice, given the
    other lrs of its group (lr → its runs). Returns (the lr that beats it, its seeds reaching the target, their
    median steps), or None while it may still win.

    The candidate's best case: every run still going reaches the target at one step more than it has now.
    An lr beats it for sure when the runs of that lr that already reached are more than the candidate can
    still have reach; or when it has as many, all its runs have ended, and their median steps are below the
    candidate's best-case median (equal medians go to later keys of the rule, which pruning leaves alone)."""
    going = [s for s in candidate if s.state == RUNNING]
    if not going:
        return None
    reached = [s.steps for s in candidate if s.state == REACHED]
    most = len(reached) + len(going)
    best_case = _median(reached + [s.steps + 1 for s in going])
    beaten = None
    for lr, runs in others.items():
        won = [s.steps for s in runs if s.state == REACHED]
        if not won:
            continue
        ended = all(s.state != RUNNING for s in runs)
        if len(won) > most or (ended and len(won) == most and _median(won) < best_case):
            verdict = (lr, len(won), _median(won))
            if beaten is None or (-verdict[1], verdict[2]) < (-beaten[1], beaten[2]):
                beaten = verdict
    return beaten


def why_pruned(lr: float, seeds: int, steps: float) -> str:
    return f"lr {lr:g} reached the target on {seeds} seed(s) in {steps:g} steps (median)"


class Board:
    """Steps and state of every run of a study's lr sweeps, keyed by run id; in-process lists, or shared
    numbers in a pool (``share``: the pool's workers get them through ``attach``)."""

    def __init__(self, runs, targets: bool = True):
        self.slot = {r.run_id: i for i, r in enumerate(runs)}
        self.lr = {r.run_id: r.lr for r in runs}
        groups: dict[tuple, dict[float, list[int]]] = {}
        for i, r in enumerate(runs):
            groups.setdefault((r.optimizer, r.batch_size, r.shuffle, r.budget), {}).setdefault(r.lr, []).append(i)
        self.lrs = {r.run_id: groups[(r.optimizer, r.batch_size, r.shuffle, r.budget)] for r in runs}
        self.targets = targets   # without a target best_lr reads final losses: nothing to prune on
        self.values = [0.0] * (2 * len(runs))   # steps, then states
        self.lock = None

    def __getstate__(self):
        state = dict(self.__dict__)
        if not isinstance(state["values"], list):   # shared numbers travel through attach, not pickling
            state["values"], state["lock"] = None, None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.values is None:
            self.values, self.lock = _ATTACHED

    def share(self, ctx):
        """Move the numbers into shared memory of ``ctx`` (a multiprocessing context); returns what a worker
        passes to ``attach``."""
        shared = ctx.Array("d", len(self.values))
        shared[:] = list(self.values)
        self.values, self.lock = shared, shared.get_lock()
        return shared, self.lock

    def _set(self, run_id: str, steps: float, state: float) -> None:
        i, n = self.slot.get(run_id), len(self.slot)
        if i is None:
            return
        if self.lock is None:
            self.values[i], self.values[n + i] = steps, state
            return
        with self.lock:
            self.values[i], self.values[n + i] = steps, state

    def progress(self, run_id: str, steps: float) -> None:
        self._set(run_id, steps, RUNNING)

    def ended(self, run_id: str, steps: float, reached: bool) -> None:
        self._set(run_id, steps, REACHED if reached else MISSED)

    def seen(self, run_id: str) -> tuple[list[Seen], dict[float, list[Seen]]]:
        n = len(self.slot)
        if self.lock is None:
            values = self.values[:]
        else:
            with self.lock:
                values = self.values[:]
        at = lambda slots: [Seen(values[i], values[n + i]) for i in slots]  # noqa: E731
        lrs = self.lrs[run_id]
        own = self.lr[run_id]
        return at(lrs[own]), {lr: at(slots) for lr, slots in lrs.items() if lr != own}

    def verdict(self, run_id: str) -> str | None:
        """Why ``run_id`` should stop now (its lr is ruled out), or None."""
        if not self.targets or run_id not in self.slot:
            return None
        own, others = self.seen(run_id)
        beaten = ruled_out(own, others)
        return None if beaten is None else why_pruned(*beaten)


def attach(shared) -> None:
    """In a pool worker: the board's shared numbers and their lock (Board.share), for boards unpickled here."""
    global _ATTACHED
    _ATTACHED = shared


def stopper(board: Board | None, data) -> "Stopper":
    """The Stopper of a run on ``data`` (its chance rate) reporting to ``board``."""
    return Stopper(board, chance_rate(data.y_train, data.n_classes))


class Stopper:
    """What a training loop asks after every epoch of a run: (status, why) to end it with now, or None.
    A run stalls early when loop_rules.stalled holds over its epochs so far and its window is at least
    STALL_EARLY_EPOCHS long; it is pruned when the board rules its lr out (stalled, if by then it is at chance
    with no fall of its loss: a collapse is what a reader must see, pruned or not). ``ended`` reports a run's end."""

    def __init__(self, board: Board | None, chance: float):
        self.board, self.chance = board, chance

    def __call__(self, run, rows: list[dict]) -> tuple[str, str] | None:
        epochs = len(rows) - 1
        if stall_window(epochs) >= STALL_EARLY_EPOCHS and stalled(rows, self.chance):
            return "stalled", f"no fall of the train loss over epochs {epochs - stall_window(epochs) + 1}–" \
                              f"{epochs}, accuracy at chance"
        if self.board is None:
            return None
        self.board.progress(run.run_id, rows[-1]["steps"])
        why = self.board.verdict(run.run_id)
        if why is not None and stalled(rows, self.chance):   # ruled out, and it never trained: say the latter
            return "stalled", f"no fall of the train loss over its last {stall_window(epochs)} epoch(s), accuracy " \
                              f"at chance; stopped when its lr was ruled out ({why})"
        if why is not None and epochs < COLLAPSE_EPOCHS and rows[-1]["train_acc"] <= self.chance + CHANCE_MARGIN:
            return None   # at chance after its first epoch: one more tells a collapse (flat) from a slow start
        return None if why is None else (PRUNED, why)

    def ended(self, run, steps: float, reached: bool) -> None:
        if self.board is not None:
            self.board.ended(run.run_id, steps, reached)


def _value(row, key, default):
    v = row.get(key, default) if hasattr(row, "get") else default
    return default if v is None or (isinstance(v, float) and math.isnan(v)) else v


def study_board(runs, rows: dict, targets: bool) -> Board:
    """The board of a study about to run: ``rows`` (run id → its stored runs row as a one-row frame, or None)
    fill in the runs that ended before; a stored pruned run counts as stopped where it stopped."""
    board = Board(runs, targets)
    for rid, frame in rows.items():
        if frame is None or not len(frame):
            continue
        row = frame.iloc[0]
        status, steps = row["status"], float(_value(row, "steps", 0))
        if status == PRUNED:
            board.progress(rid, steps)
        elif status != "failed":
            board.ended(rid, steps, status == "done" and bool(_value(row, "reached_target", False)))
    return board


def reusable(row, board: Board | None) -> bool:
    """Whether a stored runs ``row`` stands for this study: not failed; a run stopped early (pruned, or
    stalled before its cap) only in a study that prunes, and a pruned one only while the study's own stored
    runs still rule its lr out (else it is trained again, to its end or to a prune this study can justify)."""
    if row["status"] == "failed":
        return False
    if board is None:
        return not _value(row, "stop_reason", "")
    return row["status"] != PRUNED or board.verdict(row["run_id"]) is not None
