"""Hardening round 4 (issue 29), one test per hole: what a hostile value in a new field could do to a shared
dashboard. Hole 1: a budget costed before anything is built per epoch."""
import threading
import tracemalloc

import pytest
from hypothesis import given, settings, strategies as st

from studies.spec.budget import MAX_EPOCHS, phase_batch_sizes, phase_counts
from studies.spec.config import SpecError, StudySpec
from studies.spec.estimate import estimate
from studies.office.job_queue import JobQueue
from tests.conftest import NO_MEASURE

N_DIGITS = 1437


def spec(**kw) -> StudySpec:
    d = {"name": "probe", "dataset": "digits", "hidden": [16], "batch_sizes": [1], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 2}
    d.update(kw)
    return StudySpec.from_dict(d)


# ---------------------------------------------------------------- hole 1: the estimate is O(grid)

@pytest.mark.parametrize("budget", ["examples:1000000000000", "examples:100000000000", "steps:100000000"])
def test_a_budget_of_too_many_epochs_is_refused_in_one_line_by_the_estimate_and_the_expansion(budget):
    s = spec(budgets=[budget], batch_sizes=[1, "full"])
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as e:
            estimate(s)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20          # no tuple of epochs was built (10¹² examples at B=1: 7·10⁸ of them)
    text = str(e.value)
    assert text.startswith("budgets:") and "\n" not in text and f"{MAX_EPOCHS:,}" in text
    assert "smaller budget or a larger batch size" in text
    with pytest.raises(SpecError, match="epochs of 1437 examples"):
        s.expand(n_train=N_DIGITS)


def test_the_estimate_of_the_largest_allowed_budget_builds_nothing_per_epoch():
    tracemalloc.start()
    try:
        est = estimate(spec(budgets=[f"epochs:{MAX_EPOCHS}"], batch_sizes=[1, 2, 4]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20 and est.seconds > 0


def test_the_closed_form_costs_a_growing_batch_as_its_phases():
    """8 epochs from B=16, ×4 at 50 % and 75 %: 4 epochs at 16, 2 at 64, 2 at 256."""
    quiet = dict(NO_MEASURE)
    grow = estimate(spec(budgets=["epochs:8"], batch_sizes=[16], batch_schedule="step", batch_growth=4,
                         measure=quiet))
    parts = [estimate(spec(budgets=[f"epochs:{e}"], batch_sizes=[b], measure=quiet)) for b, e in
             [(16, 4), (64, 2), (256, 2)]]
    startup = estimate(spec(budgets=["epochs:1"], batch_sizes=[16], measure=quiet)).seconds - \
        (estimate(spec(budgets=["epochs:2"], batch_sizes=[16], measure=quiet)).seconds
         - estimate(spec(budgets=["epochs:1"], batch_sizes=[16], measure=quiet)).seconds)
    assert grow.seconds == pytest.approx(sum(p.seconds for p in parts) - 2 * startup, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(b=st.integers(1, 5000), epochs=st.integers(0, 400), growth=st.integers(2, 64),
       n=st.integers(1, 100_000), schedule=st.sampled_from(["constant", "step"]))
def test_phase_counts_in_closed_form_equal_the_per_epoch_rule(b, epochs, growth, n, schedule):
    per_epoch = tuple(min(n, b * growth ** (((e / epochs) >= 0.5) + ((e / epochs) >= 0.75)))
                      if schedule == "step" else b for e in range(epochs))
    assert phase_batch_sizes(b, epochs, schedule, growth, n) == per_epoch
    assert sum(k for _, k in phase_counts(b, epochs, schedule, growth, n)) == epochs


def test_submit_estimates_before_it_takes_the_queue_lock(tmp_path, monkeypatch):
    """Launch must not hold the lock that every visitor's submit waits on while it estimates."""
    import studies.office.job_queue as jq
    q = JobQueue(tmp_path)
    seen = []
    real = jq.estimate

    def watching(s, slot="cpu", **kw):
        seen.append(q._depth)          # 0: no lock held by this queue object
        return real(s, slot, **kw)

    monkeypatch.setattr(jq, "estimate", watching)
    job = q.submit(spec(batch_sizes=[32]))
    assert seen == [0] and job["estimate_s"] > 0
    # and another visitor's submit is not blocked meanwhile: the lock is free while the estimate runs
    started, release, other_got_lock = threading.Event(), threading.Event(), threading.Event()

    def slow(s, slot="cpu", **kw):
        started.set()
        release.wait(30)
        return real(s, slot, **kw)

    def other_visitor():
        with JobQueue(tmp_path).locked():
            other_got_lock.set()

    monkeypatch.setattr(jq, "estimate", slow)
    t = threading.Thread(target=lambda: q.submit(spec(batch_sizes=[64])))
    t.start()
    try:
        assert started.wait(30)
        v = threading.Thread(target=other_visitor)
        v.start()
        got = other_got_lock.wait(30)     # released only after this wait: were the lock held, this is False
    finally:
        release.set()
        t.join(30)
    v.join(30)
    assert got and len(JobQueue(tmp_path).jobs()) == 2


@pytest.mark.slow
def test_the_page_refuses_a_budget_of_too_many_epochs_under_its_field_at_once(tmp_path, monkeypatch):
    from tests.test_pages import open_page, text
    at = open_page("pages/1_New_study.py", tmp_path, monkeypatch)
    at.text_input(key="f_batch_sizes").set_value("1").run()
    at.text_input(key="f_budgets").set_value("examples:1000000000000").run()
    assert not at.exception
    assert "more than the 10,000 a run may train" in text(at.error)
    assert "launch" not in [b.key for b in at.button]
