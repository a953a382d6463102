"""The rule the best lr follows against B: known answers for η ∝ B, η ∝ √B and a surge, on a grid whose
resolution sets the uncertainty; a best lr at the grid's edge is left out, not fitted."""
import numpy as np
import pandas as pd

from studies.analysis.lr_rule import best_points, fit_rule, study_rules

GRID = 10.0 ** (np.arange(-16, 5) / 4)          # quarter-decade grid, 1e-4 … 10


def _runs(optimum, batches=(16, 32, 64, 128, 256, 512, 1024), opt="sgd", grid=GRID) -> pd.DataFrame:
    rows = []
    for b in batches:
        best = optimum(b)
        for lr in grid:
            steps = 100.0 * (1 + (np.log(lr) - np.log(best)) ** 2)       # fewest steps nearest the optimum
            rows.append(dict(optimizer=opt, shuffle=True, batch_size=b, lr=lr, seed=0, status="done",
                             reached_target=True, steps=steps, train_loss=0.1, target_train_loss=0.1,
                             run_id=f"{b}-{lr}"))
    return pd.DataFrame(rows)


def test_linear_scaling_is_recognised_with_an_interval_around_one():
    (f,) = study_rules(_runs(lambda b: 1e-3 * b))
    assert f["verdict"] == "linear" and f["slope_low"] <= 1 <= f["slope_high"] and f["slope_high"] < 1.5


def test_square_root_scaling_is_recognised():
    (f,) = study_rules(_runs(lambda b: 0.01 * np.sqrt(b)))
    assert f["verdict"] == "sqrt" and f["slope_low"] <= 0.5 <= f["slope_high"]


def test_a_surge_is_recognised():
    (f,) = study_rules(_runs(lambda b: 1e-3 * b if b <= 128 else 1e-3 * 128 * 128 / b))
    assert f["verdict"] == "surge" and f["surge"]


def test_a_coarse_grid_cannot_tell_the_rules_apart_and_says_so():
    coarse = 10.0 ** np.arange(-4, 2)            # a decade per step, three batch sizes
    f = fit_rule(best_points(_runs(lambda b: 1e-3 * b, batches=(16, 64, 256), grid=coarse)))
    assert f["verdict"] == "undecided" and set(f["consistent"]) == {"linear", "sqrt"}


def test_best_lrs_at_the_edge_are_left_out():
    pts = best_points(_runs(lambda b: 1e-3 * b, grid=GRID[:14]))   # top 10^(-0.75): B ≥ 256 at the edge
    assert pts[pts.batch_size >= 256].at_edge.all()
    f = fit_rule(pts)
    assert f["left_out"] == 3 and f["n"] == 4


def test_describe_names_the_exponent_its_interval_and_the_rule():
    from studies.analysis.lr_rule import describe
    (f,) = study_rules(_runs(lambda b: 1e-3 * b))
    line = describe(f)
    assert line.startswith("sgd: best lr ∝ B^") and "linear scaling" in line and "95 % interval" in line


def test_the_rule_curve_draws_the_rule_it_follows_best_with_a_band_around_the_truth():
    from studies.analysis.lr_rule import drawn_rule, rule_curve
    for optimum, rule in ((lambda b: 1e-3 * b, "linear"), (lambda b: 0.01 * np.sqrt(b), "sqrt")):
        pts = best_points(_runs(optimum))
        f = fit_rule(pts)
        c = rule_curve(pts, f)
        assert drawn_rule(f) == rule and set(c.rule) == {rule}
        truth = optimum(c.batch_size.to_numpy())
        assert (c.lr_low <= truth * 1.0001).all() and (truth <= c.lr_high * 1.0001).all()   # the band holds it
        assert np.allclose(np.log(c.lr / truth), 0, atol=np.log(10) / 8)   # within half a quarter-decade step
        assert np.isclose(c.batch_size.min(), 16) and np.isclose(c.batch_size.max(), 1024)
        slope = np.diff(np.log(c.lr)) / np.diff(np.log(c.batch_size))
        assert np.allclose(slope, {"linear": 1.0, "sqrt": 0.5}[rule])    # the rule's own exponent, not the fit's


def test_the_rule_curve_of_a_surge_peaks_inside_and_without_a_fit_is_empty():
    from studies.analysis.lr_rule import rule_curve
    pts = best_points(_runs(lambda b: 1e-3 * b if b <= 128 else 1e-3 * 128 * 128 / b))
    c = rule_curve(pts, fit_rule(pts))
    assert set(c.rule) == {"surge"} and 32 < c.batch_size[c.lr.idxmax()] < 512
    few = best_points(_runs(lambda b: 1e-3 * b, batches=(16, 64)))
    assert rule_curve(few, fit_rule(few)).empty


def test_an_undecided_fit_draws_the_nearer_rule_and_neither_draws_the_fitted_power():
    from studies.analysis.lr_rule import drawn_rule
    assert drawn_rule({"verdict": "undecided", "consistent": ["linear", "sqrt"], "slope": 0.8}) == "linear"
    assert drawn_rule({"verdict": "undecided", "consistent": ["linear", "sqrt"], "slope": 0.6}) == "sqrt"
    flat = best_points(_runs(lambda b: 0.03 * b ** 0.0))           # the same best lr at every B: exponent 0
    f = fit_rule(flat)
    assert f["verdict"] == "neither" and drawn_rule(f) == "power"


def test_a_lone_lr_is_a_bound_here_too():
    lone = _runs(lambda b: 0.01, grid=[0.01])
    assert best_points(lone).at_edge.all()            # the same rule as lr_edges.edge: "single", not a point
