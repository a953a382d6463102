"""Playground: optimizers and batch noise moving on a 2-D loss surface, computed in this page's process (no job),
with the lecture notes' critical-point test at any point. Every setting is in the link."""
import time

import numpy as np
import pandas as pd
import streamlit as st

import ui
from studies.spec import optimizers
from studies.analysis import nqm, nqm_study
from studies.charts import nqm as nc, playground as pc
from studies.spec.config import SCHEDULES, run_label
from studies.i18n import t
from studies.playground import OptimizerSpec, Setup, default_lr, explore, noise_table, slider_key
from studies.surfaces import SURFACES, grid, probe

Q = dict(bind="query-params")
store = ui.page(t("nav.Playground"), ":material/sports_esports:")


@st.cache_data(show_spinner=False, max_entries=64)
def compute(surface: str, opts: tuple, start: tuple, setup: Setup, batches: tuple, seed: int):
    return explore(SURFACES[surface], list(opts), start, setup, list(batches), seed)


@st.cache_data(show_spinner=False, max_entries=32)
def nqm_curves(dims: int, exponent: float, noise: float, fraction: float, beta: float) -> pd.DataFrame:
    return nqm.panel(dims=dims, exponent=exponent, noise=noise, fraction=fraction, beta=beta)


@st.cache_data(show_spinner=False, max_entries=16)
def nqm_run_curves(root: str, study_id: str, run_id: str, beta: float) -> pd.DataFrame:
    st_runs, st_epochs = ui.table(store, study_id, "runs"), ui.table(store, study_id, "epochs")
    row = st_runs.set_index("run_id", drop=False).loc[run_id]
    return nqm_study.panel_from_run(row, st_epochs, beta)


@st.cache_data(show_spinner=False, max_entries=16)
def background(surface: str) -> str:
    return pc.heat_url(grid(SURFACES[surface], 240)[2])


top = st.columns([1.2, 1.5, 2])
# format functions that raise on anything but an option (AppTest and the URL may pass a label: that falls back)
name = top[0].selectbox(t("pg.surface"), list(SURFACES), format_func=lambda n: t(f"pg.s.{SURFACES[n].name}.title"),
                        key="pg_surface", **Q)
surface = SURFACES[name]
presets = list(range(len(surface.starts))) + ["custom"]
preset = top[1].selectbox(t("pg.start"), presets, key=f"pg_start_{name}", help=t("pg.start_help"), **Q,
                          format_func=lambda i: t("pg.custom") if i == "custom" else
                          t(f"pg.s.{name}.start{range(len(surface.starts))[i]}"))
if preset == "custom":
    (x0, x1), (y0, y1) = surface.domain
    cx, cy = top[1].columns(2)
    start = (cx.number_input("x", x0, x1, (x0 + x1) / 2, 0.1, key=f"pg_x_{name}", **Q),
             cy.number_input("y", y0, y1, (y0 + y1) / 2, 0.1, key=f"pg_y_{name}", **Q))
else:
    start = list(surface.starts.values())[preset]
chosen = top[2].multiselect(t("pg.optimizers"), list(optimizers.TABLE), default=["sgd", "momentum", "adam"],
                            key="pg_optimizers", help=t("pg.optimizers_help"), **Q)
formula = t(f"pg.s.{name}.formula") if name in ("sharp_flat", "bumpy") else surface.formula
st.caption(t("pg.lesson", title=t(f"pg.s.{name}.title"), formula=formula, lesson=t(f"pg.s.{name}.lesson")))

with st.expander(t("pg.hyper"), expanded=False):
    cols = st.columns(max(len(chosen), 1))
    opts = []
    for col, opt in zip(cols, chosen):
        col.markdown(f"**{opt}**")
        kw = dict(lr=col.number_input(t("pg.lr"), 1e-5, 10.0, default_lr(surface, opt), format="%.4g",
                                      key=f"pg_lr_{name}_{opt}", **Q))
        for s, default in optimizers.get(opt).sliders():
            kw[s.field] = col.slider(t(s.label), 0.0, s.hi, default, s.step, format=s.fmt,
                                     key=slider_key(opt, s), help=t(s.help) if s.help else None, **Q)
        opts.append(OptimizerSpec(opt, **kw))
    left, mid, right = st.columns(3)
    steps = left.slider(t("pg.steps"), 10, 2000, surface.steps, 10, key=f"pg_steps_{name}", **Q)
    warmup = mid.number_input(t("pg.warmup"), 0, steps, 0, key="pg_warmup", help=t("pg.warmup_help"), **Q)
    schedule = right.selectbox(t("pg.decay"), SCHEDULES, key="pg_schedule", help=t("pg.decay_help"), **Q)

with st.expander(t("pg.noise"), expanded=True):
    a, b, c, d = st.columns([1, 2.2, 1.2, 1])
    n = a.selectbox(t("pg.n"), [64, 256, 1024], index=1, key="pg_n", **Q)
    sizes = sorted({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, n} & set(range(1, n + 1)))
    batches = b.multiselect(t("pg.batches"), sizes, default=[s for s in (1, 8, 64, n) if s in sizes],
                            format_func=lambda s: f"N = {s}" if s == n else str(s), key=f"pg_batches_{n}",
                            max_selections=4, **Q)
    replacement = c.toggle(t("pg.replacement"), False, key="pg_replacement", **Q)
    shuffle = c.toggle(t("pg.shuffle"), True, key="pg_shuffle", disabled=replacement, help=t("pg.shuffle_help"),
                       **Q)
    sigma = d.number_input(t("pg.sigma"), 0.0, 100.0, surface.noise, 0.1, key=f"pg_sigma_{name}",
                           help=t("pg.sigma_help"), **Q)
    seed = d.number_input(t("pg.seed"), 0, 10_000, 0, key="pg_seed", **Q)

if not opts:
    ui.fail(t("pg.no_optimizer"))
if not batches:
    ui.fail(t("pg.no_batch"))
setup = Setup(steps=steps, n_examples=n, replacement=replacement, shuffle=shuffle, sigma=sigma, warmup=warmup,
              schedule=schedule)
t0 = time.perf_counter()
try:
    path, summary = compute(name, tuple(opts), tuple(float(v) for v in start), setup, tuple(sorted(batches)), seed)
except ValueError as e:
    ui.fail(str(e))
took = time.perf_counter() - t0

# keyed by the number of steps: a new length is a new slider, which starts at its end
upto = st.slider(t("pg.upto"), 0, steps, steps, key=f"pg_step_{steps}", help=t("pg.upto_help"), **Q)
size = {1: 440, 2: 360, 3: 230}.get(len(batches), 150)   # four panels with their axes fit 1400 px beside the sidebar
kw = dict(n_examples=n, replacement=replacement, size=size)
map_args = (pc.trajectory_map, background(name), path, summary, surface.domain)
if st.button(t("pg.play"), key="pg_play", icon=":material/play_arrow:", help=t("pg.play_help")):
    slot, frames = st.empty(), np.unique(np.linspace(0, upto, 40).round().astype(int))
    for frame in frames:
        slot.vega_lite_chart(ui.chart_spec(*map_args, params={pc.UPTO: int(frame)}, **kw), width="stretch",
                             theme=None)
        time.sleep(0.06)
    st.caption(t("pg.map_caption", upto=upto, ms=f"{took * 1000:.0f}"))
else:
    ui.chart(*map_args, **kw, params={pc.UPTO: upto}, csv=path, name=f"playground-{name}", key="pg_map",
             caption=t("pg.map_caption", upto=upto, ms=f"{took * 1000:.0f}"))
ui.chart(pc.loss_chart, path, **kw, params={pc.UPTO: upto}, name=f"playground-{name}-loss", key="pg_loss",
         caption=t("pg.loss_caption"))

st.subheader(t("pg.noise_title"))
left, right = st.columns([3, 2])
with left:
    measured = summary.groupby("batch", as_index=False).noise_measured.first()
    measured = measured.rename(columns={"noise_measured": "noise"})
    ui.chart(pc.noise_chart, noise_table(sigma, n), measured, name=f"playground-noise-{n}", key="pg_noise",
             caption=t("pg.noise_caption", sigma=sigma, n=n))
with right:
    table = summary[["label", "batch", "noise_theory", "noise_measured", "final_loss", "small_step", "small_kind"]]
    verdicts = table.small_kind.map(lambda k: t(f"pg.short.{k}") if isinstance(k, str) else None)
    st.dataframe(table.assign(small_kind=verdicts),
                 hide_index=True, key="pg_summary", column_config={
        "label": t("pg.col.optimizer"), "batch": "B",
        "noise_theory": st.column_config.NumberColumn(t("pg.col.noise_theory"), format="%.3g"),
        "noise_measured": st.column_config.NumberColumn(t("pg.col.noise_measured"), format="%.3g"),
        "final_loss": st.column_config.NumberColumn(t("pg.col.final_loss"), format="%.4g"),
        "small_step": t("pg.col.small_step"), "small_kind": t("pg.col.small_kind")})

st.subheader(t("pg.critical_title"))
here = path[path.step <= upto].groupby(["label", "batch"], sort=False).tail(1)
pa, pb = st.columns([1, 2])
px = pa.number_input(t("pg.probe_x"), value=float(start[0]), step=0.1, key=f"pg_probe_x_{name}", **Q)
py = pa.number_input(t("pg.probe_y"), value=float(start[1]), step=0.1, key=f"pg_probe_y_{name}", **Q)
p = probe(surface, px, py)
pb.metric("‖∇L‖", f"{p.grad_norm:.3g}")
verdict = t("pg.verdict.critical" if p.critical else "pg.verdict.not_critical", g=f"{p.grad_norm:.3g}",
            kind=t(f"pg.kind.{p.kind}"))
pb.markdown(t("pg.eigen", l1=f"{p.eigenvalues[0]:.4g}", l2=f"{p.eigenvalues[1]:.4g}", verdict=verdict))
if not here.empty:
    tests = [probe(surface, x, y) for x, y in zip(here.x, here.y)]
    kinds = [t(f"pg.short.{q.kind}") if q.critical else t("pg.short.not_critical", kind=t(f"pg.short.{q.kind}"))
             for q in tests]
    st.dataframe(pd.DataFrame({t("pg.col.optimizer"): here.label, "B": here.batch, t("pg.col.step"): here.step,
                               "x": here.x, "y": here.y, "‖∇L‖": [q.grad_norm for q in tests],
                               t("pg.col.eigenvalues"): [f"{q.eigenvalues[0]:.3g}, {q.eigenvalues[1]:.3g}"
                                                         for q in tests], t("pg.col.kind"): kinds}),
                 hide_index=True, key="pg_probe_table")
    st.caption(t("pg.probe_caption", upto=upto))

# ---------------------------------------------------------------- the noisy quadratic model (analysis/nqm)
st.subheader(t("nqm.title"))
st.caption(t("nqm.intro"))
SOURCES, source_label = ["power", "run"], (lambda s: t(f"nqm.spectrum.{s}"))
held = ui.follow_link("nqm_source", SOURCES, source_label)    # ?nqm_source=run, in either language
source = st.segmented_control(t("nqm.spectrum"), SOURCES, default=None if held else "power", key="nqm_source",
                              format_func=source_label, required=True)
ui.write_link("nqm_source", source, default="power")
if source == "run":   # the study, the run (wide enough to show its lr), β
    (a, b, e), c, d = st.columns([2, 4, 2]), None, None
else:
    a, b, c, d, e = st.columns(5)
nqm_beta = e.slider(t("nqm.beta"), 0.0, 0.99, float(optimizers.MOMENTUM.default), 0.01, key="nqm_beta", **Q)
t0 = time.perf_counter()
if source == "run":
    listed = ui.studies(store)
    names = dict(zip(listed.study_id, listed.name)) if len(listed) else {}
    sid = a.selectbox(t("nqm.study"), list(names), key="nqm_study", format_func=lambda s: f"{names[s]} · {s[:8]}",
                      **Q) if names else None
    usable = nqm_study.usable_runs(ui.table(store, sid, "runs")) if sid else pd.DataFrame()
    if usable.empty:
        ui.fail(t("nqm.no_run"))
    labels = {r.run_id: run_label(r.optimizer, r.batch_size, r.shuffle, r.seed, r.lr) for r in usable.itertuples()}
    rid = b.selectbox(t("nqm.run"), list(labels), key="nqm_run", format_func=labels.get, **Q)
    try:
        nqm_table = nqm_run_curves(store.root, sid, rid, nqm_beta)
    except ValueError as err:
        ui.fail(str(err))
else:
    nqm_dims = a.select_slider(t("nqm.dims"), [100, 1_000, 10_000, 100_000], 10_000, key="nqm_dims", **Q)
    nqm_p = b.slider(t("nqm.exponent"), 0.5, 2.0, 1.0, 0.1, key="nqm_p", **Q)
    nqm_c = c.select_slider(t("nqm.noise"), [0.01, 0.1, 1.0, 10.0, 100.0], 1.0, key="nqm_c",
                            help=t("nqm.noise_help"), **Q)
    nqm_target = d.select_slider(t("nqm.target"), [0.1, 0.03, 0.01, 0.003, 0.001], 0.01, key="nqm_target", **Q)
    nqm_table = nqm_curves(nqm_dims, nqm_p, nqm_c, nqm_target, nqm_beta)
took = time.perf_counter() - t0
left, right = st.columns(2)
with left:
    ui.chart(nc.steps_chart, nqm_table, name="playground-nqm-steps", key="nqm_steps",
             caption=t("nqm.steps_caption", crit=nqm.crit_text(nqm_table), ms=f"{took * 1000:.0f}"))
with right:
    ui.chart(nc.lr_chart, nqm_table, name="playground-nqm-lr", key="nqm_lr", caption=t("nqm.lr_caption"))
