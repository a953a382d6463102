"""The New-study form's free-text batch sizes and its "every error at once" check. No streamlit, no torch.

Batch sizes are typed, not picked: "8, 64, 512, full" is exact, where a multiselect's Enter picked whatever
its search highlighted (typing 8 added 8, 128, 2048, 8192, 16384, 32768). The choices offered as hints are
the powers of two up to the training set plus "full". The check runs StudySpec's own validation field by
field: each failing field is recorded and set aside (its default used), and validation runs again, so the
form shows every mistake in one pass, each with StudySpec's own wording.
"""
from __future__ import annotations

import copy
import re

from .. import measures
from ..spec.config import SpecError, StudySpec
from ..spec.spec_checks import int_text

MAX_PASSES = 40   # more fields than the form has: each pass removes one failing field


def batch_size_choices(n_train: int | None) -> list:
    """Powers of two up to the training set (all up to 65,536 when its size is unknown), then "full"."""
    top = n_train if n_train else 1 << 16
    return [2 ** k for k in range(17) if 2 ** k <= top] + ["full"]


def parse_batch_sizes_text(text) -> list:
    """'8, 64 512;full' -> [8, 64, 512, "full"] (sorted, each once). A list (an older session or an uploaded
    spec) is accepted as is. A word that is neither a whole number nor "full" is a SpecError naming it."""
    parts = text if isinstance(text, (list, tuple)) else re.split(r"[,;\s]+", str(text))
    out, bad = [], []
    for part in parts:
        word = str(part).strip().lower()
        if not word:
            continue
        if word == "full":
            out.append("full")
        elif re.fullmatch(r"\+?\d+", word):
            out.append(int_text("batch_sizes", word))   # its length first: 5,000 digits is no batch size
        else:
            bad.append(str(part).strip())
    if bad:
        listed = ", ".join(repr(b) for b in bad)
        raise SpecError("batch_sizes", key="spec.not_batch_size" if len(bad) == 1 else "spec.not_batch_sizes",
                       v=listed)
    return sorted(set(out), key=lambda b: (b == "full", 0 if b == "full" else b))


def format_batch_sizes(sizes) -> str:
    """[8, 64, "full"] -> '8, 64, full' (the text field's value for a spec's batch sizes)."""
    return ", ".join(str(b) for b in parse_batch_sizes_text(list(sizes)))


def _drop(d: dict, field: str) -> bool:
    """Remove ``field`` ("seeds", "lr.sgd", "measure.sample") from the spec dict so its default applies."""
    keys = field.split(".")
    node = d
    for k in keys[:-1]:
        node = node.get(k) if isinstance(node, dict) else None
        if node is None:
            return False
    if isinstance(node, dict) and keys[-1] in node:
        del node[keys[-1]]
        return True
    return False


def spec_errors(d: dict, n_train=None) -> tuple[StudySpec | None, list[SpecError]]:
    """Validate a spec dict and return (spec or None, every SpecError). ``n_train(spec)`` gives the training
    set size for the batch-size check (None: skip it). The spec comes back only when nothing failed."""
    d = copy.deepcopy(d)
    errors: list[SpecError] = []
    for _ in range(MAX_PASSES):
        try:
            spec = StudySpec.from_dict(d)
        except SpecError as e:
            errors.append(e)
            if e.field == "dataset":
                d["dataset"] = "digits"   # required: stand in a valid one to check the rest
            elif not _drop(d, e.field) and not _drop(d, e.field.split(".")[0]):
                break                     # a combination rule with no field to set aside: stop here
            continue
        if n_train is not None and "batch_sizes" not in {e.field for e in errors}:
            try:
                size = n_train(spec)
                if size:
                    spec.resolve_batch_sizes(size)
            except SpecError as e:
                errors.append(e)
        return (None if errors else spec), errors
    return None, errors


def form_errors(values: dict, build_dict, n_train=None) -> tuple[StudySpec | None, list[SpecError]]:
    """Every mistake in the form at once: the free-text fields are parsed one by one (a bad one is recorded and
    left at its default), then the spec is validated with ``spec_errors``. ``build_dict(values)`` is the
    form's values -> spec dict (form.form_to_dict with its uploaded base)."""
    errors: list[SpecError] = []
    values = dict(values)
    fallback = {"batch_sizes": "full", "hidden": "", "seeds": "0",
                **{s.name: "" for s in measures.switches() if s.listed}}
    for _ in range(len(fallback) + 1):
        try:
            d = build_dict(values)
            break
        except SpecError as e:
            errors.append(e)
            key = e.field.removeprefix("measure.")
            if key not in fallback or values.get(key) == fallback[key]:
                return None, errors
            values[key] = fallback[key]
    else:
        return None, errors
    spec, more = spec_errors(d, n_train)
    seen = {e.field for e in errors}
    errors += [e for e in more if e.field not in seen]
    return (None if errors else spec), errors


def field_of(error: SpecError) -> str:
    """The form section an error belongs under ("data.target" -> "dataset", "lr.sgd" -> "lr")."""
    top = error.field.split(".")[0]
    return {"data": "dataset"}.get(top, top)


def error_text(error: SpecError):
    """What a SpecError says after its field, in the current language: the catalogue's text where it was
    raised with a key, else its (English) message; markdown-safe either way."""
    from ..i18n import plain, t
    if error.key:
        return t(error.key, **error.fmt)
    return plain(str(error).removeprefix(f"{error.field}: "))


def field_label(field: str) -> str:
    """The form's label of a spec field, as the user sees it ("batch_sizes" -> "Batch sizes", "lr.sgd" ->
    "Learning rate: sgd", "measure.sharpness_eps" -> "ε-sharpness …"); the field itself where the form has none."""
    from ..i18n import t
    top, _, sub = field.partition(".")
    key = {"lr": "form.lr", "data": "form.dataset", "warmup_epochs": "form.warmup",
           "measure": f"form.{sub}" if sub else "form.measure"}.get(top, f"form.{top}")
    text = t(key, opt=sub) if top == "lr" else t(key)
    return field if text == key else text



def training_size(dataset: str, csv_shape: tuple[int, int, int] | None = None,
                  n_samples: int | None = None) -> int | None:
    """Training examples of a data set as the form has it (before any spec is valid): the batch-size choices
    stop there. None for a CSV not yet uploaded or a data set the form cannot size."""
    from ..spec.estimate import data_shape
    if dataset.startswith("csv:") and not csv_shape:
        return None
    data = {"n_samples": int(n_samples)} if n_samples and dataset in ("synthetic", "moons") else {}
    try:
        return int(data_shape(StudySpec.from_dict({"dataset": dataset, "data": data}), csv_shape)[0])
    except (SpecError, KeyError, ValueError):
        return None
