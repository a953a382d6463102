"""The run table and the parallel-coordinates view: every run, the fit flag, the filters, log axes that span decades."""
import pandas as pd
import pytest

from studies import i18n
from studies.analysis import runtable
from studies.charts import runs as charts_runs


def _runs():
    return pd.DataFrame([dict(run_id=f"{o}{b}-{s}", optimizer=o, batch_size=b, lr=lr, shuffle=True, seed=s,
                              status="stalled" if b == 512 and s == 1 else "done", reached_target=b != 512,
                              target_train_acc=0.99, target_train_loss=0.0, train_loss=0.1, test_acc=0.9 - b / 5000,
                              gap_acc=b / 10000, sharpness_eps=b / 100, epochs=5, steps=100)
                         for o, lr in (("sgd", 0.1), ("adam", 0.001)) for b in (8, 64, 512) for s in (0, 1)])


def test_the_table_has_every_run_with_its_fit_and_the_filters_keep_what_they_say():
    table = runtable.run_table(_runs())
    assert len(table) == 12 and list(table.columns[:5]) == runtable.GRID and table.columns[-1] == "run_id"
    assert "sharpness_eps" in table and table.at_fit.sum() == 8                  # B=512 missed the target
    assert len(runtable.filter_runs(table, ["adam"], None, False)) == 6
    assert len(runtable.filter_runs(table, None, ["stalled"], False)) == 2
    assert len(runtable.filter_runs(table, ["sgd"], None, True)) == 4


def test_axes_spanning_a_decade_are_logarithmic_and_categories_evenly_spaced():
    pos, ticks, log = charts_runs._axis(pd.Series([8.0, 64.0, 512.0]))
    assert log and list(pos.round(12)) == [0.0, 0.5, 1.0] and (0.5, "64") in ticks         # 64 = the geometric middle
    pos, _, log = charts_runs._axis(pd.Series([0.8, 0.85, 0.9]))
    assert not log and abs(pos[1] - 0.5) < 1e-12
    pos, ticks, _ = charts_runs._axis(pd.Series(["sgd", "adam", "sgd"], dtype=object))
    assert list(pos) == [0.75, 0.25, 0.75] and [s for _, s in ticks] == ["adam", "sgd"]


def test_the_chart_draws_one_line_per_run_and_picks_out_the_selected():
    table = runtable.run_table(_runs())
    spec = charts_runs.parallel_coordinates(table, ["test_acc", "gap_acc", "sharpness_eps"],
                                            selected=("sgd8-0",)).to_dict()
    lines = next(d for d in spec["datasets"].values() if d and "run_id" in d[0])
    assert len({r["run_id"] for r in lines}) == 12 and {r["picked"] for r in lines if r["run_id"] == "sgd8-0"} == {True}
    assert sum(r["picked"] for r in lines) == 7                              # one run × 7 axes
    with i18n.language("zh"):
        assert "每轮洗牌" in str(charts_runs.parallel_coordinates(table, ["test_acc"]).to_dict())


def test_a_filter_on_any_column_keeps_exactly_the_rows_it_names():
    table = runtable.run_table(_runs())
    keep = runtable.filter_table(table, "batch_size >= 64; optimizer = sgd")
    assert sorted(keep.run_id) == ["sgd512-0", "sgd512-1", "sgd64-0", "sgd64-1"]
    assert sorted(runtable.filter_table(table, "seed = 1 and status != stalled").run_id) == [
        "adam64-1", "adam8-1", "sgd64-1", "sgd8-1"]                              # seed is a number, not a yes/no
    assert len(runtable.filter_table(table, "optimizer = SGD, adam")) == 12      # a list, either case
    assert set(runtable.filter_table(table, "at_fit = false").batch_size) == {512}
    assert list(runtable.filter_table(table, "test_acc > 0.895").run_id) == ["adam8-0", "adam8-1", "sgd8-0", "sgd8-1"]
    assert len(runtable.filter_table(table, "run_id ~ 512")) == 4                 # contains
    assert len(runtable.filter_table(table, "  ")) == 12                          # no filter: every row
    assert len(runtable.filter_table(table, "batch size < 64", {"batch_size": "batch size"})) == 4   # by its header
    with i18n.language("zh"):
        assert len(runtable.filter_table(table, "批大小 = 8", {"batch_size": "批大小"})) == 4
    shown = {"status": {"done": "已完成", "stalled": "停滞"}.get}
    assert len(runtable.filter_table(table, "status = 已完成", shown=shown)) == len(table[table.status == "done"])
    assert len(runtable.filter_table(table, "status = done", shown=shown)) == len(table[table.status == "done"])
    assert len(runtable.filter_table(table, "status ~ 停", shown=shown)) == len(table[table.status == "stalled"]) > 0


@pytest.mark.parametrize("text,says", [("batch_size 64", "comparison"), ("bogus > 1", "use one of"),
                                       ("batch_size >= ", "no value"), ("batch_size > many", "number"),
                                       ("optimizer > sgd", "=, != or ~"), ("at_fit = maybe", "= true or = false")])
def test_a_filter_that_cannot_be_read_says_what_to_change_in_one_line(text, says):
    with pytest.raises(runtable.FilterError) as e:
        runtable.filter_table(runtable.run_table(_runs()), text)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_picked_columns_keep_the_run_id_and_the_table_spans_several_studies():
    table = runtable.run_table(_runs())
    assert list(runtable.pick_columns(table, ["test_acc", "optimizer"]).columns) == ["optimizer", "test_acc", "run_id"]
    assert list(runtable.pick_columns(table, []).columns) == list(table.columns)
    both = runtable.studies_table({"one": _runs(), "two": _runs().iloc[:4], "none": _runs().iloc[:0]})
    assert list(both.columns[:2]) == ["study", "optimizer"] and len(both) == 16
    assert both.groupby("study").size().to_dict() == {"one": 12, "two": 4}
    assert len(runtable.filter_table(both, "study = two; batch_size = 8")) == 2
