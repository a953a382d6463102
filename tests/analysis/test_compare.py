"""Compare's warning: studies that differ in data set, model or stopping rule are named with their values."""
import pandas as pd

from studies.analysis import compare
from studies.analysis.compare import setup_differences, stopping_rule


def runs(dataset="digits", model="mlp", hidden="32", budget=30, acc=0.0, loss=0.0, n=2):
    return pd.DataFrame({"dataset": [dataset] * n, "model": [model] * n, "hidden": [hidden] * n,
                         "epoch_budget": [budget] * n, "epochs": [budget] * n, "target_train_acc": [acc] * n,
                         "target_train_loss": [loss] * n, "batch_size": [8, 512][:n]})


def test_the_reported_pair_differs_in_data_set_and_stopping_rule():
    quick = runs("mnist1d", budget=10)
    digits = runs("digits", budget=30, acc=0.99)
    diffs = dict(setup_differences({"quick": quick, "bs-digits": digits}))
    assert set(diffs) == {"dataset", "stopping"}
    assert diffs["dataset"] == {"quick": "mnist1d", "bs-digits": "digits"}
    assert diffs["stopping"] == {"quick": "10 epochs", "bs-digits": "train acc ≥ 0.99 within 30 epochs"}


def test_same_setup_gives_no_warning_and_batch_sizes_do_not_count():
    assert setup_differences({"a": runs(n=2), "b": runs(n=1)}) == []
    assert setup_differences({"a": runs()}) == []                          # one study: nothing to compare
    assert setup_differences({"a": runs(), "b": runs().iloc[:0]}) == []   # no runs yet


def test_model_differences_include_the_widths():
    diffs = dict(setup_differences({"a": runs(hidden="32"), "b": runs(hidden="256-256")}))
    assert set(diffs) == {"model"} and diffs["model"]["b"] == "mlp [256-256]"


def test_stopping_rule_text():
    row = runs(budget=50, acc=0.0, loss=0.05).iloc[0]
    assert stopping_rule(row) == "train loss ≤ 0.05 within 50 epochs"


def test_a_link_names_studies_by_full_id_or_unique_prefix():
    ids = ["40326e39aa", "8d4a8aa3bb", "8d4a0000cc"]
    assert compare.resolve_ids(["40326e39", "8d4a8aa3"], ids) == ["40326e39aa", "8d4a8aa3bb"]
    assert compare.resolve_ids(["8d4a", "", "nope", "40326e39aa", "40326e39"], ids) == ["40326e39aa"]   # ambiguous, empty, unknown, twice
