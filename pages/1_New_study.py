"""New study: design a batch-size study, see its grid size and a rough time, and queue it.

Widgets only; parsing and checks are in studies.office.form and studies.office.uploads (every upload and every spec
built here goes through the shared dashboard's guards), the estimate in studies.spec.estimate, the queue in
studies.office.jobs. Launching writes the spec to the queue: training never runs in this page's script run.
"""
import streamlit as st

import ui
from studies import measures, papers
from studies.office import form, form_fields, learned, uploads
from studies.i18n import code, plain, t
from studies.spec.budget import BATCH_SCHEDULES
from studies.office.clusters import ClusterError, configured_clusters
from studies.spec.config import (DATASET_KINDS, DEVICES, LOSSES, LR_SCALINGS, MODELS, NORMS, OPTIM_HYPER, OPTIMIZERS,
                            SCHEDULES, SpecError)
from studies.spec.estimate import confirm_above_s, format_seconds
from studies.spec.runnable import check_runnable
from studies.office.jobfile import NeedsConfirmation, QueueFull, max_queued, queue_seconds
from studies.spec.limits import MAX_SPEC_BYTES
from studies.engine.device import device_slot

store = ui.page(t("nav.New_study"), ":material/science:")
S = st.session_state
CSV = "csv (upload your own)"


def fill_form(spec, source: str) -> None:
    """Put a spec (a paper's template, an uploaded TOML) into the form; fields the form lacks are kept."""
    S["_filled_by"] = source
    values = form.spec_to_form(spec)
    S["_base"] = spec.to_dict()
    S["_csv"] = {"dataset": spec.dataset} if spec.dataset.startswith("csv:") else None
    values["dataset"] = CSV if spec.dataset.startswith("csv:") else spec.dataset
    S.update({f"f_{k}": v for k, v in values.items()})


# ---- start from a paper's template (examples/) or an uploaded TOML: either fills the form
# Streamlit's own "1MB per file" line is English and counts whole MB; the labels say the real limits instead
st.html("<style>[data-testid='stFileUploaderDropzoneInstructions']{display:none}</style>")
paper_col, toml_col = st.columns(2)
keys = [""] + [p.key for p in papers.templates()]
linked = st.query_params.get("paper_pick")   # ?paper_pick=keskar: the template's key (a bound widget wrote its label)
if linked in keys and linked != S.get("_linked_pick"):
    S["_linked_pick"] = S["paper_pick"] = linked
pick = paper_col.selectbox(t("paper.pick"), keys, key="paper_pick", help=t("paper.pick_help"),
                           format_func=lambda k: papers.label(k) if k else t("paper.none"))
if pick:
    st.query_params["paper_pick"] = S["_linked_pick"] = pick
else:
    st.query_params.pop("paper_pick", None)
if pick != S.get("_paper"):
    S["_paper"] = pick
    template, S["_paper_bad"] = papers.load_or_error(pick) if pick else (None, None)
    if template is not None:
        fill_form(template, pick)
up = toml_col.file_uploader(t("form.toml", kib=MAX_SPEC_BYTES >> 10), type=["toml"], key="toml_upload",
                            max_upload_size=1, help=t("form.toml_help"))
if up is None:
    S.pop("_toml_bad", None)          # cleared: the form is usable again
if up is not None and S.get("_toml_id") != up.file_id:
    S["_toml_id"] = up.file_id
    try:
        spec = uploads.parse_spec_upload(up, store=store)   # size, depth, the shared dashboard's data rules
    except SpecError as e:
        S["_toml_bad"] = t("form.toml_bad", field=e.field, why=form_fields.error_text(e))   # its key
    else:
        S.pop("_toml_bad", None)
        fill_form(spec, "toml")
if pick and S.get("_paper_bad"):
    paper_col.warning(S["_paper_bad"])
elif pick and S.get("_filled_by") == pick:   # an upload since then filled the form: the note is no longer true
    paper_col.info(papers.described(pick))
if S.get("_toml_bad"):
    st.error(S["_toml_bad"])
for k, v in form.form_defaults().items():
    S.setdefault(f"f_{k}", v)
if not isinstance(S["f_batch_sizes"], str):   # a list from an older session: the field is text now
    S["f_batch_sizes"] = form_fields.format_batch_sizes(S["f_batch_sizes"])
errors = {}   # field → a placeholder under its widget, filled after validation

data_col, grid_col, train_col = st.columns(3)
with data_col:
    st.subheader(t("form.data_and_model"))
    st.text_input(t("form.name"), key="f_name", help=t("form.name_help"))
    st.selectbox(t("form.dataset"), list(DATASET_KINDS) + [CSV], key="f_dataset", help=t("form.dataset_help"),
                 format_func=lambda d: t("form.csv_choice") if d == CSV else d)
    if S["f_dataset"] == CSV:
        csv = st.file_uploader(t("form.your_csv_limit", mib=uploads.MAX_CSV_BYTES >> 20), type=["csv"],
                               key="csv_upload",
                               max_upload_size=uploads.MAX_CSV_BYTES >> 20,
                               help=t("form.your_csv_help", mib=uploads.MAX_CSV_BYTES >> 20))
        room = uploads.upload_limits()   # the server's limits, said under the uploader
        st.caption(t("form.upload_limits", n=room["per_session"], quota=f"{room['quota_bytes'] >> 20:,}",
                     hours=f"{room['ttl_s'] / 3600:g}"))
        if csv is not None and (S.get("_csv") or {}).get("file_id") != csv.file_id:
            try:
                S["_csv"] = {**uploads.save_csv_upload(csv, store, session_uploads=S.get("_n_uploads", 0)),
                             "file_id": csv.file_id}
                S["_n_uploads"] = S.get("_n_uploads", 0) + 1
            except SpecError as e:
                S["_csv"] = None
                st.error(f"{plain(csv.name)}: {plain(str(e).removeprefix('upload: '))}")
        info = S.get("_csv") or {}
        if info.get("columns"):
            st.caption(t("form.csv_shape", rows=info["rows"], features=info["features"], classes=info["classes"]))
            st.selectbox(t("form.label_column"), [""] + info["columns"], key="f_target",
                         format_func=lambda c: c or t("form.last_column"))
    if S["f_dataset"] in ("synthetic", "moons"):
        st.number_input(t("form.n_samples"), 20, 10_000_000, key="f_n_samples")
    errors["dataset"] = st.empty()
    st.radio(t("form.model"), MODELS, key="f_model", horizontal=True, help=t("form.model_help"))
    errors["model"] = st.empty()
    st.text_input(t("form.hidden"), key="f_hidden", help=t("form.hidden_help"))
    errors["hidden"] = st.empty()
    st.radio(t("form.norm"), NORMS, key="f_norm", horizontal=True, help=t("form.norm_help"),
             format_func=lambda c: t(f"form.norm.{c}"))
    if S["f_norm"] == "ghost":
        st.number_input(t("form.ghost_batch"), 2, 1 << 24, key="f_ghost_batch", help=t("form.ghost_batch_help"))
    errors["ghost_batch"] = st.empty()

with grid_col:
    st.subheader(t("form.grid"))
    csv_info = S.get("_csv") or {}
    n_train = form_fields.training_size(
        csv_info.get("dataset", "csv:") if S["f_dataset"] == CSV else S["f_dataset"],
        (csv_info["rows"], csv_info["features"], csv_info["classes"]) if csv_info.get("rows") else None,
        S.get("f_n_samples"))
    choices = form_fields.batch_size_choices(n_train)
    st.text_input(t("form.batch_sizes"), key="f_batch_sizes", placeholder="8, 64, 512, full",
                  help=t("form.batch_sizes_help"))
    try:
        typed = form_fields.parse_batch_sizes_text(S["f_batch_sizes"])
    except SpecError:
        typed = []
    if typed:   # the parsed sizes as chips: what the grid will have
        st.markdown(" ".join(f":blue-badge[{b if b != 'full' else t('form.full_is', n=n_train or '?')}]"
                             for b in typed))
    st.caption(t("form.batch_choices", sizes=", ".join(map(str, choices[:-1])),
                 n=n_train if n_train else "?"))
    errors["batch_sizes"] = st.empty()
    st.multiselect(t("form.optimizers"), OPTIMIZERS, key="f_optimizers")
    errors["optimizers"] = st.empty()
    for opt in S["f_optimizers"]:
        st.text_input(t("form.lr", opt=opt), key=f"f_lr_{opt}", help=t("form.lr_help"))
    errors["lr"] = st.empty()
    hyper = [k for k, (_, opts) in OPTIM_HYPER.items() if set(opts) & set(S["f_optimizers"])]
    if hyper:
        with st.expander(t("form.optim")):
            for k in hyper:
                applies = ", ".join(o for o in OPTIM_HYPER[k][1] if o in S["f_optimizers"])
                if k == "nesterov":
                    st.checkbox(t("form.optim.nesterov"), key="f_optim_nesterov", help=t("form.optim.nesterov_help"))
                else:
                    st.number_input(f"{t(f'form.optim.{k}')} ({applies})", min_value=0.0, max_value=1.0,
                                    format="%g", step=min(0.01, OPTIM_HYPER[k][0]), key=f"f_optim_{k}",
                                    help=t("form.optim_help"))
            errors["optim"] = st.empty()
    st.radio(t("form.shuffle"), list(form.SHUFFLE_CHOICES), key="f_shuffle", horizontal=True,
             help=t("form.shuffle_help"), format_func=lambda c: t(f"form.shuffle.{c}"))
    st.text_input(t("form.seeds"), key="f_seeds", help=t("form.seeds_help"))
    errors["seeds"] = st.empty()

with train_col:
    st.subheader(t("form.training"))
    st.radio(t("form.stopping"), form.STOPPING, key="f_stopping", help=t("form.stopping_help"),
             format_func=lambda c: t(f"form.stopping.{c}"))
    budget = S["f_stopping"] == "budget"
    st.number_input(t("form.epochs" if budget else "form.epochs_cap"), 1, 10_000, key="f_epochs",
                    help=t("form.epochs_help"))
    errors["epochs"] = st.empty()
    st.number_input(t("form.target_acc"), 0.0, 1.0, step=0.01, key="f_target_train_acc",
                    help=t("form.target_acc_help"), disabled=budget)
    st.number_input(t("form.target_loss"), 0.0, 1e6, step=0.01, format="%g", key="f_target_train_loss",
                    help=t("form.target_loss_help"), disabled=budget)
    st.text_input(t("form.budgets"), key="f_budgets", placeholder="epochs:30, steps:6000, target",
                  help=t("form.budgets_help"))
    if str(S.get("f_budgets") or "").strip():
        st.caption(t("form.budgets_replace"))
    errors["budgets"] = st.empty()
    a, b = st.columns(2)
    a.selectbox(t("form.batch_schedule"), BATCH_SCHEDULES, key="f_batch_schedule", help=t("form.batch_schedule_help"),
                format_func=lambda c: t(f"form.batch_schedule.{c}"))
    b.number_input(t("form.batch_growth"), 2, 1024, key="f_batch_growth", disabled=S["f_batch_schedule"] == "constant")
    errors["batch_schedule"], errors["batch_growth"] = st.empty(), st.empty()
    a, b = st.columns(2)
    a.selectbox(t("form.lr_rule"), LR_SCALINGS, key="f_lr_scaling", help=t("form.lr_rule_help"),
            format_func=lambda c: t(f"form.lr_rule.{c}"))
    b.number_input(t("form.base_batch"), 1, 1 << 24, key="f_base_batch_size")
    a.number_input(t("form.warmup"), 0, 10_000, key="f_warmup_epochs", help=t("form.warmup_help"))
    b.selectbox(t("form.schedule"), SCHEDULES, key="f_schedule", format_func=lambda c: t(f"form.schedule.{c}"))
    errors["warmup_epochs"] = st.empty()
    a.selectbox(t("form.loss"), LOSSES, key="f_loss", help=t("form.loss_help"),
            format_func=lambda c: t(f"form.loss.{c}"))
    b.selectbox(t("form.device"), DEVICES, key="f_device", help=t("form.device_help"),
            format_func=lambda c: c if c != "auto" else t("form.device.auto"))
    st.checkbox(t("form.drop_last"), key="f_drop_last", help=t("form.drop_last_help"))
    st.checkbox(t("form.prune"), key="f_prune", help=t("form.prune_help"))

with st.expander(t("form.measure")):
    for s in measures.switches():   # list switches (ε values) as text, then the checkboxes in three columns
        if s.listed:
            st.text_input(t(s.form), key=f"f_{s.name}", help=t(f"{s.form}_help"))
    errors["measure"] = st.empty()
    boxes = st.columns(3)
    for s in measures.switches():
        if not s.listed:
            boxes[s.group].checkbox(t(s.form), key=f"f_{s.name}", help=t(f"{s.form}_help"))
    st.number_input(t("form.sample"), 16, 1_000_000, key="f_sample", help=t("form.sample_help"))

# ---- validate, estimate, launch
if S["f_dataset"] == CSV and not (S.get("_csv") or {}).get("dataset"):
    st.info(t("form.upload_csv_first"))
    st.stop()
values = {k[2:]: v for k, v in S.items() if isinstance(k, str) and k.startswith("f_")}
values["dataset"] = S["_csv"]["dataset"] if S["f_dataset"] == CSV else S["f_dataset"]
info = S.get("_csv") or {}
shape = (info["rows"], info["features"], info["classes"]) if info.get("rows") else None
sized = not values["dataset"].startswith("csv:") or shape
spec, problems = form_fields.form_errors(
    values, lambda v: form.form_to_dict(v, S.get("_base")),
    n_train=(lambda sp: form.data_shape(sp, shape)[0]) if sized else None)
if spec is not None:   # the shared dashboard's data rules and this machine's size limits, as build_spec checks
    try:
        uploads.check_shared_spec(spec, store.root)
        est = check_runnable(spec, device_slot(spec.device), csv_shape=shape)   # the CLI's own check (its job's)
    except SpecError as e:
        spec, problems = None, [e]
under = {}   # every problem under its field, and all of them in one list above Launch
for e in problems:
    under.setdefault(form_fields.field_of(e), []).append(e)
for top, errs in under.items():
    if top in errors:
        errors[top].error("\n\n".join(f"**{plain(form_fields.field_label(e.field))}**: "
                                      f"{form_fields.error_text(e)}" for e in errs))
if problems:
    st.error(t("form.fix_all", n=len(problems)) + "\n" + "\n".join(
        f"- **{plain(form_fields.field_label(e.field))}**: {form_fields.error_text(e)}"
        for e in problems))

if spec is not None:
    c1, c2, c3 = st.columns(3)
    c1.metric(t("form.n_runs"), est.n_runs, help=t("form.n_runs_help"))
    seen = learned.learned_estimate(spec, ui.finished_rates(store), device_slot(spec.device), shape, built=est)
    c2.metric(t("form.rough_time"), t("form.at_most", time=format_seconds(seen.seconds)) if seen.capped
              else format_seconds(seen.seconds), help=t("form.rough_time_help_capped" if seen.capped
                                                        else "form.rough_time_help"))
    c3.metric(t("form.n_params"), f"{est.n_params:,}")
    st.caption(t(f"form.est_{seen.source}", n=seen.n_from_store, sizes=", ".join(map(str, seen.sizes_from_store))))
    executor, cluster = "pool", ""
    try:
        clusters = list(configured_clusters())     # only the clusters this server's owner listed
    except ClusterError as e:
        clusters = []
        st.warning(str(e))
    if clusters:
        where, which = st.columns([1, 2])
        executor = where.radio(t("form.run_on"), ["pool", "ray"], key="executor", horizontal=True,
                               format_func={"pool": t("form.this_machine"), "ray": t("form.ray_cluster")}.get,
                               help=t("form.run_on_help"))
        cluster = which.selectbox(t("form.ray_which"), clusters, key="ray_cluster", disabled=executor != "ray",
                                  help=t("form.ray_which_help"))
    pair = papers.twin(pick) if pick and S.get("_filled_by") == pick else None   # Smith: smith-decay.toml too
    if pair is not None:
        try:
            pair_est = check_runnable(pair, device_slot(pair.device))
            pair_s = learned.learned_estimate(pair, ui.finished_rates(store), device_slot(pair.device),
                                              built=pair_est).seconds   # learned like the study's own
        except SpecError:
            pair = None
    if pair is not None and not st.checkbox(t("paper.launch_twin", file=papers.paper(pick).twin + ".toml",
                                              n=pair_est.n_runs, time=format_seconds(pair_s)),
                                            value=True, key="launch_twin"):
        pair = None
    waiting = queue_seconds(ui.job_manager(str(store.root)).queue.jobs())   # fifty short studies are long too
    waiting += pair_est.seconds if pair is not None else 0   # the queue's rule: the built-in price
    long = waiting + est.seconds > confirm_above_s()   # a 10,000-run grid must not start on one click
    if long:
        st.warning(t("form.long", time=format_seconds(est.seconds), n=f"{est.n_runs:,}",
                     limit=format_seconds(confirm_above_s())) if not waiting else
                   t("form.long_queue", time=format_seconds(est.seconds), n=f"{est.n_runs:,}",
                     queue=format_seconds(waiting), total=format_seconds(waiting + est.seconds),
                     limit=format_seconds(confirm_above_s())))
        st.checkbox(t("form.long_confirm", n=f"{est.n_runs:,}", time=format_seconds(est.seconds)), key="confirm_long")
    go, dl = st.columns([1, 4])
    blocked = bool(S.get("_toml_bad"))   # a rejected upload: launching the default form instead would surprise
    if go.button(t("form.launch"), type="primary", key="launch", icon=":material/play_arrow:",
                 disabled=blocked or (long and not S.get("confirm_long")),
                 help=t("form.launch_blocked") if blocked else None):
        queued = [(spec, pair)] + ([(pair, spec)] if pair is not None else [])   # each names the other
        try:
            for one, other in queued:
                job = ui.job_manager(str(store.root)).submit(one, executor, cluster if executor == "ray" else "",
                                                             confirmed=bool(S.get("confirm_long")),
                                                             pair=other.study_id if other is not None else "")
                st.success(t("form.queued", name=one.name, job=code(job["job_id"])))
        except QueueFull:
            st.error(t("form.queue_full", n=max_queued()))
        except (SpecError, NeedsConfirmation) as e:   # the queue changed since this page checked
            st.error(plain(str(e)))
        st.page_link("pages/2_Jobs.py", label=t("form.watch"), icon=":material/queue:")
        if pair is not None:
            st.page_link("pages/6_Compare.py", label=t("paper.twin_queued", a=spec.name, b=pair.name),
                         query_params={"studies": f"{spec.study_id},{pair.study_id}"}, icon=":material/compare_arrows:")
    dl.download_button(t("form.download_toml"), spec.to_toml(), file_name=f"{spec.name}.toml", mime="application/toml",
                       key="toml_download", on_click="ignore", icon=":material/download:")
