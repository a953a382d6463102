"""Sharpness: ε-sharpness, random sharpness, λ_max and trace vs batch size with the critical batch size,
1-D landscape slices, and the small↔large interpolation (Keskar et al. 2017, Figure 3)."""
import streamlit as st

import ui
from studies.i18n import t
from studies import charts

store = ui.page(t("nav.Sharpness"), ":material/landscape:")
sid = ui.study_picker(store)
runs = ui.runs_or_stop(store, sid)
ui.fit_warning(runs)
runs = ui.lr_view(runs, "sharp_every_lr")

estimate = charts.critical_batch_estimate(runs)
critical, critical_se = estimate if estimate else (None, None)
if critical:
    st.caption(t("sharp.critical", b=f"{critical:,.0f}", se=f"{critical_se:,.0f}"))
measures = [c for c in charts.SHARPNESS_COLUMNS if c in runs and runs[c].notna().any()]
if not measures:
    st.info("This study has no sharpness or curvature columns. Turn them on under *What to measure* on "
            "**New study** (or in the spec's [measure] table) and run it again: finished training is reused.")
cols = st.columns(2)
for i, col in enumerate(measures):
    with cols[i % 2]:
        ui.chart(charts.batch_size_chart, runs, col, critical_batch=critical, critical_se=critical_se,
                 name=f"{sid}-{col}", key=f"sharp_{col}")

st.subheader("Loss landscape")
land = ui.table(store, sid, "landscape")
if land.empty or "kind" not in land:
    st.info("This study has no landscape rows. Turn on *landscape* under *What to measure* on **New study**.")
    st.stop()
left, right = st.columns([1, 1])
optimizers = sorted(runs.optimizer.unique())
opt = left.selectbox("Optimizer", optimizers, key="sharp_optimizer", bind="query-params",
                     help="The slices and the interpolation of this optimizer's runs")
y = right.selectbox("Metric", ["train_loss", "test_loss", "train_acc", "test_acc"], format_func=charts.label,
                    key="sharp_metric", bind="query-params")
mine = runs[runs.optimizer == opt]
random_rows = land[(land.kind == "random") & land.run_id.isin(mine.run_id)]
if random_rows.empty:
    st.info("No random slices for these runs.")
else:
    ui.chart(charts.landscape_chart, random_rows, mine, y, name=f"{sid}-slices", key="sharp_slices")
inter = land[(land.kind == "interpolation") & land.run_id.isin(mine.run_id)]
if inter.empty:
    st.info("No small↔large interpolation: it needs two batch sizes that share optimizer, order and seed.")
else:
    ui.chart(charts.interpolation_chart, inter, runs, name=f"{sid}-interpolation", key="sharp_interp")
