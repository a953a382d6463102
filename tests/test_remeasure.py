"""Curvature's one action: the study's spec with the missing final-weight measures on, at a measuring cost."""
from studies import StudySpec
from studies.office import remeasure


def _spec():
    return StudySpec.from_dict({"name": "s", "dataset": "digits", "batch_sizes": [16, 512], "optimizers": ["sgd"],
                                "seeds": [0], "epochs": 3})


def test_with_switches_turns_on_only_the_named_measures_and_keeps_the_runs():
    spec = _spec()
    more = remeasure.with_switches(spec, ["critical", "spectrum"])
    assert more.measure.critical and more.measure.spectrum and not spec.measure.critical
    assert more.measure.sharpness_eps == spec.measure.sharpness_eps and more.study_id != spec.study_id
    assert [r.run_id for r in more.expand(n_train=1437)] == [r.run_id for r in spec.expand(n_train=1437)]


def test_measuring_costs_less_than_training_and_measuring_and_grows_with_the_measures():
    spec = _spec()
    from studies.spec.estimate import estimate
    more = remeasure.with_switches(spec, ["critical", "spectrum", "rescale_audit"])
    assert 0 < remeasure.measure_seconds(spec) < remeasure.measure_seconds(more) < estimate(more).seconds
