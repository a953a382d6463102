import dataclasses

import pytest

from studies.spec.config import SpecError, StudySpec, scaled_lr

BASE = {"dataset": "digits"}


def spec(**kw):
    return StudySpec.from_dict({**BASE, **kw})


@pytest.mark.parametrize("fields, where, words", [
    ({"batch_sizes": [0]}, "batch_sizes", "0 is not a batch size; use integers ≥ 1"),
    ({"batch_sizes": [-4]}, "batch_sizes", "not a batch size"),
    ({"batch_sizes": [8, 8]}, "batch_sizes", "listed twice"),
    ({"batch_sizes": []}, "batch_sizes", "empty"),
    ({"batch_sizes": [1.5]}, "batch_sizes", "not a whole number"),
    ({"batch_sizes": ["big"]}, "batch_sizes", "not a whole number"),
    ({"dataset": "digitz"}, "dataset", "did you mean 'digits'"),
    ({"dataset": "csv:"}, "dataset", "needs a path"),
    ({"model": "resnet"}, "model", "not one of mlp, cnn"),
    ({"model": "cnn", "dataset": "wine"}, "model", "use model = \"mlp\""),
    ({"hidden": [0]}, "hidden", "out of range"),
    ({"optimizers": ["adm"]}, "optimizers", "did you mean 'adam'"),
    ({"optimizers": []}, "optimizers", "empty"),
    ({"shuffle": ["yes"]}, "shuffle", "true or false"),
    ({"seeds": [-1]}, "seeds", "out of range"),
    ({"seeds": [True]}, "seeds", "not a whole number"),
    ({"epochs": 0}, "epochs", "out of range"),
    ({"epochs": "10"}, "epochs", "not a whole number"),
    ({"target_train_acc": 99}, "target_train_acc", "use a number from 0 to 1"),
    ({"target_train_loss": -1}, "target_train_loss", "out of range"),
    ({"lr_scaling": "quadratic"}, "lr_scaling", "none, linear, sqrt"),
    ({"base_batch_size": 0}, "base_batch_size", "out of range"),
    ({"warmup_epochs": 30, "epochs": 20}, "warmup_epochs", "fewer than epochs"),
    ({"schedule": "linear"}, "schedule", "constant, cosine, step"),
    ({"loss": "mse"}, "loss", "cross_entropy, focal"),
    ({"device": "tpu"}, "device", "auto, cpu, cuda, mps"),
    ({"drop_last": 1}, "drop_last", "true or false"),
    ({"lr": {"sgd": 0}}, "lr.sgd", "use a number above 0 and at most 1000"),
    ({"lr": {"sgd": float("nan")}}, "lr.sgd", "not a number"),
    ({"lr": {"lion": 0.1}}, "lr.lion", "unknown field"),
    ({"lr": 0.1}, "lr", "expected a table"),
    ({"weight_decay": {"adamw": -0.1}}, "weight_decay.adamw", "out of range"),
    ({"name": "../etc"}, "name", "letters, digits"),
    ({"name": "x" * 65}, "name", "1–64"),
    ({"batchsize": [8]}, "batchsize", "did you mean 'batch_sizes'"),
    ({"measure": {"hesian": True}}, "measure.hesian", "did you mean 'hessian'"),
    ({"measure": {"sample": 3}}, "measure.sample", "out of range"),
    ({"measure": {"sharpness_eps": [0]}}, "measure.sharpness_eps", "above 0 and at most"),
    ({"data": {"flip_y": 2}}, "data.flip_y", "out of range"),
    ({"data": {"n_classes": 1}}, "data.n_classes", "out of range"),
    ({"data": {"n_informative": 50, "n_features": 10}}, "data.n_informative", "at most n_features"),
    ({"data": {"colour": 1}}, "data.colour", "unknown field"),
    ({"batch_sizes": list(range(1, 200)), "seeds": list(range(100))}, "batch_sizes", "more than"),
])
def test_every_validation_error_names_the_field(fields, where, words):
    with pytest.raises(SpecError) as e:
        spec(**fields)
    assert e.value.field == where
    assert str(e.value).startswith(f"{where}: ")
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_dataset_and_toml_syntax():
    with pytest.raises(SpecError, match="^dataset: missing"):
        StudySpec.from_dict({"name": "x"})
    with pytest.raises(SpecError, match="^toml: not valid TOML"):
        StudySpec.from_toml('dataset = "digits"\nbatch_sizes = [8,\n')
    with pytest.raises(SpecError, match="not found"):
        StudySpec.from_toml("/nonexistent/spec.toml")


def test_defaults_and_toml_round_trip():
    s = spec(lr={"adam": 0.01}, batch_sizes=[8, "full"])
    assert s.model == "mlp" and s.hidden == (256, 256) and s.lr_for("adam") == 0.01 and s.lr_for("sgd") == 0.1
    assert s.weight_decay_for("adamw") == 0.01 and s.weight_decay_for("sgd") == 0.0
    assert StudySpec.from_toml(s.to_toml()) == s
    assert StudySpec.from_toml(s.to_toml()).study_id == s.study_id


def test_scalars_are_accepted_where_lists_are_expected():
    s = spec(shuffle=False, seeds=3, batch_sizes=16)
    assert s.shuffle == (False,) and s.seeds == (3,) and s.batch_sizes == (16,)


def test_grid_size_and_stable_order():
    s = spec(batch_sizes=[128, 8, 32], optimizers=["adam", "sgd"], shuffle=[False, True], seeds=[1, 0])
    runs = s.expand(n_train=1000)
    assert len(runs) == s.n_runs == 3 * 2 * 2 * 2
    keys = [(r.batch_size, r.optimizer, r.shuffle, r.seed) for r in runs]
    assert keys[:4] == [(8, "adam", True, 0), (8, "adam", True, 1), (8, "adam", False, 0), (8, "adam", False, 1)]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    assert keys == [(r.batch_size, r.optimizer, r.shuffle, r.seed) for r in s.expand(n_train=1000)]
    assert len({r.run_id for r in runs}) == len(runs)


def test_batch_size_larger_than_training_set_is_refused_and_full_resolves():
    with pytest.raises(SpecError, match="larger than the training set \\(100 examples\\)"):
        spec(batch_sizes=[8, 512]).expand(n_train=100)
    runs = spec(batch_sizes=[8, "full"], optimizers=["sgd"], shuffle=[True]).expand(n_train=100)
    assert [r.batch_size for r in runs] == [8, 100]
    with pytest.raises(SpecError, match="equals another"):
        spec(batch_sizes=[100, "full"]).expand(n_train=100)


def test_run_id_is_stable_and_sensitive_to_what_matters_only():
    one = spec(batch_sizes=[32], optimizers=["sgd"], shuffle=[True]).expand(n_train=1000)[0]
    same = spec(batch_sizes=[32], optimizers=["sgd"], shuffle=[True], name="renamed",
                measure={"hessian": False}, data={"data_dir": "/elsewhere", "download": True}).expand(n_train=1000)[0]
    assert one.run_id == same.run_id   # name, measurements, data folder: not in the id
    assert one.run_id == spec(batch_sizes=[32], optimizers=["sgd"], shuffle=[True]).expand(n_train=1000)[0].run_id
    # linear scaling at B = B0 gives the same lr, so the same run
    assert spec(batch_sizes=[32], optimizers=["sgd"], shuffle=[True], lr_scaling="linear",
                base_batch_size=32).expand(n_train=1000)[0].run_id == one.run_id
    for change in (dict(epochs=3), dict(seeds=[1]), dict(lr={"sgd": 0.2}), dict(hidden=[64]),
                   dict(shuffle=[False]), dict(loss="focal"), dict(schedule="cosine"), dict(drop_last=True),
                   dict(data={"split_seed": 1}), dict(target_train_acc=0.9), dict(warmup_epochs=1)):
        args = dict(batch_sizes=[32], optimizers=["sgd"], shuffle=[True])
        args.update(change)
        assert spec(**args).expand(n_train=1000)[0].run_id != one.run_id, change
    assert spec(batch_sizes=[32], optimizers=["sgd"], shuffle=[True]).expand(
        n_train=1000, device="cuda")[0].run_id != one.run_id


def test_optim_hyperparameters_enter_the_run_id_only_when_set_and_only_for_their_optimizer():
    grid = dict(batch_sizes=[32], optimizers=["momentum", "adam", "rmsprop"], shuffle=[True])
    base = {r.optimizer: r for r in spec(**grid).expand(n_train=1000)}
    assert all(r.hyper == () and "hyper" not in r.identity() for r in base.values())
    assert "optim" not in spec(**grid).to_dict()            # earlier study ids are kept
    tuned = {r.optimizer: r for r in spec(**grid, optim={"momentum": 0.5, "nesterov": True, "beta2": 0.95,
                                                         "alpha": 0.9}).expand(n_train=1000)}
    assert dict(tuned["momentum"].hyper) == {"momentum": 0.5, "nesterov": True}
    assert dict(tuned["adam"].hyper) == {"beta2": 0.95} and dict(tuned["rmsprop"].hyper) == {"alpha": 0.9}
    assert all(tuned[o].run_id != base[o].run_id for o in base)
    # a value for another optimizer leaves this one's id alone
    only_adam = {r.optimizer: r for r in spec(**grid, optim={"eps": 1e-6}).expand(n_train=1000)}
    assert only_adam["momentum"].run_id == base["momentum"].run_id != only_adam["adam"].run_id
    s = spec(**grid, optim={"beta1": 0.8})
    assert StudySpec.from_toml(s.to_toml()) == s


@pytest.mark.parametrize("optim, words", [({"beta1": 1.0}, "below 1"), ({"momentum": -0.1}, "optim.momentum"),
                                          ({"nesterov": "yes"}, "optim.nesterov"), ({"beta3": 0.9}, "unknown field"),
                                          ({"eps": 0}, "optim.eps")])
def test_bad_optim_values_name_the_field(optim, words):
    with pytest.raises(SpecError, match=words.replace(".", r"\.")):
        spec(optim=optim)


def test_run_id_includes_schema_version(monkeypatch):
    import studies.spec.config as cfg
    run = spec(batch_sizes=[32], optimizers=["sgd"], shuffle=[True]).expand(n_train=1000)[0]
    before = run.run_id
    monkeypatch.setattr(cfg, "SCHEMA_VERSION", cfg.SCHEMA_VERSION + 1)
    assert run.run_id != before


def test_lr_scaling_rules():
    assert scaled_lr(0.1, 128, 32, "none") == 0.1
    assert scaled_lr(0.1, 128, 32, "linear") == pytest.approx(0.4)
    assert scaled_lr(0.1, 128, 32, "sqrt") == pytest.approx(0.2)
    runs = spec(batch_sizes=[8, 128], optimizers=["sgd"], shuffle=[True], lr_scaling="linear").expand(n_train=1000)
    assert [r.lr for r in runs] == pytest.approx([0.025, 0.4])


def test_specs_are_frozen():
    s = spec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.epochs = 3


def test_example_specs_parse():
    from pathlib import Path
    for p in sorted((Path(__file__).parents[1] / "examples").glob("**/*.toml")):   # gpu/ too
        StudySpec.from_toml(p)


def test_no_batch_norm_keeps_earlier_run_and_study_ids_and_norm_enters_them_when_set():
    """Pinned: the ids this spec had before norm / ghost_batch existed (cached runs are reused)."""
    grid = dict(batch_sizes=[32], optimizers=["sgd"], shuffle=[True])
    base = spec(**grid)
    run = base.expand(n_train=1000)[0]
    assert (run.run_id, base.study_id) == ("0893dee26a89c8ce", "363738c50a8da044")
    assert "norm" not in run.identity() and "ghost_batch" not in base.to_dict()
    bn, ghost = spec(**grid, norm="batch"), spec(**grid, norm="ghost", ghost_batch=8)
    ids = {run.run_id, bn.expand(n_train=1000)[0].run_id, ghost.expand(n_train=1000)[0].run_id,
           spec(**grid, norm="ghost", ghost_batch=16).expand(n_train=1000)[0].run_id}
    assert len(ids) == 4
    assert ghost.expand(n_train=1000)[0].ghost_batch == 8 and bn.expand(n_train=1000)[0].norm == "batch"
    assert StudySpec.from_toml(ghost.to_toml()) == ghost and StudySpec.from_toml(bn.to_toml()) == bn


@pytest.mark.parametrize("fields, where, words", [
    ({"norm": "layer"}, "norm", "not one of none, batch, ghost"),
    ({"norm": "ghost"}, "ghost_batch", "add for example ghost_batch = 32"),
    ({"ghost_batch": 16}, "ghost_batch", "set norm = \"ghost\" or remove ghost_batch"),
    ({"norm": "batch", "ghost_batch": 16}, "ghost_batch", "only applies with norm = \"ghost\""),
    ({"norm": "ghost", "ghost_batch": 1}, "ghost_batch", "out of range; use an integer from 2"),
    ({"norm": "ghost", "ghost_batch": 2.5}, "ghost_batch", "not a whole number"),
    ({"norm": "batch", "batch_sizes": [1, 8]}, "batch_sizes", "remove batch size 1 or set norm = \"none\""),
])
def test_bad_norm_settings_say_what_to_change(fields, where, words):
    from studies import i18n
    from studies.office.form_fields import error_text
    with pytest.raises(SpecError) as e:
        spec(**fields)
    assert e.value.field == where and words in str(e.value) and "\n" not in str(e.value)
    with i18n.language("zh"):   # the form says the same in Chinese
        zh = error_text(e.value)
    assert zh and not any(w in zh for w in ("remove", "needs", "applies", "not one of", "out of range"))
