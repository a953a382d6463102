"""The paper templates: each in examples/ is a paper of the registry with both languages' finding, and the
New-study form holds every field of it (form values on top of the template give back the same study)."""
from pathlib import Path

import pytest

from studies import i18n, papers
from studies.office import form
from studies.spec.config import StudySpec

ROOT = Path(__file__).resolve().parents[1]
RUNNABLE = [p.key for p in papers.PAPERS if papers.load_or_error(p.key)[0] is not None]


def test_every_paper_has_its_template_and_a_finding_in_both_languages():
    assert [p.key for p in papers.templates()] == ["keskar", "goyal", "hoffer", "smith", "shallue", "zhang",
                                                   "keskar-cifar", "hoffer-cifar"]
    for p in papers.PAPERS:
        assert (ROOT / "examples" / p.file).is_file()
        en = p.finding()
        with i18n.language("zh"):
            zh = p.finding()
        assert en != f"paper.{p.key}" and zh != en and any(c.isdigit() for c in en), p.key
        shown = papers.described(p.key).replace("\\", "")     # as a viewer reads it (markdown escapes resolved)
        assert p.cite in shown and f"examples/{p.file}" in shown
    assert "smith-decay.toml" in papers.described("smith").replace("\\", "")
    assert StudySpec.from_toml(ROOT / "examples" / "smith-decay.toml").n_runs == 8


def test_the_runnable_templates_load_and_keep_every_field_through_the_form():
    assert {"keskar", "goyal", "shallue", "zhang"} <= set(RUNNABLE)
    assert form.spec_to_form(papers.load("zhang"))["lr_adam"] == "auto"     # a search, not its start grid
    for key in RUNNABLE:
        spec = papers.load(key)
        assert spec.name == key
        again = StudySpec.from_dict(form.form_to_dict(form.spec_to_form(spec), spec.to_dict()))
        assert again.study_id == spec.study_id and again.to_toml() == spec.to_toml(), key


def test_a_template_that_does_not_parse_here_says_which_field(tmp_path):
    (tmp_path / "keskar.toml").write_text('dataset = "digits"\nnorm = "ghost"\n')
    spec, problem = papers.load_or_error("keskar", tmp_path)
    assert spec is None and "norm" in problem and "newer Batchscope" in problem
    assert [p.key for p in papers.templates(tmp_path)] == ["keskar"]
    with pytest.raises(KeyError, match="no paper 'nope'"):
        papers.paper("nope")


def test_the_published_settings_are_marked_as_needing_a_gpu_with_their_estimate():
    """keskar-cifar and hoffer-cifar: the papers' networks on CIFAR-10, listed beside the CPU versions with the
    time estimate on one GPU; the CPU versions are listed by their citation alone."""
    from studies.spec.estimate import estimate
    assert papers.label("keskar") == "Keskar et al. 2017"
    for key, model in (("keskar-cifar", "keskar_c1"), ("hoffer-cifar", "resnet20")):
        spec = papers.load(key)
        assert spec.dataset == "cifar10" and spec.model == model and spec.data.download
        minutes = round(estimate(spec, "cuda").seconds / 60)
        assert papers.label(key) == f"{papers.paper(key).cite} — as published, needs a GPU (about {minutes} minutes on one)"
        assert papers.paper(key).finding() == papers.paper(key.split("-")[0]).finding()
    assert papers.load("hoffer-cifar").data.augment == "crop_flip" and papers.load("hoffer-cifar").norm == "ghost"
    assert papers.load("keskar-cifar").batch_sizes == (256, 5000)   # 10 % of CIFAR-10's 50,000
    with i18n.language("zh"):
        assert "需要 GPU" in papers.label("hoffer-cifar")
