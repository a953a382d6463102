"""Sharpness: ε-, adaptive and random sharpness, λ_max and trace vs batch size with the critical batch size,
1-D landscape slices, the 2-D landscape of small and large batch on one colour scale (Li et al. 2018), and the
small↔large interpolation (Keskar et al. 2017, Figure 3)."""
import streamlit as st

import ui
from studies.i18n import t
from studies import charts, measures
from studies.spec.config import MeasureSpec, SpecError, StudySpec

store, sid, runs, b_simple = ui.study_page("Sharpness", ":material/landscape:")


def how() -> None:
    with st.expander(t("how.title")):
        st.markdown(t("how.sharpness"))
        st.markdown(measures.how((*measures.drawn("sharpness"), "noise_scale")))
        st.markdown(t("how.watch"))

all_runs, runs = runs, ui.lr_view(runs, "sharp_every_lr")
try:
    measure = StudySpec.from_toml_text(store.spec_text(sid) or "").measure
except (OSError, SpecError):
    measure = MeasureSpec()   # the defaults: what a spec without [measure] ran with
if b_simple:
    st.caption(t("sharp.critical", b=f"{b_simple[0]:,.0f}"))
drawn = [c for c in measures.drawn("sharpness") if c in runs and runs[c].notna().any()]
if not drawn:
    st.info(t("sharp.none"))
cols = st.columns(2)
for i, col in enumerate(drawn):
    with cols[i % 2]:
        ui.chart(charts.batch_size_chart, runs, col, b_simple=b_simple, name=f"{sid}-{col}", key=f"sharp_{col}",
                 caption=measures.caption(col, measure) + " " + ui.difference_note(all_runs, col))

st.subheader(t("sharp.landscape"))
land = ui.table(store, sid, "landscape")
if land.empty or "kind" not in land:
    st.info(t("sharp.no_landscape"))
    how()
    st.stop()
left, right = st.columns([1, 1])
optimizers = sorted(runs.optimizer.unique())
opt = left.selectbox(t("gen.optimizer"), optimizers, key="sharp_optimizer", bind="query-params",
                     help=t("sharp.optimizer_help"))
y = right.selectbox(t("gen.metric"), ["train_loss", "test_loss", "train_acc", "test_acc"], format_func=charts.label,
                    key="sharp_metric", bind="query-params")
mine = runs[runs.optimizer == opt]
random_rows = land[(land.kind == "random") & land.run_id.isin(mine.run_id)]
if random_rows.empty:
    st.info(t("sharp.no_slices"))
else:
    ui.chart(charts.landscape_chart, random_rows, mine, y, name=f"{sid}-slices", key="sharp_slices",
             caption=t("caption.slices", points=measure.landscape_points))
st.subheader(t("sharp.surface"))
surface = land[(land.kind == "surface") & land.run_id.isin(mine.run_id)]
if surface.empty:
    st.info(t("sharp.no_surface"))
else:
    seeds = sorted(mine[mine.run_id.isin(surface.run_id)].seed.unique())
    seed = st.selectbox(t("sharp.seed"), seeds, key="sharp_seed", bind="query-params", help=t("sharp.seed_help"))
    pair = charts.surface_pair(mine, surface, opt, seed)
    sample = int(pair["measure_sample"].max()) if "measure_sample" in pair and pair["measure_sample"].notna().any() \
        else measure.sample
    ui.chart(charts.surface_chart, surface, pair, name=f"{sid}-surface", key="sharp_surface",
             caption=t("caption.surface", points=measure.surface_points, sample=f"{sample:,}"))
inter = land[(land.kind == "interpolation") & land.run_id.isin(mine.run_id)]
if inter.empty:
    st.info(t("sharp.no_interp"))
else:
    ui.chart(charts.interpolation_chart, inter, runs, name=f"{sid}-interpolation", key="sharp_interp",
             caption=t("caption.interpolation"))
how()
