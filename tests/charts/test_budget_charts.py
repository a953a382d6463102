"""Charts of a study held to several budgets: no point or curve mixes budgets, and each says its budget."""
import json

import pandas as pd

from studies.charts import batch_size_chart, curves, run_labels, to_vega_lite
from studies.charts.batch import aggregate_over_seeds


def _study():
    """B = 10 and 100 under epochs:2 and steps:13 (n_train = 100: 10 updates an epoch at B = 10, so the steps
    run's second epoch is cut at 3 updates; at B = 100, 13 epochs of one update)."""
    runs, rows = [], []
    for budget, acc in (("epochs:2", 0.6), ("steps:13", 0.8)):
        for b in (10, 100):
            for s in (0, 1):
                rid = f"{budget}-{b}-{s}"
                runs.append(dict(run_id=rid, optimizer="sgd", batch_size=b, shuffle=True, seed=s, lr=0.1,
                                 budget=budget, samples_per_epoch=100, status="done", train_loss=0.1,
                                 train_acc=acc, test_acc=acc - 0.01 * s, n_train=100))
                per = 100 // b
                done = 0
                for e in range(1, (2 if budget == "epochs:2" else -(-13 // per)) + 1):
                    done = min(done + per, 13) if budget == "steps:13" else done + per
                    rows.append(dict(run_id=rid, epoch=e, steps=done, examples=done * b, test_acc=acc))
    return pd.DataFrame(rows), pd.DataFrame(runs)


def test_points_never_mix_budgets_and_the_shape_names_them():
    _, runs = _study()
    agg = aggregate_over_seeds(runs, "test_acc")
    assert len(agg) == 4 and set(agg.groupby("budget")["mean"].first().round(3)) == {0.595, 0.795}
    spec = json.dumps(to_vega_lite(batch_size_chart(runs, "test_acc")))
    assert '"shape": {"field": "budget"' in spec
    one = json.dumps(to_vega_lite(batch_size_chart(runs[runs.budget == "epochs:2"], "test_acc")))
    assert '"shape": {"field": "budget"' not in one   # one budget: nothing to tell apart


def test_run_labels_name_the_budget_only_when_there_are_several():
    _, runs = _study()
    assert run_labels(runs).run.iloc[0] == "sgd B=10 shuffle seed=0 lr=0.1 epochs:2"
    assert run_labels(runs[runs.budget == "steps:13"]).run.iloc[0] == "sgd B=10 shuffle seed=0 lr=0.1"


def test_curves_are_per_budget_and_count_the_steps_the_runs_took():
    epochs, runs = _study()
    g = curves.curve_bands(epochs, runs, "test_acc").set_index(["budget", "batch_size", "epoch"])
    assert g.loc[("steps:13", 10, 2), "steps"] == 13 and g.loc[("steps:13", 10, 2), "examples"] == 130   # cut short
    assert g.loc[("epochs:2", 10, 2), "steps"] == 20 and g.loc[("steps:13", 100, 13), "steps"] == 13
    assert (g["n"] == 2).all()   # two seeds per point: budgets are not pooled
    spec = json.dumps(to_vega_lite(curves.learning_curve_bands(epochs, runs, "test_acc")), ensure_ascii=False)
    assert "sgd · shuffle · lr 0.1 · steps:13" in spec and "sgd · shuffle · lr 0.1 · epochs:2" in spec
