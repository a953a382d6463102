"""The New-study form's logic: form values ↔ a StudySpec dict, checked by the shared dashboard's rules.

The page keeps only widgets; here the free-text fields are parsed (errors are SpecErrors naming the field, as
StudySpec's own), an uploaded TOML becomes form values, and form values become the dict that
``StudySpec.from_dict`` validates. Fields the form does not show (weight decay, estimator budgets) are kept
from an uploaded TOML, so "upload, change a field, launch" loses nothing. No streamlit, no torch.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

from .. import measures
from ..spec.budget import targeted
from ..spec.config import DEFAULT_LR, OPTIM_HYPER, SpecError, StudySpec
from ..spec.lr_auto import AUTO, is_auto, read_auto
from ..spec.spec_checks import int_text
from ..spec.estimate import data_shape
from ..spec.runnable import check_runnable
from .form_fields import format_batch_sizes, parse_batch_sizes_text
from .uploads import check_shared_spec

SHUFFLE_CHOICES = {"on": [True], "off": [False], "both": [True, False]}
GHOST_BATCH = 32   # the form's ghost batch size until one is typed (Hoffer et al. used 128 on CIFAR)


def parse_numbers(field: str, text: str, kind=int) -> list:
    """'256, 256' → [256, 256]; a word that is not a number is a SpecError naming the field."""
    out = []
    for part in str(text).replace(";", ",").replace(" ", ",").split(","):
        if not part.strip():
            continue
        try:
            out.append(int_text(field, part) if kind is int else kind(part))
        except SpecError:
            raise
        except ValueError:
            raise SpecError(field, key="spec.not_whole_numbers" if kind is int else "spec.not_numbers",
                            v=repr(part.strip())) from None
    return out


# The form starts at a matched fit: every run to 99 % train accuracy, at most 100 epochs (fairness.py).
DEFAULT_TARGET = {"target_train_acc": 0.99, "epochs": 100}
STOPPING = ("target", "budget")


def form_defaults() -> dict:
    """The form's starting values: StudySpec's defaults (dataset: digits, ready offline), trained to a target."""
    return spec_to_form(StudySpec.from_dict({"dataset": "digits", **DEFAULT_TARGET}))


def format_lrs(values) -> str:
    return ", ".join(format(x, "g") for x in values)


def lr_text(spec: StudySpec, opt: str) -> str:
    """The lr field of ``opt``: "auto" / "auto:0.01" as written (an lr search, never its start grid), else the
    lrs, comma-separated."""
    value = dict(spec.lr).get(opt)
    return value if is_auto(value) else format_lrs(spec.lrs_for(opt))


def spec_to_form(spec: StudySpec) -> dict:
    """A spec (e.g. from an uploaded TOML) as the form's widget values."""
    m = spec.measure
    return {
        "name": spec.name, "dataset": spec.dataset, "model": spec.model,
        "hidden": ", ".join(map(str, spec.hidden)), "batch_sizes": format_batch_sizes(spec.batch_sizes),
        "optimizers": list(spec.optimizers),
        "shuffle": {(True,): "on", (False,): "off"}.get(tuple(spec.shuffle), "both"),
        "seeds": ", ".join(map(str, spec.seeds)), "epochs": spec.epochs,
        "target_train_acc": spec.target_train_acc, "target_train_loss": spec.target_train_loss,
        "stopping": "target" if targeted(spec) else "budget",
        "lr_scaling": spec.lr_scaling, "base_batch_size": spec.base_batch_size,
        "warmup_epochs": spec.warmup_epochs, "schedule": spec.schedule, "loss": spec.loss,
        "device": spec.device, "drop_last": spec.drop_last, "prune": spec.prune,
        "budgets": ", ".join(spec.budgets), "batch_schedule": spec.batch_schedule, "batch_growth": spec.batch_growth,
        **{f"lr_{o}": lr_text(spec, o) for o in DEFAULT_LR},
        **{f"optim_{k}": dict(spec.optim).get(k, default) for k, (default, _) in OPTIM_HYPER.items()},
        **{s.name: format_lrs(getattr(m, s.name)) if s.listed else getattr(m, s.name) for s in measures.switches()},
        "sample": m.sample,
        "target": spec.data.target, "n_samples": spec.data.n_samples,
        "norm": spec.norm, "ghost_batch": spec.ghost_batch or GHOST_BATCH,
    }


def form_to_dict(v: dict, base: dict | None = None) -> dict:
    """Form values → a StudySpec dict (unvalidated), on top of ``base`` (an uploaded TOML's dict)."""
    d = copy.deepcopy(base or {})
    d.update({
        "name": v["name"], "dataset": v["dataset"], "model": v["model"],
        "hidden": parse_numbers("hidden", v["hidden"]), "batch_sizes": parse_batch_sizes_text(v["batch_sizes"]),
        "optimizers": list(v["optimizers"]), "shuffle": SHUFFLE_CHOICES[v["shuffle"]],
        "seeds": parse_numbers("seeds", v["seeds"]), "epochs": v["epochs"],
        "target_train_acc": v["target_train_acc"], "target_train_loss": v["target_train_loss"],
        "lr_scaling": v["lr_scaling"], "base_batch_size": v["base_batch_size"],
        "warmup_epochs": v["warmup_epochs"], "schedule": v["schedule"], "loss": v["loss"],
        "device": v["device"], "drop_last": v["drop_last"], "prune": v.get("prune", True),
    })
    d.pop("ghost_batch", None)   # the form's norm wins over an uploaded one; its size only where it applies
    d["norm"] = v.get("norm", "none")
    if d["norm"] == "ghost":
        d["ghost_batch"] = v.get("ghost_batch", GHOST_BATCH)
    if v.get("stopping", "target") == "budget":   # a fixed epoch budget: no target
        d["target_train_acc"] = d["target_train_loss"] = 0.0
    budgets = parse_budgets_text(v.get("budgets", ""))   # none listed: the stopping rule is the one budget
    d.pop("budgets", None)
    if budgets:
        d["budgets"] = budgets
    d["batch_schedule"] = v.get("batch_schedule", "constant")
    d.pop("batch_growth", None)
    if d["batch_schedule"] != "constant":
        d["batch_growth"] = v.get("batch_growth", 10)
    # every lr the study runs with is written down (defaults included), so its saved spec re-runs as it ran
    lrs = {o: _lr_value(o, v[f"lr_{o}"]) for o in v["optimizers"]}
    d["lr"] = {**d.get("lr", {}), **lrs}
    given = d.get("optim", {})   # like the LRs: a default value stays implicit, so run ids do not change
    optim = {**given, **{k: v[f"optim_{k}"] for k, (default, _) in OPTIM_HYPER.items()
                         if f"optim_{k}" in v and (k in given or v[f"optim_{k}"] != default)}}
    d.pop("optim", None)
    if optim:
        d["optim"] = optim
    d["measure"] = {**d.get("measure", {}), **{s.name: parse_numbers(f"measure.{s.name}", v[s.name], float)
                                               if s.listed else v[s.name] for s in measures.switches()},
                    "sample": v["sample"]}
    data = dict(d.get("data", {}))
    if v["dataset"].startswith("csv:"):
        data["target"] = v.get("target", "")
    if v["dataset"] in ("synthetic", "moons"):
        data["n_samples"] = v.get("n_samples", data.get("n_samples", 4000))
    if data:
        d["data"] = data
    return d


def parse_budgets_text(text) -> list[str]:
    """'epochs:30, steps:6000 target' -> ["epochs:30", "steps:6000", "target"]: split only; StudySpec reads
    each (budget.read_budget) and names what to change."""
    if isinstance(text, (list, tuple)):
        return [str(b) for b in text]
    return [w for w in re.split(r"[,;\s]+", str(text)) if w]


def _lr_value(opt: str, text) -> float | list[float] | str:
    """One number, or several (a sweep) from '0.003, 0.03, 0.3'; "auto" or "auto:0.01" (an lr search: kept as
    written, read by lr_auto.read_auto); an empty field is the default lr."""
    if isinstance(text, (int, float)):
        return float(text)
    if str(text).strip().lower().startswith(AUTO):
        return read_auto(f"lr.{opt}", str(text))
    vals = parse_numbers(f"lr.{opt}", text, float)
    if not vals:
        return DEFAULT_LR[opt]
    return vals[0] if len(vals) == 1 else vals


def build_spec(values: dict, base: dict | None = None, store_root: str | Path | None = None,
               csv_shape: tuple[int, int, int] | None = None) -> StudySpec:
    """Form values → a validated StudySpec; SpecError names the field to fix. Batch sizes larger than the
    training set are refused here, before launching (the size comes from studies.spec.estimate's table)."""
    spec = StudySpec.from_dict(form_to_dict(values, base))
    if store_root is not None:   # the shared dashboard's rules: data only from uploads or allowed folders
        check_shared_spec(spec, store_root)
    if not spec.dataset.startswith("csv:") or csv_shape:
        spec.resolve_batch_sizes(data_shape(spec, csv_shape)[0])
    check_runnable(spec, csv_shape=csv_shape)   # what its job would refuse: size, memory, CSV, budget
    return spec
