"""interleave.time_interleaved: a burst of other work spread over every configuration, the minimum kept, one
thread timed by its CPU time, more threads only by a margin, contention said (fake trainers and clock)."""
import pytest

from studies.execution import interleave


class Trainer:
    """A configuration whose steps take ``step_s`` (× ``slower`` at a thread count): what warm_up times."""

    def __init__(self, step_s, slower=None):
        self.step_s, self.slower, self.bounds, self.cpu_share = step_s, slower or {}, [(0, 1)] * 100, 1.0

    def epoch(self, max_steps=None):
        return self.step_s * (max_steps or 100)


class Clock:
    """measure(trainer, steps, budget_s): the trainer's step time, × ``burst`` (CPU share ``burst_share``) for
    the calls whose number is in ``busy``; records which trainer each call timed."""

    def __init__(self, busy=(), burst=5.0, burst_share=0.2, threads=None):
        self.calls, self.busy, self.burst, self.burst_share, self.order = 0, set(busy), burst, burst_share, []
        self.threads = threads if threads is not None else (lambda: 1)

    def __call__(self, trainer, steps, budget_s):
        busy = self.calls in self.busy
        self.calls += 1
        self.order.append(trainer)
        t = trainer.step_s * trainer.slower.get(self.threads(), 1.0)
        return (t * self.burst, True, self.burst_share) if busy else (t, True, 1.0)


def test_a_burst_is_spread_over_every_configuration_and_the_minimum_survives_it():
    steps = {16: 4e-4, 64: 5e-4, 256: 9e-4, 1024: 3e-3}
    trainers = {b: Trainer(s) for b, s in steps.items()}
    # a burst as long as three configurations' worth of measurements: timed one configuration after another
    # (9 repeats each) it would cover all of B=16's repeats; interleaved, every configuration keeps clean ones
    clock = Clock(busy=range(9), burst_share=1.0)   # full share: the burst is in the wall time itself
    got = interleave.time_interleaved(trainers, {b: [1] for b in steps}, rounds=9, measure=clock)
    assert {b: g.step_time_s for b, g in got.items()} == pytest.approx(steps)
    assert all(g.repeats == 9 and g.threads == 1 for g in got.values())
    hit = [b for b, g in got.items() if max(g.spread_steps) == pytest.approx(5 * steps[b])]
    assert len(hit) == len(steps)   # the burst touched every configuration, and decided none
    first = clock.order[:len(steps) * 2]   # a rotating start: each round begins with a different configuration
    assert first[0] is not first[len(steps)]


def test_one_thread_is_timed_by_its_cpu_time_and_contention_is_said():
    trainers = {16: Trainer(1e-3)}
    # every repeat with a CPU share of 0.25: 4 ms of wall time per step, 1 ms of it computing
    clock = Clock(busy=range(100), burst=4.0, burst_share=0.25)
    got = interleave.time_interleaved(trainers, {16: [1]}, rounds=5, measure=clock)[16]
    assert got.step_time_s == pytest.approx(1e-3) and got.median_step_s == pytest.approx(1e-3)
    assert got.contended and got.cpu_share == pytest.approx(0.25)
    clean = interleave.time_interleaved(trainers, {16: [1]}, rounds=5, measure=Clock())[16]
    assert not clean.contended and clean.step_time_s == pytest.approx(1e-3)


def test_more_threads_win_only_by_a_margin_over_every_round(monkeypatch):
    now = {"threads": 1}
    monkeypatch.setattr(interleave.torch, "set_num_threads", lambda n: now.update(threads=n))
    clock = Clock(threads=lambda: now["threads"])
    slight = {1024: Trainer(1e-3, slower={2: 0.95})}    # 5 % faster with two threads: not enough
    got = interleave.time_interleaved(slight, {1024: [1, 2]}, rounds=9, measure=clock)[1024]
    assert got.threads == 1 and got.repeats == 9
    assert len(clock.order) == 2 * 9   # both counts timed in every round
    # two threads fast in the first rounds only (another process arrives): one thread wins on the whole
    late = {1024: Trainer(1e-3, slower={2: 0.5})}
    calls = {"n": 0}

    def arriving(trainer, steps, budget_s):
        calls["n"] += 1
        if now["threads"] == 2 and calls["n"] > 6:
            return 30e-3, True, 0.1
        return trainer.step_s * trainer.slower.get(now["threads"], 1.0), True, 1.0
    got = interleave.time_interleaved(late, {1024: [1, 2]}, rounds=9, measure=arriving)[1024]
    assert got.threads == 1 and got.step_time_s == pytest.approx(1e-3)
    clear = {1024: Trainer(1e-3, slower={2: 0.6})}
    got = interleave.time_interleaved(clear, {1024: [1, 2]}, rounds=9, measure=Clock(threads=lambda: now["threads"]))
    assert got[1024].threads == 2 and got[1024].step_time_s == pytest.approx(0.6e-3)
    assert got[1024].by_threads[1] == pytest.approx(1e-3)
