"""timing.best_stack climbs the ladder of stack sizes only while the next size pays (fake races)."""
import pytest
import torch

import studies.execution.timing as timing
from studies import StudySpec


class FakeData:
    def to(self, device):
        return self


@pytest.mark.parametrize("costs, want, raced", [
    ({1: 1.0, 2: 0.7, 4: 0.5, 8: 0.52, 16: 0.3}, 4, [(1, 2), (2, 4), (4, 8)]),   # 8 does not pay: 16 never raced
    ({1: 1.0, 2: 1.02, 4: 0.2}, 1, [(1, 2)]),                                    # no gain from 2: one race only
    ({1: 1.0, 2: 0.9, 4: 0.8, 8: 0.7}, 8, [(1, 2), (2, 4), (4, 8)]),             # every step pays: the top
])
def test_best_stack_climbs_while_the_next_size_pays(monkeypatch, costs, want, raced):
    seen = []

    def fake_race(entries, budget_s, repeats, samples=None):
        seen.append(tuple(sorted(entries)))
        return {k: (costs[k], costs[k], 10) for k in entries}

    monkeypatch.setattr(timing, "race", fake_race)
    monkeypatch.setattr(timing, "StackedTrainer", lambda runs, data, device: len(runs))
    run = StudySpec.from_dict({"dataset": "digits", "batch_sizes": [4], "optimizers": ["sgd"],
                               "seeds": [0]}).expand(n_train=1437)[0]
    size, per_run_step = timing.best_stack(run, FakeData(), torch.device("cpu"), members=max(costs))
    assert size == want and seen == raced
    assert per_run_step[1] == 1.0 and all(per_run_step[k] == costs[k] for k in per_run_step)


def test_spread_is_the_interquartile_range():
    from studies.engine.loop_rules import spread
    assert spread([1.0, 2.0, 3.0, 4.0, 5.0]) == 2.0 and spread([3.0]) == 0.0 and spread([]) != spread([])


def test_a_stopwatch_sees_time_its_thread_did_not_compute():
    import time
    from studies.engine.device import Stopwatch
    with Stopwatch(torch.device("cpu")) as clock:
        time.sleep(0.2)   # like a thread waiting for a core another process holds
    assert clock.seconds >= 0.2 and clock.cpu_share < 0.25


class FakeTrainer:
    """Whole-epoch measurements of 10 steps: epoch times cycle through ``times``, CPU share fixed."""

    def __init__(self, times, share):
        self.bounds, self.times, self.cpu_share, self.calls = [(0, 1)] * 10, times, share, 0

    def epoch(self, max_steps=None):
        self.calls += 1
        return self.times[self.calls % len(self.times)] * (max_steps or 10) / 10


def test_the_timing_pass_reports_its_repeats_spread_and_contention(monkeypatch):
    timing._cache.clear()
    monkeypatch.setattr(timing, "trainer_for", lambda run, data, device: FakeTrainer([0.1, 0.2, 0.3], 0.5))
    run = StudySpec.from_dict({"dataset": "digits", "batch_sizes": [64], "optimizers": ["sgd"],
                               "seeds": [0]}).expand(n_train=1437)[0]
    got = timing.timing_pass(run, FakeData(), torch.device("cpu"), threads=[1], budget_s=1.0, repeats=5)
    assert got.repeats == 5 and got.cpu_share == pytest.approx(0.5) and got.contended   # no repeat had its core
    assert got.spread_s >= 0 and 0 < got.epoch_time_s <= got.median_epoch_s   # the minimum, the median beside
    timing._cache.clear()


def test_an_epoch_time_leaves_out_the_epochs_another_process_held_the_core():
    from studies.engine.loop_rules import epoch_time_spread, median_epoch_time
    row = lambda t, share: {"epoch_time_s": t, "cpu_share": share}  # noqa: E731
    rows = [row(float("nan"), float("nan")), row(9.0, 1.0), row(5.0, 0.3), row(1.0, 1.0), row(2.0, 0.95)]
    assert median_epoch_time(rows) == (1.5, 2)          # epoch 1 is warm-up, epoch 2 was held by another process
    assert epoch_time_spread(rows) == (0.5, 0.975, False)
    busy = [row(float("nan"), float("nan"))] + [row(t, 0.4) for t in (9.0, 3.0, 4.0, 5.0)]
    assert median_epoch_time(busy) == (4.0, 3) and epoch_time_spread(busy)[2] is True   # all held: all, said
    plain = [row(float("nan"), float("nan"))] + [{"epoch_time_s": t} for t in (9.0, 3.0, 4.0)]   # no shares (GPU)
    assert median_epoch_time(plain) == (3.5, 2) and epoch_time_spread(plain)[2] is False
