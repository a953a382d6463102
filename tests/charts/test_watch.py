"""λ_max over training with the optimizer's stability threshold, the 2-D surfaces on one colour scale, and the
audit view's plain sentence about which measures are invariant: known inputs, the lines and words they give."""
import numpy as np
import pandas as pd
import pytest

from studies.analysis.audit import audit_table, audit_view, invariance
from studies.charts import curvature as cc
from studies.charts import surface_chart, surface_pair
from studies.i18n import language


def _runs():
    return pd.DataFrame({"run_id": ["a", "b", "c"], "batch_size": [32, 1437, 32], "optimizer": ["sgd", "sgd", "adam"],
                         "lr": [0.1, 0.1, 0.001], "seed": [0, 0, 0], "status": "done", "samples_per_epoch": 1437})


def _epochs():
    rows = []
    for rid in ("a", "b", "c"):
        for e, lam in ((0, 1.0), (1, 4.0), (4, 12.0), (16, 19.0)):
            rows.append({"run_id": rid, "epoch": e, "steps": e * 45, "hessian_top_eig": lam, "hessian_top_eig_err": 0.1})
        rows.append({"run_id": rid, "epoch": 2, "steps": 90, "hessian_top_eig": np.nan})
    return pd.DataFrame(rows)


def _layers(spec):
    for key in ("layer", "hconcat"):
        for sub in spec.get(key, []):
            yield from _layers(sub)
    yield spec


def test_lambda_max_over_training_draws_sgds_threshold_and_no_line_for_adam():
    spec = cc.sharpness_over_training_chart(_epochs(), _runs(), x="examples").to_dict()
    rules = [v for name, v in spec["datasets"].items() if v and "threshold" in v[0]]
    assert len(rules) == 1 and [r["threshold"] for r in rules[0]] == [pytest.approx(20.0)]
    assert rules[0][0]["formula"] == "2/η"
    points = [v for v in spec["datasets"].values() if v and "hessian_top_eig" in v[0]][0]
    assert len(points) == 12 and {p["examples"] for p in points} == {0, 1437, 4 * 1437, 16 * 1437}
    text = cc.threshold_caption(_runs())
    assert "sgd at η = 0\\.1: 2/η = 20." in text and "adam: no line" in text
    lines, none = cc.stability_lines(_runs(), {"momentum": 0.5})
    assert none == ["adam"] and list(lines["optimizer"]) == ["sgd"]
    with pytest.raises(ValueError, match="x must be one of"):
        cc.sharpness_over_training_chart(_epochs(), _runs(), x="time")


def test_momentum_threshold_uses_the_studys_beta():
    runs = _runs().assign(optimizer="momentum", lr=0.05)
    lines, _ = cc.stability_lines(runs, {"momentum": 0.5})
    assert lines["threshold"].tolist() == [pytest.approx(3.0 / 0.05)]
    assert cc.stability_lines(runs)[0]["threshold"].tolist() == [pytest.approx(3.8 / 0.05)]


def test_surfaces_side_by_side_on_one_colour_scale():
    grid = np.linspace(-1, 1, 3)
    land = pd.DataFrame([{"run_id": r, "kind": "surface", "alpha": a, "beta": b,
                          "train_loss": (0.01 if r == "a" else 0.1) * (1 + a * a + b * b)}
                         for r in ("a", "b", "c") for a in grid for b in grid])
    pair = surface_pair(_runs(), land, "sgd", 0)
    assert list(pair["run_id"]) == ["a", "b"]
    spec = surface_chart(land, pair).to_dict()
    assert spec["resolve"]["scale"]["color"] == "shared" and len(spec["hconcat"]) == 2
    colours = [s["encoding"]["color"] for s in _layers(spec) if "color" in s.get("encoding", {})]
    assert len(colours) == 2 and all(c["scale"]["type"] == "log" for c in colours)
    assert all(c["scale"]["domain"] == [pytest.approx(0.01), pytest.approx(0.3)] for c in colours)
    assert "B = 32" in str(spec) and "B = 1,437" in str(spec)
    assert surface_pair(_runs(), land.iloc[:0], "sgd", 0).empty


def test_the_audit_view_names_invariant_measures_plainly_in_both_languages():
    land = pd.DataFrame([{"run_id": r, "kind": "audit", "measure": m, "original": 1.0, "rescaled": ratio,
                          "ratio": ratio, "logits_max_diff": 2e-6, "rescale_alpha": 10.0}
                         for r in ("a", "b") for m, ratio in (("sharpness_adaptive", 1.0001),
                                                              ("hessian_top_eig", 48.0))]
                        + [{"run_id": "a", "kind": "random", "alpha": 0.0, "train_loss": 0.1}])
    audit = audit_table(land)
    assert list(audit.columns)[:6] == ["run_id", "measure", "original", "rescaled", "ratio", "logits_max_diff"]
    assert len(audit) == 4 and invariance(audit) == {"sharpness_adaptive": True, "hessian_top_eig": False}
    view = audit_view(land, _runs(), pd.Series(["A", "B", "C"]))
    assert list(view.table["invariant"]) == ["yes", "no", "yes", "no"] and list(view.table["run"][:1]) == ["A"]
    assert "adaptive sharpness" in view.verdicts[0] and "λ\\_max" in view.verdicts[1] and "10" in view.explain
    with language("zh"):
        zh = audit_view(land, _runs(), pd.Series(["A", "B", "C"]))
    assert "不变" in zh.verdicts[0] and "是" in set(zh.table.iloc[:, -1])
    assert audit_view(land.iloc[-1:], _runs(), pd.Series(["A", "B", "C"])).table.empty
