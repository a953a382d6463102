"""What a run's budget holds equal, and the batch size of each epoch: a pure rule both engines follow. No torch.

A study may hold equal epochs ("epochs:E"), optimizer updates ("steps:S"), examples seen ("examples:X", i.e.
⌈X/B⌉ updates) or a training target ("target", with ``epochs`` as its cap) — Hoffer et al. 2017 argue that
the large-batch gap comes from taking fewer updates, so the answer depends on which is held equal. A step
budget trains ⌈S/steps_per_epoch⌉ epochs and cuts the last one short at exactly S updates. The batch-size
schedule "step" multiplies B by ``batch_growth`` at 50 % and 75 % of the epoch budget (Smith et al. 2018:
grow the batch where the ``step`` lr schedule would divide the learning rate), capped at the training set.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .spec_checks import SpecError, int_text, read_list, unique

BUDGET_KINDS = ("epochs", "steps", "examples", "target")
BATCH_SCHEDULES = ("constant", "step")
STEP_BUDGETS = ("steps", "examples")   # budgets counted in updates: the last epoch may be cut short
MAX_EPOCHS = 10_000                  # the most epochs a run may train: the ``epochs`` field's own limit
_LIMITS = {"epochs": MAX_EPOCHS, "steps": 100_000_000, "examples": 10**12}
_BUDGET_RE = re.compile(r"^(epochs|steps|examples):([0-9]+)$")
_EXAMPLE = "\"epochs:30\", \"steps:6000\", \"examples:120000\" or \"target\""


def read_budget(v: Any) -> str:
    """One budget, canonical ("steps:400"); a SpecError saying how to write it otherwise."""
    if not isinstance(v, str):
        raise SpecError("budgets", key="spec.not_budget", v=repr(v), example=_EXAMPLE)
    if v == "target":
        return v
    m = _BUDGET_RE.match(v)
    if not m:
        kind = v.split(":", 1)[0].strip()
        if kind in BUDGET_KINDS[:3]:
            raise SpecError("budgets", key="spec.budget_number", v=repr(v), kind=kind)
        raise SpecError("budgets", key="spec.not_budget", v=repr(v), example=_EXAMPLE)
    kind, n = m.group(1), int_text("budgets", m.group(2))   # its length first (Python's 4,300-digit limit)
    if not 1 <= n <= _LIMITS[kind]:
        raise SpecError("budgets", key="spec.budget_range", v=repr(v), kind=kind, most=_LIMITS[kind])
    return f"{kind}:{n}"


def read_budgets(v: Any) -> tuple[str, ...]:
    return unique("budgets", [read_budget(b) for b in read_list("budgets", v)])


def parse(budget: str) -> tuple[str, int]:
    """("epochs" | "steps" | "examples", N), or ("target", 0)."""
    kind, _, n = budget.partition(":")
    return kind, int(n or 0)


def steps_per_epoch(n_train: int, batch_size: int, drop_last: bool) -> int:
    """Updates in one epoch (batches.batch_bounds' count): the last partial batch kept unless drop_last."""
    return n_train // batch_size if drop_last else math.ceil(n_train / batch_size)


def step_cap(budget: str, batch_size: int) -> int | None:
    """Exact updates a step or examples budget allows (examples:X is ⌈X/B⌉ updates); None for the others."""
    kind, n = parse(budget)
    if kind == "steps":
        return n
    if kind == "examples":
        return math.ceil(n / batch_size)
    return None


def epochs_for(budget: str, batch_size: int, n_train: int, drop_last: bool) -> int:
    """Epochs a fixed budget trains (the last may be partial); 0 for "target" (the spec's cap applies)."""
    kind, n = parse(budget)
    if kind == "epochs":
        return n
    cap = step_cap(budget, batch_size)
    return 0 if cap is None else math.ceil(cap / max(1, steps_per_epoch(n_train, batch_size, drop_last)))


# Where a run with a target stops, in its run id (config.RunSpec.identity): absent = at the end of the epoch in
# which it met the target (before the crossing rule); 2 = at the first check inside that epoch (crossing.py).
# Runs with a target stored before it are trained again; runs without one keep their ids.
STOP_RULE = 2


def targeted(spec) -> bool:
    """Whether a StudySpec or RunSpec trains to a target (a train accuracy or a train loss)."""
    return spec.target_train_acc > 0 or spec.target_train_loss > 0


def run_budget(run) -> str:
    """The runs table's ``budget`` of a RunSpec (budget_label of its own fields)."""
    return budget_label(run.budget, run.epochs, targeted(run))


def budget_label(budget: str, epochs: int, targeted: bool) -> str:
    """The runs table's ``budget``: the run's own, or for a run without one what it held equal: its target
    when it had one, else its epochs."""
    return budget or ("target" if targeted else f"epochs:{epochs}")


def check_epochs(budget: str, batch_size: int, n_train: int, drop_last: bool) -> int:
    """The epochs ``budget`` trains at ``batch_size`` (epochs_for), or a SpecError when that is more than
    MAX_EPOCHS (examples:10¹² at B=1 would be 7·10⁸ epochs): O(1), before anything is built per epoch."""
    epochs = epochs_for(budget, batch_size, n_train, drop_last)
    if epochs > MAX_EPOCHS:
        raise SpecError("budgets", key="spec.budget_epochs", v=repr(budget), b=batch_size, n=n_train,
                        epochs=f"{epochs:,}", most=f"{MAX_EPOCHS:,}")
    return epochs


def phase_counts(batch_size: int, epochs: int, schedule: str, growth: int, n_train: int
                 ) -> tuple[tuple[int, int], ...]:
    """(batch size, epochs at it) of each phase, in order, in O(1): constant, or ×growth from the first epoch
    at 50 % and again at 75 % of the epochs (epoch e, 0-based, is in phase (e/E ≥ 0.5) + (e/E ≥ 0.75)),
    never above the training set. Phases with no epoch are left out."""
    if schedule == "constant" or epochs <= 0:
        return ((batch_size, epochs),) if epochs > 0 else ()
    half, three_q = math.ceil(epochs * 0.5), math.ceil(epochs * 0.75)   # first e with e/E ≥ 0.5, ≥ 0.75
    spans = (half, three_q - half, epochs - three_q)
    return tuple((min(n_train, batch_size * growth ** k), n) for k, n in enumerate(spans) if n > 0)


def phase_batch_sizes(batch_size: int, epochs: int, schedule: str, growth: int, n_train: int) -> tuple[int, ...]:
    """The batch size of each epoch 1..epochs (phase_counts, one entry per epoch)."""
    return tuple(b for b, n in phase_counts(batch_size, epochs, schedule, growth, n_train) for _ in range(n))


@dataclass(frozen=True)
class Plan:
    """How one run spends its budget: batch size and updates per epoch, the step cap, the lr schedule's span.

    The lr schedule (optim.lr_factor) counts steps of the first batch size: with a constant batch size
    that is the global step, exactly as before; with a growing batch a step of epoch e at position j counts
    (e−1)·spe₀ + j·spe₀/spe_e, so the lr schedule stays tied to epochs (its 50 % is the batch's 50 %)."""

    batch_sizes: tuple[int, ...]   # per epoch 1..epochs
    spe: tuple[int, ...]           # updates of a whole epoch at that batch size
    cap: int | None                # exact updates of a step/examples budget
    warmup_epochs: int

    @property
    def epochs(self) -> int:
        return len(self.batch_sizes)

    @property
    def total_steps(self) -> int:
        """The span of the lr schedule: the step cap, else the epochs in first-batch-size steps."""
        return self.cap if self.cap is not None else self.spe[0] * self.epochs

    @property
    def warmup_steps(self) -> int:
        return self.spe[0] * self.warmup_epochs

    @property
    def growing(self) -> bool:
        return len(set(self.batch_sizes)) > 1

    def steps_in(self, epoch: int, done: int) -> int:
        """Updates epoch ``epoch`` (1-based) takes after ``done`` so far: all of it, or up to the cap."""
        full = self.spe[min(epoch, self.epochs) - 1]
        return full if self.cap is None else max(0, min(full, self.cap - done))

    def lr_step(self, epoch: int, j: int, step: int) -> float:
        """The lr schedule's position of update j of epoch ``epoch`` (global update ``step``)."""
        if not self.growing:
            return step
        return (epoch - 1) * self.spe[0] + j * self.spe[0] / self.spe[epoch - 1]

    @property
    def total_updates(self) -> int:
        """Updates the whole budget takes (no early stop)."""
        return sum(self.spe) if self.cap is None else self.cap


def plan_of(run, n_train: int) -> Plan:
    """``run``'s (a RunSpec) plan on a training set of ``n_train`` examples."""
    sizes = phase_batch_sizes(run.batch_size, run.epochs, run.batch_schedule, run.batch_growth, n_train)
    return Plan(batch_sizes=sizes, spe=tuple(steps_per_epoch(n_train, b, run.drop_last) for b in sizes),
                cap=step_cap(run.budget, run.batch_size), warmup_epochs=run.warmup_epochs)


def check_spec(spec) -> None:
    """The budget keys against the rest of a StudySpec: SpecErrors that say what to change."""
    if "target" in spec.budgets and not targeted(spec):
        raise SpecError("budgets", key="spec.target_budget")
    if spec.batch_schedule != "constant":
        counted = [b for b in spec.budgets if parse(b)[0] in STEP_BUDGETS]
        if counted:
            raise SpecError("batch_schedule", key="spec.schedule_counted", schedule=spec.batch_schedule,
                            budget=repr(counted[0]))
    for b in spec.budgets:
        kind, n = parse(b)
        if kind == "epochs" and 0 < spec.warmup_epochs >= n:
            raise SpecError("warmup_epochs", key="spec.warmup_budget", warmup=spec.warmup_epochs, budget=repr(b),
                            n=n)


def resolve(spec, budget: str, batch_size: int, n_train: int) -> dict:
    """The RunSpec fields one grid point's budget sets: ``epochs``, the targets (a fixed budget trains to its
    end, so it has none: no early stop, and a target does not change its run id) and ``budget``."""
    targets = {"target_train_acc": spec.target_train_acc, "target_train_loss": spec.target_train_loss}
    if budget in ("", "target"):
        return {"epochs": spec.epochs, **targets, "budget": budget}
    epochs = check_epochs(budget, batch_size, n_train, spec.drop_last)
    cap = step_cap(budget, batch_size)
    if cap is not None and spec.warmup_epochs and steps_per_epoch(n_train, batch_size, spec.drop_last) \
            * spec.warmup_epochs >= cap:
        raise SpecError("warmup_epochs", key="spec.warmup_takes_budget", warmup=spec.warmup_epochs,
                        b=batch_size, budget=repr(budget))
    return {"epochs": epochs, "target_train_acc": 0.0, "target_train_loss": 0.0, "budget": budget}
