"""The papers Batchscope can reproduce: one record per paper, its template in examples/ (<key>.toml) and the one
sentence of what it found (the catalogue's "paper.<key>", in English and 中文). New study's "Reproduce a paper"
lists the papers whose template is there; picking one fills the form with it. A template is a plain StudySpec
TOML (its comments say why each value), so the CLI runs it as it is: `python -m studies run examples/<key>.toml`.
examples/README.md has what each paper claims beside what its template measured. A record with ``gpu`` is the
paper's own setting (a CIFAR network, its template in examples/gpu/) beside the small CPU version: the list marks it "as published, needs a GPU
(about N minutes on one)", N from the time estimate on one GPU. No streamlit, no torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .spec.config import SpecError, StudySpec
from .i18n import Markdown, plain, t

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@dataclass(frozen=True)
class Paper:
    key: str          # the template's file stem, and its catalogue key "paper.<key>"
    cite: str         # authors and year, as the pages cite it
    title: str        # the paper's own title (a name: not translated)
    twin: str = ""    # a second template the comparison needs beside it (another study), or ""
    gpu: bool = False  # as published: a CIFAR network that needs a GPU
    finds: str = ""   # the record whose finding it shares (the CPU version's), or "" for its own

    @property
    def file(self) -> str:
        """The template's path under examples/: the published (GPU, downloaded data) settings sit in gpu/, so every
        examples/*.toml runs on any machine without the internet."""
        return f"gpu/{self.key}.toml" if self.gpu else f"{self.key}.toml"

    def finding(self) -> Markdown:
        """What the paper found, with its number, in the current language."""
        return t(f"paper.{self.finds or self.key}")


PAPERS: tuple[Paper, ...] = (
    Paper("keskar", "Keskar et al. 2017", "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima"),
    Paper("goyal", "Goyal et al. 2017", "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour"),
    Paper("hoffer", "Hoffer et al. 2017", "Train longer, generalize better: closing the generalization gap in large "
                                          "batch training of neural networks"),
    Paper("smith", "Smith et al. 2018", "Don't Decay the Learning Rate, Increase the Batch Size", twin="smith-decay"),
    Paper("shallue", "Shallue et al. 2018", "Measuring the Effects of Data Parallelism on Neural Network Training"),
    Paper("zhang", "Zhang et al. 2019", "Which Algorithmic Choices Matter at Which Batch Sizes? Insights From a Noisy "
                                        "Quadratic Model"),
    Paper("keskar-cifar", "Keskar et al. 2017", "On Large-Batch Training for Deep Learning: Generalization Gap and "
                                                "Sharp Minima", gpu=True, finds="keskar"),
    Paper("hoffer-cifar", "Hoffer et al. 2017", "Train longer, generalize better: closing the generalization gap in "
                                                "large batch training of neural networks", gpu=True, finds="hoffer"),
)


def paper(key: str) -> Paper:
    """The record of ``key``; a clear error for a key that is not a paper."""
    for p in PAPERS:
        if p.key == key:
            return p
    raise KeyError(f"no paper {key!r}; pick one of {', '.join(p.key for p in PAPERS)}")


def templates(folder: Path | str = EXAMPLES) -> list[Paper]:
    """The papers whose template is in ``folder``, in the table's order."""
    return [p for p in PAPERS if (Path(folder) / p.file).is_file()]


def load(key: str, folder: Path | str = EXAMPLES) -> StudySpec:
    """The template of paper ``key`` as a spec; SpecError (naming the field) when it does not parse here."""
    return StudySpec.from_toml(Path(folder) / paper(key).file)


def load_or_error(key: str, folder: Path | str = EXAMPLES) -> tuple[StudySpec | None, Markdown | None]:
    """(spec, None), or (None, a one-line message in the current language) when the template does not load."""
    try:
        return load(key, folder), None
    except SpecError as e:
        from .office.form_fields import error_text
        return None, t("paper.unreadable", file=paper(key).file, error=Markdown(f"{plain(e.field)}: {error_text(e)}"))


def twin(key: str, folder: Path | str = EXAMPLES) -> StudySpec | None:
    """The second study paper ``key``'s comparison needs (its ``twin`` template, e.g. smith-decay.toml beside
    smith.toml) as a spec; None when the paper has none or its file is missing or does not load here. New study
    launches it with the paper's own, and the Jobs page opens Compare on the pair."""
    name = paper(key).twin
    try:
        return StudySpec.from_toml(Path(folder) / f"{name}.toml") if name else None
    except (SpecError, OSError):
        return None


def gpu_minutes(key: str, folder: Path | str = EXAMPLES) -> int | None:
    """The time estimate of a ``gpu`` template on one GPU, in whole minutes (None when it does not load)."""
    from .spec.estimate import estimate
    try:
        return max(1, round(estimate(load(key, folder), "cuda").seconds / 60))
    except (SpecError, OSError):
        return None


def label(key: str) -> str:
    """How the list names a paper's template: its citation, and for the published settings that they need a GPU."""
    p = paper(key)
    if not p.gpu:
        return p.cite
    return t("paper.gpu", cite=Markdown(p.cite), minutes=gpu_minutes(key) or Markdown("?"))


def described(key: str) -> Markdown:
    """"Filled in from examples/keskar.toml (Keskar et al. 2017, “On Large-Batch …”). <finding>", then its twin's
    line if any."""
    p = paper(key)
    text = t("paper.filled", file=p.file, cite=p.cite, title=p.title, finding=p.finding())
    return Markdown(text + (" " + t("paper.twin", file=f"{p.twin}.toml") if p.twin else ""))
