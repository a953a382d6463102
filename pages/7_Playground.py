"""Playground: optimizers and batch noise moving on a 2-D loss surface, computed in this page's process (no job),
with the lecture notes' critical-point test at any point. Every setting is in the link."""
import time

import numpy as np
import pandas as pd
import streamlit as st

import ui
from studies import charts_playground as pc
from studies.config import SCHEDULES
from studies.playground import (OPTIMIZERS, OptimizerSpec, Setup, default_lr, explore, noise_table)
from studies.surfaces import SURFACES, grid, probe

Q = dict(bind="query-params")
ui.page("Playground", ":material/sports_esports:")


@st.cache_data(show_spinner=False, max_entries=64)
def compute(surface: str, opts: tuple, start: tuple, setup: Setup, batches: tuple, seed: int):
    return explore(SURFACES[surface], list(opts), start, setup, list(batches), seed)


@st.cache_data(show_spinner=False, max_entries=16)
def background(surface: str) -> str:
    return pc.heat_url(grid(SURFACES[surface], 240)[2])


top = st.columns([1.2, 1.5, 2])
name = top[0].selectbox("Surface", list(SURFACES), format_func=lambda n: SURFACES[n].title, key="pg_surface", **Q)
surface = SURFACES[name]
presets = list(surface.starts) + ["custom"]
preset = top[1].selectbox("Start", presets, key=f"pg_start_{name}", help="A preset, or custom: type x and y", **Q)
if preset == "custom":
    (x0, x1), (y0, y1) = surface.domain
    cx, cy = top[1].columns(2)
    start = (cx.number_input("x", x0, x1, (x0 + x1) / 2, 0.1, key=f"pg_x_{name}", **Q),
             cy.number_input("y", y0, y1, (y0 + y1) / 2, 0.1, key=f"pg_y_{name}", **Q))
else:
    start = surface.starts[preset]
chosen = top[2].multiselect("Optimizers", OPTIMIZERS, default=["sgd", "momentum", "adam"], key="pg_optimizers",
                            help="Each in its own colour; torch.optim's update rules", **Q)
st.caption(f"**{surface.title}: L = {surface.formula}.** {surface.lesson}")

with st.expander("Learning rates, momentum, schedule", expanded=False):
    cols = st.columns(max(len(chosen), 1))
    opts = []
    for col, opt in zip(cols, chosen):
        col.markdown(f"**{opt}**")
        kw = dict(lr=col.number_input("learning rate", 1e-5, 10.0, default_lr(surface, opt), format="%.4g",
                                      key=f"pg_lr_{name}_{opt}", **Q))
        if opt in ("momentum", "nesterov"):
            kw["beta"] = col.slider("β (momentum)", 0.0, 0.99, 0.9, 0.01, key=f"pg_beta_{opt}", **Q)
        if opt == "rmsprop":
            kw["alpha"] = col.slider("α (decay of g²)", 0.0, 0.999, 0.99, 0.001, key="pg_alpha", **Q)
        if opt == "adam":
            kw["beta1"] = col.slider("β1", 0.0, 0.99, 0.9, 0.01, key="pg_beta1", **Q)
            kw["beta2"] = col.slider("β2", 0.0, 0.9999, 0.999, 0.0001, format="%.4f", key="pg_beta2", **Q)
        opts.append(OptimizerSpec(opt, **kw))
    left, mid, right = st.columns(3)
    steps = left.slider("Steps", 10, 2000, surface.steps, 10, key=f"pg_steps_{name}", **Q)
    warmup = mid.number_input("Warm-up steps", 0, steps, 0, key="pg_warmup",
                              help="The learning rate rises linearly to its peak over these steps", **Q)
    schedule = right.selectbox("Decay", SCHEDULES, key="pg_schedule",
                               help="After warm-up: constant, cosine to 0, or ÷10 at 50 % and 75 %", **Q)

with st.expander("Batch noise", expanded=True):
    a, b, c, d = st.columns([1, 2.2, 1.2, 1])
    n = a.selectbox("N examples", [64, 256, 1024], index=1, key="pg_n", **Q)
    sizes = sorted({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, n} & set(range(1, n + 1)))
    batches = b.multiselect("Batch sizes B (side by side)", sizes, default=[s for s in (1, 8, 64, n) if s in sizes],
                            format_func=lambda s: f"N = {s}" if s == n else str(s), key=f"pg_batches_{n}",
                            max_selections=4, **Q)
    replacement = c.toggle("Draw with replacement", False, key="pg_replacement", **Q)
    shuffle = c.toggle("Shuffle every epoch", True, key="pg_shuffle", disabled=replacement,
                       help="Off: one order drawn once and kept, as the studies' shuffle = false", **Q)
    sigma = d.number_input("σ per example", 0.0, 100.0, surface.noise, 0.1, key=f"pg_sigma_{name}",
                           help="Spread of the examples' gradients: example i's loss is L(θ) + ξᵢ·θ", **Q)
    seed = d.number_input("Seed", 0, 10_000, 0, key="pg_seed", **Q)

if not opts:
    ui.fail("Pick at least one optimizer.")
if not batches:
    ui.fail("Pick at least one batch size B.")
setup = Setup(steps=steps, n_examples=n, replacement=replacement, shuffle=shuffle, sigma=sigma, warmup=warmup,
              schedule=schedule)
t0 = time.perf_counter()
try:
    path, summary = compute(name, tuple(opts), tuple(float(v) for v in start), setup, tuple(sorted(batches)), seed)
except ValueError as e:
    ui.fail(str(e))
took = time.perf_counter() - t0

# keyed by the number of steps: a new length is a new slider, which starts at its end
upto = st.slider("Show up to step", 0, steps, steps, key=f"pg_step_{steps}",
                 help="Scrub through the trajectories; Play animates them", **Q)
size = {1: 440, 2: 360, 3: 290}.get(len(batches), 205)        # four panels fit a laptop's width
kw = dict(n_examples=n, replacement=replacement, size=size)
map_args = (pc.trajectory_map, background(name), path, summary, surface.domain)
if st.button("Play", key="pg_play", icon=":material/play_arrow:", help="Animate the paths from step 0 to the "
             "scrubbed step (then the map stays there; the slider scrubs by hand)"):
    slot, frames = st.empty(), np.unique(np.linspace(0, upto, 40).round().astype(int))
    for frame in frames:
        slot.vega_lite_chart(ui.chart_spec(*map_args, params={pc.UPTO: int(frame)}, **kw), width="stretch",
                             theme=None)
        time.sleep(0.06)
else:
    ui.chart(*map_args, **kw, params={pc.UPTO: upto}, csv=path, name=f"playground-{name}", key="pg_map")
st.caption(f"Contour map of L(x, y) (grey bands: loss quantiles; lines: isolines), one panel per batch size; each "
           f"optimizer's path up to step {upto} (dot: where it is then; square: the start); hollow markers: where "
           f"the full-batch gradient first fell below 0.01, shaped by the Hessian test (circle minimum, cross saddle, "
           f"triangle maximum, diamond undecided). Computed here in {took * 1000:.0f} ms.")
ui.chart(pc.loss_chart, path, **kw, params={pc.UPTO: upto}, name=f"playground-{name}-loss", key="pg_loss")
st.caption("Full-batch loss L(θ) at every step (not the batch's loss), one panel per batch size; dashed rule: the "
           "scrubbed step. Paths that leave the map stop there.")

st.subheader("Gradient noise")
left, right = st.columns([3, 2])
with left:
    measured = summary.groupby("batch", as_index=False).noise_measured.first()
    measured = measured.rename(columns={"noise_measured": "noise"})
    ui.chart(pc.noise_chart, noise_table(sigma, n), measured, name=f"playground-noise-{n}", key="pg_noise")
    st.caption(f"RMS size of a batch's gradient error ‖ĝ − ∇L‖ vs B, log-log, σ = {sigma:g}, N = {n}: lines "
               "the formula σ·√(2/B) (with replacement) or σ·√(2(N−B)/(B(N−1))) (without), points the steps "
               "above. Slope −½: the noise shrinks like 1/√B; without replacement B = N has none.")
with right:
    table = summary[["label", "batch", "noise_theory", "noise_measured", "final_loss", "small_step", "small_kind"]]
    st.dataframe(table, hide_index=True, key="pg_summary", column_config={
        "label": "optimizer", "batch": "B",
        "noise_theory": st.column_config.NumberColumn("noise (formula)", format="%.3g"),
        "noise_measured": st.column_config.NumberColumn("noise (measured)", format="%.3g"),
        "final_loss": st.column_config.NumberColumn("final loss", format="%.4g"),
        "small_step": "‖∇L‖ < 0.01 at step", "small_kind": "Hessian test there"})

st.subheader("Critical-point test")
here = path[path.step <= upto].groupby(["label", "batch"], sort=False).tail(1)
pa, pb = st.columns([1, 2])
px = pa.number_input("probe x", value=float(start[0]), step=0.1, key=f"pg_probe_x_{name}", **Q)
py = pa.number_input("probe y", value=float(start[1]), step=0.1, key=f"pg_probe_y_{name}", **Q)
p = probe(surface, px, py)
pb.metric("‖∇L‖", f"{p.grad_norm:.3g}")
pb.markdown(f"Hessian eigenvalues λ = **{p.eigenvalues[0]:.4g}**, **{p.eigenvalues[1]:.4g}** · {p.verdict()}")
if not here.empty:
    tests = [probe(surface, x, y) for x, y in zip(here.x, here.y)]
    st.dataframe(pd.DataFrame({"optimizer": here.label, "B": here.batch, "step": here.step, "x": here.x,
                               "y": here.y,
                               "‖∇L‖": [t.grad_norm for t in tests],
                               "eigenvalues": [f"{t.eigenvalues[0]:.3g}, {t.eigenvalues[1]:.3g}" for t in tests],
                               "kind": [t.kind if t.critical else f"not critical ({t.kind}-shaped)" for t in tests]}),
                 hide_index=True, key="pg_probe_table")
    st.caption(f"The test at each path's point at step {upto}: a critical point when ‖∇L‖ < 0.01; its kind by the "
               "notes' rule (all eigenvalues > 0 minimum, all < 0 maximum, mixed saddle, a zero one undecided).")
