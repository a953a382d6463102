"""The New-study form's logic (studies.office.form) and the time estimate (studies.spec.estimate)."""
import pytest

from studies import SpecError, StudySpec, measures
from studies.office import form, uploads
from studies.spec.limits import MAX_CSV_BYTES
from studies.spec.estimate import estimate, format_seconds


def test_form_defaults_round_trip_to_the_default_spec():
    """The form starts at a matched fit (train to a target, epochs a cap); a fixed budget stays available."""
    values = form.form_defaults()
    assert values["stopping"] == "target"
    default = StudySpec.from_dict({"dataset": "digits", **form.DEFAULT_TARGET})
    built = form.build_spec(values)
    assert built == StudySpec.from_dict({**default.to_dict(), "lr": {o: default.lr_for(o) for o in default.optimizers}})
    assert [r.run_id for r in built.expand(n_train=1000)] == [r.run_id for r in default.expand(n_train=1000)]   # the same runs
    budget = form.build_spec({**values, "stopping": "budget"})
    assert budget.target_train_acc == 0 and budget.target_train_loss == 0 and budget.epochs == 100


def test_the_form_takes_several_learning_rates_per_optimizer():
    values = {**form.form_defaults(), "optimizers": ["momentum", "adam"], "lr_momentum": "0.003, 0.03, 0.3",
              "lr_adam": "0.001"}
    spec = form.build_spec(values)
    assert spec.lrs_for("momentum") == (0.003, 0.03, 0.3) and spec.lrs_for("adam") == (0.001,)
    assert dict(spec.lr) == {"momentum": (0.003, 0.03, 0.3), "adam": 0.001}   # the default lr written down too
    assert form.spec_to_form(spec)["lr_momentum"] == "0.003, 0.03, 0.3"
    with pytest.raises(SpecError, match="lr.momentum"):
        form.build_spec({**values, "lr_momentum": "0.1, fast"})


def test_an_lr_search_stays_a_search_in_the_form_never_its_start_grid():
    """A template or an upload with lr = "auto" / "auto:0.01" shows it as written; building keeps it (the same
    study id); typed in the field it is read the same way; a malformed one names the field in one line."""
    spec = StudySpec.from_dict({"dataset": "digits", "optimizers": ["sgd", "adam"], "target_train_acc": 0.99,
                                "lr": {"sgd": "auto:0.01", "adam": "auto"}})
    values = form.spec_to_form(spec)
    assert values["lr_sgd"] == "auto:0.01" and values["lr_adam"] == "auto"
    again = form.build_spec(values, spec.to_dict())
    assert dict(again.lr) == {"sgd": "auto:0.01", "adam": "auto"} and again.study_id == spec.study_id
    typed = form.build_spec({**form.form_defaults(), "optimizers": ["sgd"], "lr_sgd": " Auto:0.030 "})
    assert dict(typed.lr) == {"sgd": "auto:0.03"} and len(typed.lrs_for("sgd")) == 5   # the search's start grid
    with pytest.raises(SpecError) as e:
        form.build_spec({**values, "lr_sgd": "auto:fast"})
    assert e.value.field == "lr.sgd" and "auto:0.01" in str(e.value) and "\n" not in str(e.value)


def test_pruning_is_on_in_the_form_and_its_tick_turns_it_off():
    values = form.form_defaults()
    assert values["prune"] is True and form.build_spec(values).prune
    off = form.build_spec({**values, "prune": False})
    assert not off.prune and form.spec_to_form(off)["prune"] is False
    assert off.study_id != form.build_spec(values).study_id


def test_an_uploaded_spec_fills_the_form_and_keeps_what_the_form_lacks():
    spec = StudySpec.from_toml("examples/quick.toml")
    spec = StudySpec.from_dict({**spec.to_dict(), "weight_decay": {"sgd": 0.01}, "seeds": [3, 7],
                                "batch_sizes": [8, 96, "full"]})
    values = form.spec_to_form(spec)
    assert values["seeds"] == "3, 7" and values["shuffle"] == "on"
    assert form.build_spec(values, spec.to_dict()) == spec


def test_free_text_errors_name_the_field():
    values = form.form_defaults()
    with pytest.raises(SpecError) as e:
        form.build_spec({**values, "hidden": "256, wide"})
    assert e.value.field == "hidden" and "'wide'" in str(e.value)
    with pytest.raises(SpecError) as e:
        form.build_spec({**values, "batch_sizes": []})
    assert e.value.field == "batch_sizes"
    assert form.parse_batch_sizes_text([64, "96", "Full", 8]) == [8, 64, 96, "full"]
    with pytest.raises(SpecError, match="larger than the training set") as e:   # digits trains on 1437
        form.build_spec({**values, "batch_sizes": [32, 4096]})
    assert e.value.field == "batch_sizes"


def test_a_csv_upload_is_checked_and_saved_under_the_store(tmp_path):
    good = "a,b,label\n" + "\n".join(f"{i},{i * 2},{i % 2}" for i in range(20))
    info = uploads.save_csv_upload(good.encode(), tmp_path)
    path = info["dataset"][4:]
    assert path.startswith(str((tmp_path / "uploads").resolve())) and path.endswith(".csv")
    assert info["rows"] == 20 and info["classes"] == 2 and info["columns"][-1] == "label"
    values = {**form.form_defaults(), "dataset": info["dataset"], "model": "mlp"}
    assert form.build_spec(values, store_root=tmp_path).dataset == info["dataset"]
    with pytest.raises(SpecError, match="upload"):        # no paths elsewhere on the server
        form.build_spec({**values, "dataset": "csv:/etc/hosts"}, store_root=tmp_path)
    for bad, why in [(b"\xff\xfe\x00", "CSV"), (b"a,b\n1,2\n", "at least 10 rows"),
                     (("x,y\n" + "a,b\n" * 12).encode(), "numeric"), (b"x" * (MAX_CSV_BYTES + 1), "allowed"),
                     (b",".join([b"c"] * 20_000) + b"\n", "20,000 columns")]:
        with pytest.raises(ValueError, match=why):
            uploads.save_csv_upload(bad, tmp_path)


def test_the_estimate_is_in_the_right_range_for_the_quick_study():
    est = estimate(StudySpec.from_toml("examples/quick.toml"))
    assert est.n_runs == 12
    assert 40 < est.seconds < 900          # an upper bound: every run at its 300-epoch cap (it runs in ~40 s)
    big = estimate(StudySpec.from_dict({"dataset": "mnist", "batch_sizes": [8, 1024], "seeds": [0, 1, 2]}))
    assert big.seconds > 5 * est.seconds and big.n_runs == 36   # 60k examples, batch size 8
    assert estimate(StudySpec.from_dict({"dataset": "mnist"}), "cuda").seconds < \
        estimate(StudySpec.from_dict({"dataset": "mnist"}), "cpu").seconds
    assert [format_seconds(s) for s in (5, 600, 7200, None)] == ["5 s", "10 min", "2.0 h", "—"]



def test_an_estimate_that_counts_runs_to_their_cap_says_it_is_an_upper_end():
    quick = StudySpec.from_toml("examples/quick.toml")                # trains every run to a train loss
    assert estimate(quick).capped
    fixed = StudySpec.from_dict({"dataset": "digits", "epochs": 3})
    assert not estimate(fixed).capped
    assert not estimate(StudySpec.from_dict({"dataset": "digits", "target_train_acc": 0.9,
                                             "budgets": ["epochs:3", "steps:100"]})).capped


def test_optimizer_hyperparameters_round_trip_through_the_form_and_stay_implicit_at_their_defaults():
    v = form.form_defaults()
    assert v["optim_momentum"] == 0.9 and v["optim_nesterov"] is False and v["optim_alpha"] == 0.99
    assert "optim" not in form.form_to_dict(v)                   # defaults: no [optim], same run ids
    v.update(optim_momentum=0.5, optim_nesterov=True, optim_beta2=0.95)
    spec = form.build_spec(v)
    assert dict(spec.optim) == {"momentum": 0.5, "nesterov": True, "beta2": 0.95}
    back = form.spec_to_form(spec)
    assert (back["optim_momentum"], back["optim_beta2"], back["optim_eps"]) == (0.5, 0.95, 1e-8)
    assert form.build_spec(back, spec.to_dict()) == spec
    with pytest.raises(SpecError, match="optim.beta1"):
        form.build_spec({**v, "optim_beta1": 1.0})


@pytest.mark.slow   # trains 2 tiny runs in the CLI
def test_a_spec_from_the_form_records_its_lrs_and_re_runs_from_the_cli_with_every_run_reused(tmp_path):
    import subprocess
    import sys
    import tomllib
    values = {**form.form_defaults(), "name": "formrerun", "hidden": "16", "batch_sizes": "128, 512",
              "optimizers": ["sgd"], "shuffle": "on", "stopping": "budget", "epochs": 1,
              **{s.name: "" if s.listed else False for s in measures.switches()}}
    spec = form.build_spec(values)
    path = tmp_path / "form.toml"
    path.write_text(spec.to_toml())
    assert tomllib.loads(path.read_text())["lr"] == {"sgd": 0.1}        # the default lr is on record
    store = tmp_path / "store"

    def run(spec_path):
        r = subprocess.run([sys.executable, "-m", "studies", "run", str(spec_path), "--store", str(store)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return r.stdout + r.stderr
    assert "2 to do" in run(path)
    saved = store / "studies" / spec.study_id / "spec.toml"
    assert "0 to do" in run(saved)                                        # the saved spec reuses every run


def test_batch_norm_in_the_form_round_trips_and_ghost_batch_only_goes_with_ghost():
    values = form.form_defaults()
    assert values["norm"] == "none" and values["ghost_batch"] == form.GHOST_BATCH
    plain = form.build_spec(values)
    assert plain.norm == "none" and plain.ghost_batch == 0 and "norm" not in plain.to_dict()
    ghost = form.build_spec({**values, "norm": "ghost", "ghost_batch": 16})
    assert (ghost.norm, ghost.ghost_batch) == ("ghost", 16)
    back = form.spec_to_form(ghost)
    assert (back["norm"], back["ghost_batch"]) == ("ghost", 16)
    assert form.build_spec(back, ghost.to_dict()) == ghost
    # an uploaded ghost spec switched to plain batch norm in the form: its ghost_batch does not linger
    batch = form.build_spec({**back, "norm": "batch"}, ghost.to_dict())
    assert (batch.norm, batch.ghost_batch) == ("batch", 0)
    assert {r.run_id for r in batch.expand(n_train=1000)}.isdisjoint(r.run_id for r in plain.expand(n_train=1000))


def test_batch_norm_with_batch_size_one_is_refused_in_the_form_under_batch_sizes():
    from studies.office.form_fields import field_label, field_of, form_errors
    values = {**form.form_defaults(), "norm": "batch", "batch_sizes": "1, 8"}
    spec, errors = form_errors(values, form.form_to_dict)
    assert spec is None and [field_of(e) for e in errors] == ["batch_sizes"]
    assert "remove batch size 1" in str(errors[0])
    assert field_label("ghost_batch") == "Ghost batch size N" and field_label("norm") == "Batch norm"


@pytest.mark.parametrize("norm", [{}, {"norm": "batch"}, {"norm": "ghost", "ghost_batch": 8}])
def test_the_estimate_counts_the_mlps_weights_exactly_with_or_without_a_norm(norm):
    from studies.spec.estimate import n_params
    from studies.engine.models import build_model
    spec = StudySpec.from_dict({"dataset": "digits", "hidden": [32, 16], **norm})
    model = build_model("mlp", (32, 16), (1, 8, 8), 10, 0, norm=spec.norm, ghost_batch=spec.ghost_batch)
    assert n_params(spec, 64, 10) == sum(p.numel() for p in model.parameters())
