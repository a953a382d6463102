"""New study: design a batch-size study, see its grid size and a rough time, and queue it.

Widgets only; parsing and checks are in studies.design, the estimate in studies.estimate, the queue in
studies.jobs. Launching writes the spec to the queue: training never runs in this page's script run.
"""
import streamlit as st

import ui
from studies import design
from studies.config import (DATASET_KINDS, DEVICES, LOSSES, LR_SCALINGS, MODELS, OPTIM_HYPER, OPTIMIZERS,
                            SCHEDULES, SpecError, StudySpec)
from studies.estimate import estimate, format_seconds
from studies.jobs import device_slot

store = ui.page("New study", ":material/science:")
S = st.session_state
CSV = "csv (upload your own)"
OPTIM_LABELS = {"momentum": "Momentum β", "beta1": "Adam β1", "beta2": "Adam β2", "eps": "Adam ε",
                "alpha": "RMSProp α"}

# ---- start from an uploaded TOML (fills the form; fields the form lacks are kept)
up = st.file_uploader("Start from a spec (TOML)", type=["toml"], key="toml_upload", max_upload_size=1,
                      help="A StudySpec file such as examples/quick.toml; it fills the form below")
if up is not None and S.get("_toml_id") != up.file_id:
    S["_toml_id"] = up.file_id
    try:
        spec = StudySpec.from_toml_text(up.getvalue().decode("utf-8", errors="replace"))
    except SpecError as e:
        st.error(f"That TOML cannot be used — fix **{e.field}**: {str(e).removeprefix(f'{e.field}: ')}")
    else:
        values = design.spec_to_form(spec)
        S["_base"] = spec.to_dict()
        S["_csv"] = {"dataset": spec.dataset} if spec.dataset.startswith("csv:") else None
        values["dataset"] = CSV if spec.dataset.startswith("csv:") else spec.dataset
        S.update({f"f_{k}": v for k, v in values.items()})
for k, v in design.form_defaults().items():
    S.setdefault(f"f_{k}", v)
errors = {}   # field → a placeholder under its widget, filled after validation

data_col, grid_col, train_col = st.columns(3)
with data_col:
    st.subheader("Data and model")
    st.text_input("Name", key="f_name", help="Shown in lists; the study id is a hash of the whole spec")
    st.selectbox("Data set", list(DATASET_KINDS) + [CSV], key="f_dataset",
                 help="Built-in sets load offline (mnist, fashion_mnist and cifar10 need local files); "
                      "or upload a CSV with a header row and a label column")
    if S["f_dataset"] == CSV:
        csv = st.file_uploader("Your CSV", type=["csv"], key="csv_upload", max_upload_size=design.MAX_CSV_BYTES >> 20,
                               help=f"At most {design.MAX_CSV_BYTES >> 20} MiB; numeric features, one label column")
        if csv is not None and (S.get("_csv") or {}).get("file_id") != csv.file_id:
            try:
                S["_csv"] = {**design.save_csv_upload(store.root, csv.getvalue()), "file_id": csv.file_id}
            except ValueError as e:
                S["_csv"] = None
                st.error(f"{csv.name}: {e}")
        info = S.get("_csv") or {}
        if info.get("columns"):
            st.caption(f"{info['rows']} rows, {info['features']} features, {info['classes']} classes (last column)")
            st.selectbox("Label column", [""] + info["columns"], key="f_target",
                         format_func=lambda c: c or "the last column")
    if S["f_dataset"] in ("synthetic", "moons"):
        st.number_input("Examples (before the split)", 20, 10_000_000, key="f_n_samples")
    errors["dataset"] = st.empty()
    st.radio("Model", MODELS, key="f_model", horizontal=True, help="cnn needs image or sequence data")
    errors["model"] = st.empty()
    st.text_input("Hidden widths", key="f_hidden", help="MLP layer widths, e.g. 256, 256 (empty: linear model)")
    errors["hidden"] = st.empty()

with grid_col:
    st.subheader("The grid")
    sizes = design.POWERS_OF_TWO + ["full"]
    sizes += [b for b in S["f_batch_sizes"] if b not in sizes]
    st.multiselect("Batch sizes", sizes, key="f_batch_sizes", accept_new_options=True,
                   help="Powers of two, or type any size and press Enter; full = the whole training set")
    errors["batch_sizes"] = st.empty()
    st.multiselect("Optimizers", OPTIMIZERS, key="f_optimizers")
    errors["optimizers"] = st.empty()
    for opt in S["f_optimizers"]:
        st.number_input(f"Learning rate: {opt}", min_value=0.0, format="%g", key=f"f_lr_{opt}",
                        help="At base_batch_size; the LR rule scales it for other batch sizes")
    errors["lr"] = st.empty()
    hyper = [k for k, (_, opts) in OPTIM_HYPER.items() if set(opts) & set(S["f_optimizers"])]
    if hyper:
        with st.expander("Optimizer hyperparameters"):
            for k in hyper:
                applies = ", ".join(o for o in OPTIM_HYPER[k][1] if o in S["f_optimizers"])
                if k == "nesterov":
                    st.checkbox("Nesterov momentum", key="f_optim_nesterov",
                                help="Nesterov's look-ahead for momentum (the nesterov optimizer always uses it)")
                else:
                    st.number_input(f"{OPTIM_LABELS[k]} ({applies})", min_value=0.0, max_value=1.0,
                                    format="%g", step=0.01 if k != "eps" else 1e-8, key=f"f_optim_{k}",
                                    help="Default as torch's; a changed value enters the run ids")
            errors["optim"] = st.empty()
    st.radio("Shuffle", list(design.SHUFFLE_CHOICES), key="f_shuffle", horizontal=True,
             help="on: a new order every epoch; off: one fixed order; both: the grid has both")
    st.text_input("Seeds", key="f_seeds", help="e.g. 0, 1, 2: every grid point is trained once per seed; "
                                               "the charts draw a band over seeds")
    errors["seeds"] = st.empty()

with train_col:
    st.subheader("Training")
    st.number_input("Epochs (budget)", 1, 10_000, key="f_epochs", help="At most this many epochs per run")
    st.number_input("Target train accuracy", 0.0, 1.0, step=0.01, key="f_target_train_acc",
                    help="Stop a run once it reaches this (0 = off); Keskar trains to ~1.0")
    st.number_input("Target train loss", 0.0, 1e6, step=0.01, format="%g", key="f_target_train_loss",
                    help="Stop once the training loss is below this (0 = off)")
    a, b = st.columns(2)
    a.selectbox("LR rule", LR_SCALINGS, key="f_lr_scaling",
                help="none: same LR; linear: η·B/B0 (Goyal et al.); sqrt: η·√(B/B0), usual for Adam")
    b.number_input("Base batch size B0", 1, 1 << 24, key="f_base_batch_size")
    a.number_input("Warm-up epochs", 0, 10_000, key="f_warmup_epochs", help="Linear LR warm-up")
    b.selectbox("Schedule", SCHEDULES, key="f_schedule")
    errors["warmup_epochs"] = st.empty()
    a.selectbox("Loss", LOSSES, key="f_loss", help="focal uses gamma = 2")
    b.selectbox("Device", DEVICES, key="f_device", help="auto: CUDA, then MPS, then CPU")
    st.checkbox("Drop the last partial batch", key="f_drop_last",
                help="Off by default: dropping it throws away up to B−1 examples an epoch")

with st.expander("What to measure after training"):
    st.text_input("ε-sharpness (Keskar), one or more ε", key="f_sharpness_eps",
                  help="e.g. 1e-3, 5e-4; empty = off")
    errors["measure"] = st.empty()
    m1, m2, m3 = st.columns(3)
    m1.checkbox("Random sharpness", key="f_sharpness_random", help="Filter-normalised random perturbations")
    m1.checkbox("SAM sharpness", key="f_sharpness_sam", help="f(x + ρ·g/|g|) − f(x), cheap")
    m2.checkbox("Hessian λ_max and trace", key="f_hessian", help="Power iteration and Hutchinson on HVPs")
    m2.checkbox("Full Hessian spectrum", key="f_spectrum", help="Only for models under ~5,000 weights")
    m3.checkbox("Landscape slices and interpolation", key="f_landscape")
    m3.checkbox("Gradient noise scale", key="f_noise_scale", help="B_simple: the critical batch size rule")
    st.number_input("Examples used by the measurements", 16, 1_000_000, key="f_sample")

# ---- validate, estimate, launch
if S["f_dataset"] == CSV and not (S.get("_csv") or {}).get("dataset"):
    st.info("Upload your CSV above, or pick a built-in data set.")
    st.stop()
values = {k[2:]: v for k, v in S.items() if isinstance(k, str) and k.startswith("f_")}
values["dataset"] = S["_csv"]["dataset"] if S["f_dataset"] == CSV else S["f_dataset"]
info = S.get("_csv") or {}
shape = (info["rows"], info["features"], info["classes"]) if info.get("rows") else None
try:
    spec = design.build_spec(values, S.get("_base"), store.root, csv_shape=shape)
except SpecError as e:
    spec = None
    why = str(e).removeprefix(f"{e.field}: ")
    top = {"data": "dataset"}.get(e.field.split(".")[0], e.field.split(".")[0])
    if top in errors:
        errors[top].error(f"**{e.field}**: {why}")
    st.error(f"Fix **{e.field}** before launching: {why}")

if spec is not None:
    est = estimate(spec, device_slot(spec.device), csv_shape=shape)
    c1, c2, c3 = st.columns(3)
    c1.metric("Runs in the grid", est.n_runs, help="batch sizes × optimizers × shuffle × seeds")
    c2.metric("Rough time", format_seconds(est.seconds), help="A cost model good to about 3×; runs the store "
              "already has are reused and cost nothing")
    c3.metric("Weights per model", f"{est.n_params:,}")
    where, addr = st.columns([1, 2])
    executor = where.radio("Run on", ["local", "ray"], key="executor", horizontal=True,
                           format_func={"local": "this machine", "ray": "a Ray cluster"}.get,
                           help="this machine: one study at a time per device, honest epoch times. "
                                "Ray: one task per run on a cluster (README: Running a study on a Ray cluster)")
    address = addr.text_input("Ray address", key="ray_address", placeholder="empty = start Ray on this machine",
                              disabled=executor != "ray", help="e.g. HEAD:6379 or ray://HEAD:10001")
    go, dl = st.columns([1, 4])
    if go.button("Launch", type="primary", key="launch", icon=":material/play_arrow:"):
        job = ui.job_manager(str(store.root)).submit(spec, executor, address.strip() if executor == "ray" else "")
        st.success(f"Queued **{spec.name}** as job `{job['job_id']}` (state: {job['state']}).")
        st.page_link("pages/2_Jobs.py", label="Watch it on Jobs", icon=":material/queue:")
    dl.download_button("Download as TOML", spec.to_toml(), file_name=f"{spec.name}.toml", mime="application/toml",
                       key="toml_download", on_click="ignore", icon=":material/download:")
