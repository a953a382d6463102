"""AppTest for the Playground page: every surface renders its charts, the state comes from the link, widgets
answer without recomputing what did not change, bad settings give one line, and the charts are valid
Vega-Lite."""
import json
import time
from pathlib import Path

import altair as alt
import pytest
from streamlit.testing.v1 import AppTest

from studies.charts import playground as pc
from studies.i18n import t
from studies.playground import OptimizerSpec, Setup, explore, noise_table
from studies.surfaces import SURFACES, grid

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGE = "pages/7_Playground.py"
pytestmark = pytest.mark.usefixtures("restore_main")


def open_playground(tmp_path, monkeypatch, query=None):
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    at.query_params.update(query or {})
    return at.run()


def specs(at):
    return [c.proto.spec for c in at.get("vega_lite_chart")]


@pytest.mark.slow
def test_every_surface_draws_map_loss_and_noise(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch)
    assert not at.exception and not at.error
    for title in [s.title for s in SURFACES.values()]:
        start = time.process_time()   # CPU time of this process: a busy machine stretches only wall time
        at.selectbox(key="pg_surface").set_value(next(k for k, s in SURFACES.items() if s.title == title)).run()
        assert not at.exception and not at.error, title
        assert len(specs(at)) == 5, title   # map, loss, noise; the NQM panel's S(B) and best lr
        assert time.process_time() - start < 30        # loose; the acceptance check times it
    captions = " ".join(c.value for c in at.caption)
    assert "Contour map" in captions and "Full-batch loss" in captions and "1/√B" in captions


def test_the_link_sets_surface_start_optimizers_and_batches(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch, {
        "pg_surface": "Saddle", "pg_start_saddle": "on the stable manifold (1.5, 0)",
        "pg_optimizers": ["sgd", "rmsprop"], "pg_batches_256": ["1", "N = 256"], "pg_step_200": "60"})
    assert not at.exception and not at.error
    assert at.multiselect(key="pg_optimizers").value == ["sgd", "rmsprop"]
    assert at.multiselect(key="pg_batches_256").value == [1, 256]
    assert at.slider(key="pg_step_200").value == 60
    map_spec = specs(at)[0]
    assert json.loads(map_spec)["params"] == [{"name": "upto", "value": 60}]
    assert '["B = N = 256", "(full batch)"]' in map_spec and "rmsprop" in map_spec   # a title of two lines
    table = at.dataframe[0].value          # the summary (the probe table comes second)
    full = table[(table.batch == 256) & table.label.str.startswith("sgd")].iloc[0]
    assert full.small_kind == "saddle" and full.noise_theory == 0     # GD stuck at the saddle, no noise


def test_adam_and_adamw_side_by_side_each_have_their_own_settings_in_the_link(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch, {"pg_optimizers": ["adam", "adamw"], "pg_beta1": "0.8",
                                                 "pg_beta1_adamw": "0.7", "pg_wd_adamw": "0"})
    assert not at.exception and not at.error
    assert (at.slider(key="pg_beta1").value, at.slider(key="pg_beta1_adamw").value) == (0.8, 0.7)
    assert at.slider(key="pg_beta2_adamw").value == 0.999 and at.slider(key="pg_wd_adamw").value == 0.0
    labels = set(at.dataframe[0].value.label)
    assert {label.split(" (")[0] for label in labels} == {"adam", "adamw"}
    assert any("β1=0.7" in label and label.endswith("wd=0)") for label in labels)


def test_scrubbing_changes_only_the_step(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch)
    before = json.loads(specs(at)[0])
    at.slider(key="pg_step_200").set_value(20).run()
    after = json.loads(specs(at)[0])
    assert not at.exception and after["params"] == [{"name": "upto", "value": 20}]
    assert {**after, "params": before["params"]} == before          # the same spec, another step
    at.slider(key="pg_steps_saddle").set_value(100).run()
    assert at.slider(key="pg_step_100").value == 100 and not at.exception      # a new length: at its end


def test_the_critical_point_probe(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch, {"pg_surface": "Monkey saddle"})
    at.number_input(key="pg_probe_x_monkey").set_value(0.0).run()
    at.number_input(key="pg_probe_y_monkey").set_value(0.0).run()
    text = " ".join(m.value for m in at.markdown)
    assert "cannot tell" in text and not at.exception


@pytest.mark.slow
def test_play_animates_and_leaves_the_page_whole(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch)
    at.button(key="pg_play").click().run()
    assert not at.exception and len(specs(at)) >= 3


def test_the_page_speaks_chinese_with_every_key_in_the_catalogue(tmp_path, monkeypatch):
    from studies.i18n.common import CATALOGUE
    for name, surface in SURFACES.items():      # keys the page builds from the surface's name
        assert {f"pg.s.{name}.title", f"pg.s.{name}.lesson"} | {f"pg.s.{name}.start{i}"
                                                              for i in range(len(surface.starts))} <= set(CATALOGUE)
    at = open_playground(tmp_path, monkeypatch, {"lang": "中文", "pg_surface": "猴鞍"})
    assert not at.exception and not at.error
    assert at.selectbox(key="pg_surface").value == "monkey"
    shown = " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
    assert "梯度" in shown and "pg." not in shown
    charts = json.dumps([json.loads(spec) for spec in specs(at)], ensure_ascii=False)
    assert "全批量" in charts and "优化器" in charts              # the charts' titles and legends too


def test_selects_take_their_labels_as_the_acceptance_check_and_the_frontend_send_them(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch)
    at.selectbox(key="pg_surface").set_value("Monkey saddle").run()
    assert at.selectbox(key="pg_surface").value == "monkey" and not at.exception
    at.selectbox(key="pg_start_monkey").set_value("in a valley (-0.5, 0.8)").run()
    assert at.selectbox(key="pg_start_monkey").value == 2 and not at.exception and not at.error


def test_empty_choices_say_what_to_do(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch)
    at.multiselect(key="pg_optimizers").set_value([]).run()
    assert "Pick at least one optimizer" in at.error[0].value and not at.exception


def test_the_dict_charts_are_valid_vega_lite():
    s = SURFACES["sharp_flat"]
    path, summary = explore(s, [OptimizerSpec("sgd", s.lr), OptimizerSpec("adam", 0.05)], (-0.8, 0.3),
                            Setup(steps=50), [1, 256])
    for spec in (pc.trajectory_map(pc.heat_url(grid(s, 40)[2]), path, summary, s.domain, n_examples=256),
                 pc.loss_chart(path, n_examples=256)):
        alt.HConcatChart.from_dict(spec)          # raises on anything the Vega-Lite schema refuses
        assert spec["params"] == [{"name": pc.UPTO, "value": 10**9}] and len(spec["hconcat"]) == 2
    measured = summary.groupby("batch", as_index=False).noise_measured.first()
    measured = measured.rename(columns={"noise_measured": "noise"})
    noise = pc.noise_chart(noise_table(1.0, 256), measured)           # B = 256 without replacement: no noise
    alt.LayerChart.from_dict(noise)
    assert len(noise["layer"][0]["data"]["values"]) == 17 and len(noise["layer"][1]["data"]["values"]) == 1


def test_the_loss_axis_is_log_only_where_the_data_can_show_it():
    s = SURFACES["bumpy"]
    path, _ = explore(s, [OptimizerSpec("momentum", s.lr)], s.starts["on the plateau (3.8, -3.8)"], Setup(), [256])
    assert path.loss.min() < 1e-9                                # converged: tinier than the data's decimals
    assert pc.loss_chart(path, n_examples=256)["hconcat"][0]["layer"][0]["encoding"]["y"]["scale"]["type"] == "linear"
    r = SURFACES["rosenbrock"]
    path, _ = explore(r, [OptimizerSpec("adam", 0.05)], (0.0, 0.0), Setup(), [256])        # 1 → 6e-4
    assert pc.loss_chart(path, n_examples=256)["hconcat"][0]["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"


def test_the_nqm_panel_draws_steps_and_best_lr_in_both_languages(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch, {"nqm_dims": "1000", "lang": "zh"})
    assert not at.exception and not at.error
    charts = json.dumps([json.loads(s) for s in specs(at)], ensure_ascii=False)
    assert "达到目标的步数" in charts and "最佳学习率" in charts
    assert any("B_crit" in c.value for c in at.caption)


def test_the_nqm_panel_from_a_store_without_a_usable_run_says_what_to_switch_on(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHSCOPE_STORE", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    at.session_state["nqm_source"] = "run"
    at.run()
    assert not at.exception and [e.value for e in at.error] == [t("nqm.no_run")]


@pytest.mark.parametrize("query", [{"nqm_source": "run"}, {"nqm_source": "run", "lang": "zh"},
                                   {"nqm_source": "from a stored run", "lang": "zh"},     # a link copied in English
                                   {"nqm_source": "来自已存的运行"}])                       # and one copied in 中文
def test_the_nqm_source_follows_its_link_by_code_in_either_language(tmp_path, monkeypatch, query):
    at = open_playground(tmp_path, monkeypatch, query)
    assert not at.exception and at.session_state["nqm_source"] == "run"
    assert len(at.error) == 1                                              # the run view: this store has none
    assert at.query_params["nqm_source"] in ("run", ["run"])              # the code, whatever the link said


def test_a_click_on_the_nqm_source_is_not_undone_by_the_link_and_rewrites_it(tmp_path, monkeypatch):
    at = open_playground(tmp_path, monkeypatch, {"nqm_source": "run"})
    at.button_group(key="nqm_source").set_value("power").run()
    assert not at.exception and not at.error and at.session_state["nqm_source"] == "power"
    assert "nqm_source" not in at.query_params                       # the default: dropped, as ?lang= is at English
    at.button_group(key="nqm_source").set_value("run").run()
    assert at.session_state["nqm_source"] == "run" and at.query_params["nqm_source"] in ("run", ["run"])
    bad = open_playground(tmp_path, monkeypatch, {"nqm_source": "bogus"})
    assert not bad.exception and bad.session_state["nqm_source"] == "power"

