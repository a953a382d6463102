"""Curvature's one action: measure what a study lacks on its stored runs, without retraining.

A measure that needs only the final weights (λ_min, the spectrum, the rescaling audit, λ_max and the trace)
can be added to a finished study: the same spec with those switches on is a new study whose runs are the
stored ones (run ids do not depend on what is measured), so its job loads each run's weights and measures
(runner: a measure-only job). Measures taken during training (λ_max over training, the noise scale over
training) need the runs trained again: they are named, never queued from here. No streamlit.
"""
from __future__ import annotations

from .. import measures
from ..spec.config import StudySpec
from ..spec.estimate import STARTUP_S, estimate

# Curvature's sections by the switch that fills them, in the page's order
FINAL_WEIGHTS = ("hessian", "critical", "spectrum", "rescale_audit")   # measured on the stored weights
DURING_TRAINING = ("hessian_track", "noise_scale")                      # measured while the runs train


def with_switches(spec: StudySpec, names) -> StudySpec:
    """``spec`` with the measure switches ``names`` turned on (everything else as it was)."""
    d = spec.to_dict()
    d["measure"] = {**d.get("measure", {}), **{n: True for n in names}}
    return StudySpec.from_dict(d)


def measure_seconds(spec: StudySpec, slot: str = "cpu") -> float:
    """Rough seconds to measure ``spec``'s runs on stored weights: its estimate less its training's."""
    d = spec.to_dict()
    d["measure"] = {s.name: ([] if s.listed else False) for s in measures.switches()}   # every switch off
    bare = estimate(StudySpec.from_dict(d), slot).seconds
    return max(0.0, estimate(spec, slot).seconds - bare) + STARTUP_S
