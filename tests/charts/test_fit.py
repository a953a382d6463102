"""The fair-comparison charts: hollow points for runs that missed the fit, stalled runs marked, the lr × batch
size map with the best lr traced, and steps to target with the stored S(B) fit."""
import json

import pandas as pd

from studies import charts
from studies.charts import fit as charts_fit
from studies.analysis.fairness import with_best_lr
from studies.analysis.scaling import fit_study


def _sweep():
    rows = []
    for b, best, steps in ((16, 0.03, 850), (128, 0.1, 150), (512, 0.3, 63)):
        for lr in (0.003, 0.03, 0.1, 0.3):
            for seed in (0, 1):
                stalled = lr == 0.3 and b == 16
                reached = not stalled and (lr == best or (lr == 0.03 and b == 128))
                rows.append(dict(run_id=f"{b}-{lr}-{seed}", optimizer="momentum", shuffle=True, batch_size=b,
                                 lr=lr, seed=seed, status="stalled" if stalled else "done",
                                 reached_target=reached, steps=steps * (1 if lr == best else 3) if reached else 9000,
                                 epochs=10, train_loss=0.001 if reached else 0.5, test_acc=0.9 - b / 5000,
                                 gap_acc=0.05 + b / 5000, target_train_acc=1.0, target_train_loss=0.0,
                                 noise_scale=100.0))
    return with_best_lr(pd.DataFrame(rows))


def _data(spec):
    return [v for v in spec["datasets"].values()]


def test_points_that_missed_the_fit_are_hollow_and_stalled_runs_are_marked():
    runs = _sweep()
    agg = charts.aggregate_over_seeds(runs, "test_acc")
    assert "lr" in agg and set(agg.missed[agg.lr == 0.003]) == {2}          # every lr: one point per lr
    assert agg.loc[(agg.lr == 0.03) & (agg.batch_size == 16), "reached"].item() == "2 of 2"
    spec = charts.to_vega_lite(charts.batch_size_chart(runs, "gap_acc"))
    hollow = [s for s in spec["layer"] if s.get("mark", {}).get("filled") is False]
    assert hollow and all(r["why"] for r in spec["datasets"][hollow[0]["data"]["name"]])
    crosses = [d for d in _data(spec) if d and d[0].get("status") == "stalled"]
    assert crosses and len(crosses[0]) == 2                                  # the two stalled seeds
    best = charts.aggregate_over_seeds(runs[runs.best_lr], "gap_acc")
    assert "lr" not in best and (best.missed == 0).all() and len(best) == 3


def test_lr_heatmap_traces_the_best_lr_and_marks_missing_cells():
    runs = _sweep()
    grid = charts_fit.lr_grid(runs, "steps")
    assert grid[grid.best].sort_values("batch_size").lr.tolist() == [0.03, 0.1, 0.3]
    assert grid.loc[(grid.batch_size == 16) & (grid.lr == 0.3), "note"].item() == "stalled/diverged"
    assert grid.loc[(grid.batch_size == 16) & (grid.lr == 0.003), "note"].item() == "missed target"
    for value in ("steps", "test_acc"):
        assert json.dumps(charts.to_vega_lite(charts_fit.lr_heatmap(runs, value)))


def test_the_lr_map_draws_the_best_lr_rule_with_its_band_on_log_axes_in_both_languages():
    import numpy as np
    from studies.i18n import language
    from tests.analysis.test_lr_rule import _runs
    runs = with_best_lr(_runs(lambda b: 1e-3 * b, grid=10.0 ** (np.arange(-16, 3) / 4)))
    spec = charts.to_vega_lite(charts_fit.lr_heatmap(runs, "steps"))
    layers = spec["layer"]
    marks = [(lyr["mark"]["type"] if isinstance(lyr["mark"], dict) else lyr["mark"]) for lyr in layers]
    assert "area" in marks                                           # the rule's 95 % band
    dashed = [lyr for lyr in layers if isinstance(lyr["mark"], dict) and lyr["mark"].get("strokeDash")]
    assert len(dashed) == 1 and dashed[0]["mark"]["color"] == charts_fit.RULE_COLOR
    curve = spec["datasets"][dashed[0]["data"]["name"]]
    assert {r["rule"] for r in curve} == {"linear"}
    lr = np.array([r["lr"] for r in curve]) / np.array([r["batch_size"] for r in curve])
    assert np.allclose(lr, lr[0]) and 5e-4 < lr[0] < 2e-3              # η ∝ B through the planted 1e-3·B
    assert spec["title"]["subtitle"] == ["the rule the best lr follows best: η* ∝ B (linear); band: its 95 % interval"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"  # cells on a log lr axis, the line with them
    with language("zh"):
        zh = charts.to_vega_lite(charts_fit.lr_heatmap(runs, "steps"))
    assert zh["title"]["subtitle"] == ["最佳学习率最符合的规则：η* ∝ B（线性）；阴影：其 95 % 区间"]
    # the key is a line of its own, not a tail cut off at the map's width (280 px at four batch sizes)
    assert spec["title"]["text"] == ["sgd: steps over learning rate × batch size",
                                     "red: best lr; orange dashes: its rule"]
    assert zh["title"]["text"][1] == "红线：最佳学习率；橙色虚线：其规则"
    few = charts.to_vega_lite(charts_fit.lr_heatmap(_sweep(), "steps"))   # 3 batch sizes, one at the edge: no rule
    assert not few["title"].get("subtitle") and "area" not in json.dumps([lyr["mark"] for lyr in few["layer"]])


def test_steps_fit_chart_draws_the_stored_fit_and_regimes():
    edge = _sweep()   # B=512's best lr 0.3 is the largest tried: B_crit is only a bound, no rule, no regimes
    [f] = fit_study(edge)
    assert f["kind"] == "bound" and f["edges"] == {"high": [512]}
    text = json.dumps(charts.to_vega_lite(charts_fit.steps_fit_chart(edge, [f])))
    assert "perfect scaling" not in text and "momentum: B_crit" not in text
    diverged = pd.DataFrame([dict(run_id=f"512-1.0-{seed}", optimizer="momentum", shuffle=True, batch_size=512,
                                  lr=1.0, seed=seed, status="diverged", reached_target=False, steps=3, epochs=1,
                                  train_loss=9.0, target_train_acc=1.0, target_train_loss=0.0) for seed in (0, 1)])
    runs = with_best_lr(pd.concat([edge.drop(columns=["best_lr", "lr_at_edge"]), diverged], ignore_index=True))
    fits = fit_study(runs)
    assert fits[0]["kind"] == "b_crit"
    spec = charts.to_vega_lite(charts_fit.steps_fit_chart(runs, fits, b_simple=(100.0, 80.0, 120.0)))
    text = json.dumps(spec)
    assert "perfect scaling" in text and "momentum: B_crit" in text and "the study's B_simple" in text
    pts = [d for d in _data(spec) if d and "seed" in d[0]][0]
    assert len(pts) == 6 and {p["lr"] for p in pts} == {0.03, 0.1, 0.3}     # best-lr runs that reached
    assert json.dumps(charts.to_vega_lite(charts_fit.steps_fit_chart(runs.iloc[:0], [])))


def test_pruned_cells_show_their_steps_as_censored():
    from studies.charts.fit import lr_grid
    runs = pd.DataFrame({"optimizer": "sgd", "batch_size": [8, 8, 8, 8], "lr": [0.01, 0.1, 1.0, 1.0],
                         "seed": [0, 0, 0, 1], "status": ["done", "pruned", "pruned", "pruned"],
                         "reached_target": [True, False, False, False], "steps": [6000, 6000, 6500, 6000],
                         "best_lr": [True, False, False, False]})
    g = lr_grid(runs, "steps").set_index("lr")
    assert g.loc[0.01, "value"] == 6000 and g.loc[0.01, "note"] == ""
    assert g.loc[0.1, "note"] == "> 6000" and g.loc[1.0, "note"] == "> 6000"   # the fewest steps of the cell
