"""Hardening round 4 (issue 29), hole 2: the estimate covers every measure and option, each part within its stated
factor (3×) of a real run. Real costs are thread CPU seconds of one run trained and measured on one thread in this
process (the estimators' own timers read ``time.thread_time`` here), so a busy machine does not change them the
way it changes wall time; the factor is the estimate's own "rough: ±3×"."""
import time
import types

import pytest

from studies import measures
from studies.spec.config import StudySpec
from studies.spec.estimate import estimate, probe_count
from tests.conftest import NO_MEASURE

pytestmark = pytest.mark.slow   # trains and measures real runs (a few CPU seconds in all)

FACTOR = 3.0


def spec(measure=None, **kw) -> StudySpec:
    d = {"name": "cost", "dataset": "digits", "hidden": [256, 256], "batch_sizes": [64], "optimizers": ["sgd"],
         "shuffle": [True], "seeds": [0], "epochs": 3, "measure": {**NO_MEASURE, **(measure or {})}}
    d.update(kw)
    return StudySpec.from_dict(d)


@pytest.fixture
def cpu_clock(monkeypatch, one_thread):
    """The estimators' timers (measure_run, the λ_max probe) read this thread's CPU time."""
    import studies.measures.measure_run as mr
    import studies.measures.track as tr
    clock = types.SimpleNamespace(perf_counter=time.thread_time)
    monkeypatch.setattr(mr, "time", clock)
    monkeypatch.setattr(tr, "time", clock)


def real_run(s: StudySpec):
    """(thread CPU seconds, outcome) of the study's one run, trained and measured on one thread."""
    from studies.execution.worker import execute_run
    run = s.expand(n_train=1437)[0]
    t = time.thread_time()
    out = execute_run(run, s.measure, threads=1, measure_threads=1)
    assert out.row and not out.row.get("error"), out.row
    return time.thread_time() - t, out


def within(est: float, real: float) -> bool:
    return est / FACTOR <= real <= est * FACTOR


def part(s: StudySpec, *names: str) -> float:
    parts = dict(estimate(s).parts)
    return sum(parts.get(n, 0.0) for n in names)


# (switches, the estimate's parts, where the real cost is read: a timer column, or "run" = the whole run's
# CPU time less the same run unmeasured, for costs paid inside training)
CASES = {
    "sharpness_eps": ({"sharpness_eps": [1e-3]}, ("sharpness_eps",), "sharpness_eps_time_s"),
    "sharpness_adaptive": ({"sharpness_adaptive": True}, ("sharpness_adaptive",), "sharpness_adaptive_time_s"),
    "sharpness_random": ({"sharpness_random": True}, ("sharpness_random",), "sharpness_rand_time_s"),
    "sharpness_sam": ({"sharpness_sam": True}, ("sharpness_sam",), "sharpness_sam_time_s"),
    "hessian": ({"hessian": True}, ("hessian",), "hessian_time_s"),
    "critical": ({"critical": True}, ("hessian", "critical"), "hessian_time_s"),
    "spectrum": ({"spectrum": True, "hessian": True}, ("hessian", "critical", "spectrum"), "measure_time_s"),
    "spectrum_dense": ({"spectrum": True, "hessian": True}, ("hessian", "critical", "spectrum"), "measure_time_s"),
    "noise_scale": ({"noise_scale": True}, ("noise_scale",), "run"),
    "landscape": ({"landscape": True}, ("landscape",), "run"),
    "landscape_2d": ({"landscape_2d": True, "surface_points": 21}, ("landscape_2d",), "surface_time_s"),
    "rescale_audit": ({"rescale_audit": True, "hessian": True}, ("rescale_audit",), "rescale_audit_time_s"),
    "hessian_track": ({"hessian_track": True}, ("hessian_track",), "track"),
    "grad_norm_ratio": ({"grad_norm_ratio": True}, ("grad_norm_ratio",), "measure_time_s"),
}


def test_every_switch_is_priced_and_has_a_real_run_check():
    """A measure added to the registry must be costed and checked here, not silently free."""
    assert {s.name for s in measures.switches()} <= set(CASES)
    on = StudySpec.from_dict({"dataset": "digits", "measure": {s.name: ([1e-3] if s.listed else True)
                                                                for s in measures.switches()}}).measure
    assert set(on.hvp_units()) >= {s.name for s in measures.switches()} - {"spectrum", "hessian_track",
                                                                            "landscape_2d", "rescale_audit"}
    assert probe_count(0) == 1 and probe_count(1) == 2 and probe_count(3) == 3 and probe_count(4) == 3 \
        and probe_count(16) == 4 and probe_count(20) == 5   # 0, 1, 4, 16, the last


@pytest.mark.parametrize("name", list(CASES))
def test_each_measures_estimate_is_within_its_factor_of_a_real_run(name, cpu_clock):
    switches, names, where = CASES[name]
    s = spec(switches, hidden=[32] if name == "spectrum_dense" else [256, 256])   # 2,410 weights: dense
    est = part(s, *names)
    cpu, out = real_run(s)
    if where == "run":
        bare, _ = real_run(spec())
        real = cpu - bare
    elif where == "track":
        real = float(out.epochs["hessian_track_time_s"].sum())
    else:
        real = float(out.measure_row[where])
    assert est > 0 and within(est, real), (name, est, real)


@pytest.mark.parametrize("kw", [
    {"norm": "ghost", "ghost_batch": 2, "batch_sizes": ["full"], "epochs": 20},   # ghost batch norm per chunk
    {"norm": "batch", "batch_sizes": ["full"], "epochs": 20},
    {"batch_schedule": "step", "batch_growth": 4, "batch_sizes": [16], "epochs": 8},   # a growing batch
    {"budgets": ["steps:200"], "batch_sizes": [32]},
])
def test_a_runs_training_estimate_is_within_its_factor_of_the_real_run(kw, cpu_clock):
    s = spec(**kw)
    est = part(s, "training", "evaluation", "ghost_batch")
    real, _ = real_run(s)
    assert within(est, real), (kw, est, real)


def test_the_2d_landscape_is_costed_per_configuration_and_grows_with_its_grid():
    """101 × 101 points cost (101/21)² × 21 × 21; seeds share a configuration's surface (the runner gives it to
    one seed), batch sizes and optimizers do not."""
    one = part(spec({"landscape_2d": True, "surface_points": 21}), "landscape_2d")
    big = part(spec({"landscape_2d": True, "surface_points": 101}), "landscape_2d")
    assert big / one == pytest.approx((101 / 21) ** 2, rel=0.05)
    seeds = part(spec({"landscape_2d": True}, seeds=[0, 1, 2]), "landscape_2d")
    grid = part(spec({"landscape_2d": True}, batch_sizes=[32, 64], optimizers=["sgd", "adam"]), "landscape_2d")
    assert seeds == pytest.approx(one) and grid == pytest.approx(4 * one)
    assert estimate(spec({"landscape_2d": True, "surface_points": 101})).seconds > 10 * estimate(spec()).seconds
