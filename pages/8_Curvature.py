"""Curvature: the notes' Hessian test at each run's end point (gradient norm, λ_min, λ_max, minimum ratio),
one run's spectral density, the gradient noise scale over training, and which measure predicts the gap."""
import streamlit as st

import ui
from studies import charts
from studies import curvature_charts as cc
from studies.predictors import RESAMPLES, predictors_table

EXPLANATION = (
    "**The Hessian test at a critical point** (notes 000/001). Near a point θ′ the loss is "
    "L(θ) ≈ L(θ′) + gᵀ(θ − θ′) + ½(θ − θ′)ᵀH(θ − θ′). At a critical point the gradient g is 0, and the "
    "eigenvalues of the Hessian H say which kind it is: all positive, a local minimum; all negative, a local "
    "maximum; both signs, a saddle point, from which a step along the eigenvector u of a negative eigenvalue λ "
    "still lowers the loss (by ½λ‖u‖²). So read the **gradient norm** first (is it a critical point at all?), "
    "then **λ_min** (below 0: a saddle, or a valley that is flat up to noise) and **λ_max** (the sharpest "
    "direction). The notes' **minimum ratio** = (number of positive eigenvalues) / (number of eigenvalues) "
    "is 1 at a strict minimum; trained networks stop at points with a ratio well below 1, because most "
    "directions are flat or slightly negative: in practice training ends near saddles, rarely at true minima.")

store = ui.page("Curvature", ":material/ssid_chart:")
sid = ui.study_picker(store)
runs = ui.runs_or_stop(store, sid)
st.markdown(EXPLANATION)

columns = [c for c in ("grad_norm", "hessian_min_eig", "hessian_top_eig", "min_ratio") if c in runs
           and runs[c].notna().any()]
if not columns:
    st.info("This study has no curvature columns. Turn on *hessian* (and *spectrum* for the minimum ratio) "
            "under *What to measure* on **New study** and run it again: finished training is reused.")
else:
    cut = runs["min_ratio_cut"].dropna().iloc[0] if "min_ratio_cut" in runs and runs["min_ratio_cut"].notna().any() \
        else None
    st.caption("Per batch size, at the end of training, on the fixed measurement sample: gradient norm (linear), "
               "λ_min and λ_max of the Hessian by Lanczos (scipy eigsh), and the minimum ratio from the dense "
               "spectrum" + (f" (|λ| ≤ {cut:g}·max|λ| counts as zero, not positive)" if cut else "")
               + ". Line: mean over seeds, band: ±1 std over seeds.")
    cols = st.columns(2)
    for i, col in enumerate(columns):
        with cols[i % 2]:
            ui.chart(charts.batch_size_chart, runs, col, name=f"{sid}-{col}", key=f"curv_{col}")

st.subheader("Spectral density of one run")
land = ui.table(store, sid, "landscape")
spectra = land[land["kind"] == "spectrum"] if "kind" in land and "eigenvalue" in land else land.iloc[:0]
if spectra.empty:
    st.info("No spectrum rows: turn on *spectrum* under *What to measure* (dense for models under 5,000 "
            "weights, stochastic Lanczos quadrature above).")
else:
    have = runs[runs.run_id.isin(spectra.run_id.unique())].sort_values(["batch_size", "optimizer", "seed"])
    labels = dict(zip(have.run_id, charts.run_labels(have)["run"]))
    rid = st.selectbox("Run", list(labels), format_func=labels.get, key="curv_run", bind="query-params",
                       help="The run whose Hessian spectrum is drawn")
    ui.chart(cc.spectrum_chart, spectra[spectra.run_id == rid], name=f"{sid}-spectrum", key="curv_spectrum")
    st.caption("Density of the Hessian's eigenvalues at the end of this run (log scale), each eigenvalue (or "
               "Lanczos node) smoothed by a Gaussian of the width in the title; the red rule is λ = 0. Mass left "
               "of it: negative curvature directions.")

st.subheader("Gradient noise scale over training")
epochs = ui.table(store, sid, "epochs")
if "noise_scale" not in epochs or not epochs["noise_scale"].notna().any():
    st.info("No noise-scale points in the epochs table: turn on *noise scale* and train the runs again "
            "(it is measured during training, at epoch 0, every power of two and the last epoch).")
else:
    ui.chart(cc.noise_over_training_chart, epochs, runs, name=f"{sid}-noise-over-training", key="curv_noise")
    st.caption("B_simple = tr Σ / |G|² (McCandlish et al. 2018) on the whole training set, at epoch 0, every power "
               "of two and the last epoch, one line per run, one colour per batch size; log y, symlog x. Bars: "
               "±1 jackknife SE of each estimate (64 small-batch draws), not a spread over seeds.")

st.subheader("Which measure predicts the gap")
table = predictors_table(runs)
if table.empty or table["tau"].isna().all():
    st.info("Too few finished runs to rank the measures (Kendall τ needs at least two with different values).")
else:
    ui.chart(cc.predictors_chart, table, name=f"{sid}-predictors", key="curv_predictors")
    st.caption(f"Kendall rank correlation τ between each measure and the gap (train − test accuracy) over the "
               f"{int(table['n'].max())} done runs, ranked by |τ|; bars: 95 % percentile bootstrap interval over "
               f"runs ({RESAMPLES} resamples). Grey: batch size itself, the baseline a measure has to beat "
               "(Jiang et al. 2019). Same table: `python -m studies export STUDY --table predictors`.")
