"""timing.best_stack climbs the ladder of stack sizes only while the next size pays (fake races)."""
import pytest
import torch

import studies.timing as timing
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

    def fake_race(entries, budget_s, repeats):
        seen.append(tuple(sorted(entries)))
        return {k: (costs[k], costs[k], 10) for k in entries}

    monkeypatch.setattr(timing, "race", fake_race)
    monkeypatch.setattr(timing, "StackedTrainer", lambda runs, data, device: len(runs))
    run = StudySpec.from_dict({"dataset": "digits", "batch_sizes": [4], "optimizers": ["sgd"],
                               "seeds": [0]}).expand(n_train=1437)[0]
    size, per_run_step = timing.best_stack(run, FakeData(), torch.device("cpu"), members=max(costs))
    assert size == want and seen == raced
    assert per_run_step[1] == 1.0 and all(per_run_step[k] == costs[k] for k in per_run_step)
