"""Pruning of lr sweeps: the rule on hand-made step tables (known answers, and never against best_lr), the
early stall, and a small sweep trained with and without pruning (same best lr, steps and measurements)."""
import random

import pandas as pd
import pytest

from studies import StudySpec, run_study
from studies.analysis.fairness import best_lr
from studies.engine.loop_rules import stall_window, stalled
from studies.engine.sweeps import MISSED, REACHED, RUNNING, Seen, Stopper, ruled_out
from tests.conftest import NO_MEASURE

R, M = (lambda s: Seen(s, REACHED)), (lambda s: Seen(s, MISSED))
go = lambda s: Seen(s, RUNNING)  # noqa: E731


def test_a_tie_never_prunes_one_step_more_does():
    assert ruled_out([go(99)], {0.1: [R(100)]}) is None      # may still reach at 100: a tie, left to the rule
    assert ruled_out([go(100)], {0.1: [R(100)]}) == (0.1, 1, 100)
    assert ruled_out([R(100)], {0.1: [R(50)]}) is None        # ended: nothing to stop


def test_seeds_that_disagree_count_by_their_median():
    w = {0.1: [R(100), R(300)]}                               # median 200
    assert ruled_out([R(150), go(200)], w) is None            # best case median(150, 201) = 175.5
    assert ruled_out([R(150), go(260)], w) == (0.1, 2, 200)   # best case 205.5
    assert ruled_out([R(150), go(260)], {0.1: [R(100), go(300)]}) is None   # the winner has not ended


def test_a_best_lr_whose_seeds_do_not_all_reach_the_target():
    w = {0.1: [R(100), M(500)]}                               # one seed of two reached
    assert ruled_out([go(1000), go(1000)], w) is None         # could still get both seeds there
    assert ruled_out([M(500), go(1000)], w) == (0.1, 1, 100)  # at most one, and later
    assert ruled_out([M(500), go(50)], w) is None
    # more seeds already there than the candidate can still have: beaten whatever the steps
    assert ruled_out([M(500), go(5)], {0.1: [R(900), R(900), go(3)]}) == (0.1, 2, 900)


def _steps_table(rng, lrs, seeds):
    rows = []
    for lr in lrs:
        for seed in range(seeds):
            kind = rng.choice(["reach", "reach", "miss", "stalled"])
            rows.append(dict(optimizer="sgd", batch_size=8, shuffle=True, lr=lr, seed=seed,
                             status="stalled" if kind == "stalled" else "done", reached_target=kind == "reach",
                             steps=rng.choice([10, 20, 30, 40, 50, 60]) if kind == "reach" else 60,
                             train_loss=rng.random()))
    return pd.DataFrame(rows).assign(target_train_acc=0.9, target_train_loss=0.0)


def test_a_pruned_lr_is_never_best_lrs_choice_on_random_step_tables():
    rng, pruned = random.Random(0), 0
    for _ in range(3000):
        lrs, seeds = [0.01, 0.1, 1.0], rng.choice([1, 2, 3])
        df = _steps_table(rng, lrs, seeds)
        chosen = set(df[best_lr(df)].lr)
        seen = {}   # a moment of training: each run somewhere short of its end
        for lr, g in df.groupby("lr"):
            seen[lr] = [(R(s.steps) if s.reached_target else M(s.steps)) if rng.random() < 0.5
                        else go(rng.randrange(0, int(s.steps))) for s in g.itertuples()]
        for lr in lrs:
            beaten = ruled_out(seen[lr], {k: v for k, v in seen.items() if k != lr})
            if beaten is not None:
                pruned += 1
                assert lr not in chosen, (df, seen, lr)
    assert pruned > 300   # the rule does prune


def test_an_early_stall_is_the_end_of_run_rule_over_the_epochs_so_far():
    flat = [{"train_loss": 2.30, "train_acc": 0.10}] + [{"train_loss": 2.31, "train_acc": 0.10, "steps": 90 * e}
                                                        for e in range(1, 30)]
    stop = Stopper(None, chance=0.1)
    ends = [e for e in range(1, 30) if stop(None, flat[:e + 1]) is not None]
    assert ends[0] == 17 and stall_window(17) == 5            # the first epoch with a 5-epoch window
    assert stop(None, flat[:18])[0] == "stalled" and stalled(flat[:18], 0.1)
    learning = [dict(r, train_loss=2.3 - 0.01 * i) for i, r in enumerate(flat)]
    assert all(stop(None, learning[:e + 1]) is None for e in range(1, 30))



def _rules_out(why: str):
    """A board that has ruled every run out, for ``why``."""
    class RulesOut:
        def progress(self, *a):
            pass

        def verdict(self, run_id):
            return why
    return RulesOut


def test_a_run_ruled_out_while_it_sits_at_chance_is_called_stalled_not_pruned():
    """Pruning may end a collapsed run (a too-large lr) before the early-stall window is long enough; the
    reader must still see the collapse."""
    RulesOut = _rules_out("lr 0.3 can no longer win")
    run = type("Run", (), {"run_id": "r"})()
    flat = [{"train_loss": 2.30, "train_acc": 0.10}] + [{"train_loss": 2.31, "train_acc": 0.10, "steps": 90 * e}
                                                        for e in range(1, 5)]
    status, why = Stopper(RulesOut(), chance=0.1)(run, flat)
    assert status == "stalled" and "lr 0.3 can no longer win" in why
    learning = [dict(r, train_loss=2.3 - 0.1 * i, train_acc=0.1 + 0.1 * i) for i, r in enumerate(flat)]
    assert Stopper(RulesOut(), chance=0.1)(run, learning)[0] == "pruned"

def test_a_run_ruled_out_at_chance_after_one_epoch_trains_one_more_to_tell_a_collapse_from_a_slow_start():
    """Ruled out after its first epoch, a run at chance may have collapsed (lr too large: flat from then on) or
    be slow (lr too small: still falling); the first epoch's fall from the initial loss hides which. It trains
    one more epoch; then a flat loss is stalled and a falling one pruned, whatever the board's timing."""
    run = type("Run", (), {"run_id": "r"})()
    start = [{"train_loss": 2.45, "train_acc": 0.10, "steps": 0}, {"train_loss": 2.30, "train_acc": 0.10, "steps": 90}]
    RulesOut = _rules_out("lr can no longer win")
    assert Stopper(RulesOut(), chance=0.1)(run, start) is None
    collapsed = start + [{"train_loss": 2.30, "train_acc": 0.10, "steps": 180}]
    assert Stopper(RulesOut(), chance=0.1)(run, collapsed)[0] == "stalled"
    slow = start + [{"train_loss": 2.10, "train_acc": 0.11, "steps": 180}]
    assert Stopper(RulesOut(), chance=0.1)(run, slow)[0] == "pruned"
    learning = [start[0], dict(start[1], train_acc=0.5)]   # above chance after one epoch: pruned at once
    assert Stopper(RulesOut(), chance=0.1)(run, learning)[0] == "pruned"


SWEEP = {"name": "sweep", "dataset": "digits", "hidden": [32], "batch_sizes": [16, 128], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0, 1], "epochs": 40, "target_train_acc": 0.95,
         "lr": {"sgd": [0.3, 0.03, 30.0]}, "measure": {**NO_MEASURE, "hessian": True}}


def _compare(pruned, full):
    cols = ["batch_size", "lr", "seed", "steps", "epochs", "train_loss", "train_acc", "hessian_top_eig"]
    best = lambda df: df[df.best_lr].sort_values(["batch_size", "seed"])[cols].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(best(pruned), best(full))
    assert (pruned.status == "pruned").sum() >= 3 and (full.status != "pruned").all()
    stopped = pruned[~pruned.reached_target.astype(bool)]
    assert (stopped.status != "done").all() and (pruned[pruned.status == "pruned"].stop_reason != "").all()
    assert pruned.steps.sum() < full.steps.sum() / 2


def test_a_pruned_sweep_keeps_the_best_lr_its_steps_and_measurements(tmp_path, one_thread):
    pruned, _ = run_study(StudySpec.from_dict(SWEEP), tmp_path / "p", executor="serial")
    full, _ = run_study(StudySpec.from_dict({**SWEEP, "prune": False}), tmp_path / "f", executor="serial")
    _compare(pruned, full)
    # the same runs (ids) in both; a pruned run stored is trained again for a study that does not prune
    assert set(pruned.run_id) == set(full.run_id)
    shared = tmp_path / "p"
    events = []
    again, _ = run_study(StudySpec.from_dict({**SWEEP, "prune": False, "name": "again"}), shared,
                         progress=events.append, executor="serial")
    retrained = {e["run_id"] for e in events if e["event"] == "run_start"}
    assert retrained == set(pruned[pruned.stop_reason != ""].run_id)
    assert (again.status != "pruned").all()
    events.clear()   # and a study that prunes finds its pruned runs still ruled out: nothing to train
    run_study(StudySpec.from_dict({**SWEEP, "name": "pruned-again"}), tmp_path / "p2", executor="serial")
    run_study(StudySpec.from_dict({**SWEEP, "name": "pruned-again"}), tmp_path / "p2", progress=events.append,
              executor="serial")
    assert not any(e["event"] == "run_start" for e in events)


@pytest.mark.slow
def test_a_pruned_sweep_in_the_pool_matches_the_unpruned_one(tmp_path, monkeypatch):
    import studies.execution.pool as pool
    monkeypatch.setattr(pool, "POOL_MIN_WORK_S", 0.0)
    pruned, _ = run_study(StudySpec.from_dict(SWEEP), tmp_path / "p", workers=2)
    full, _ = run_study(StudySpec.from_dict({**SWEEP, "prune": False}), tmp_path / "f", workers=2)
    _compare(pruned, full)


def test_prune_is_on_by_default_and_changes_no_run_or_study_id():
    spec = StudySpec.from_dict({k: v for k, v in SWEEP.items()})
    off = StudySpec.from_dict({**SWEEP, "prune": False})
    assert spec.prune and not off.prune and "prune" not in spec.to_dict()
    assert StudySpec.from_dict(off.to_dict()) == off and StudySpec.from_dict(spec.to_dict()) == spec
    assert [r.run_id for r in spec.expand(n_train=1437)] == [r.run_id for r in off.expand(n_train=1437)]
    assert spec.study_id != off.study_id


class PruneAt:
    """A stop that prunes one run at one epoch."""

    def __init__(self, run_id, epoch):
        self.run_id, self.epoch, self.ends = run_id, epoch, []

    def __call__(self, run, rows):
        return ("pruned", "test") if run.run_id == self.run_id and len(rows) - 1 == self.epoch else None

    def ended(self, run, steps, reached):
        self.ends.append((run.run_id, steps, reached))


def test_a_member_pruned_mid_training_leaves_the_others_bit_for_bit(one_thread):
    import torch
    from studies.engine.data import load_dataset
    from studies.engine.stacked import train_stacked
    data = load_dataset("digits")
    spec = StudySpec.from_dict({**SWEEP, "batch_sizes": [512], "seeds": [0], "epochs": 4, "target_train_acc": 0.0,
                                "lr": {"sgd": [0.3, 0.1, 0.03]}})
    a, b, c = spec.expand(n_train=data.n_train)   # three lrs: one stack of three (K·B·classes above 8192)
    stop = PruneAt(b.run_id, 2)
    stacked = train_stacked([a, b, c], data, torch.device("cpu"), stop=stop)
    assert stacked[1].status == "pruned" and stacked[1].stop_reason == "test" and len(stacked[1].epoch_rows) == 3
    assert [e[0] for e in stop.ends] == [b.run_id, a.run_id, c.run_id]
    for k, run in ((0, a), (2, c)):
        alone = train_stacked([run], data, torch.device("cpu"))[0]
        assert all(torch.equal(stacked[k].state[n], alone.state[n]) for n in alone.state)
        assert [r["train_loss"] for r in stacked[k].epoch_rows] == [r["train_loss"] for r in alone.epoch_rows]
