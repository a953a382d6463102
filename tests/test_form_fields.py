"""The typed batch sizes and the form's every-error-at-once check."""
import pytest

from studies.office import form
from studies.spec.config import SpecError
from studies.office.form_fields import (batch_size_choices, form_errors, format_batch_sizes, parse_batch_sizes_text,
                                 spec_errors, training_size)


@pytest.mark.parametrize("text, sizes", [
    ("8, 64, 512, full", [8, 64, 512, "full"]),
    ("8", [8]),                                     # exactly 8: not 8, 128, 2048, 8192, … as the picker did
    (" 512;8  64,,FULL ", [8, 64, 512, "full"]),
    ("96, 8, 96", [8, 96]),
    ("", []),
])
def test_typed_batch_sizes_parse_exactly(text, sizes):
    assert parse_batch_sizes_text(text) == sizes


@pytest.mark.parametrize("text, named", [("8, abc", "'abc' is not a batch size"), ("1.5", "'1.5'"),
                                         ("-4", "'-4'"), ("8, big, 0x10", "'big', '0x10' are not")])
def test_a_word_that_is_not_a_size_names_itself(text, named):
    with pytest.raises(SpecError) as e:
        parse_batch_sizes_text(text)
    assert e.value.field == "batch_sizes" and named in str(e.value) and "8, 64, 512, full" in str(e.value)


def test_format_round_trips_and_lists_are_accepted():
    assert format_batch_sizes([512, "full", 8]) == "8, 512, full"
    assert parse_batch_sizes_text(format_batch_sizes([8, 32, "full"])) == [8, 32, "full"]
    assert form.parse_batch_sizes_text([64, "96", "Full", 8]) == [8, 64, 96, "full"]


def test_choices_stop_at_the_training_set_and_offer_full():
    assert batch_size_choices(1437) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, "full"]
    assert batch_size_choices(1024)[-2:] == [1024, "full"]
    assert batch_size_choices(None)[-2:] == [65536, "full"]
    assert training_size("digits") == 1437
    assert training_size("moons", n_samples=1000) == 800
    assert training_size("csv:") is None


def values(**over):
    return {**form.form_defaults(), **over}


def n_train(spec):
    return form.data_shape(spec)[0]


def test_every_mistake_is_reported_in_one_pass():
    spec, errors = form_errors(values(hidden="abc", seeds="x", batch_sizes="8, 5000", epochs=0),
                               form.form_to_dict, n_train)
    assert spec is None
    fields = [e.field for e in errors]
    assert sorted(fields) == ["batch_sizes", "epochs", "hidden", "seeds"], errors
    assert any("5000 is larger than the training set (1437 examples)" in str(e) for e in errors)


def test_spec_level_errors_are_all_collected():
    d = form.form_to_dict(values(hidden="-4"))
    d.update(epochs=0, optimizers=["adamm"], lr={"sgd": -1.0})
    spec, errors = spec_errors(d)
    assert spec is None
    assert {e.field for e in errors} >= {"hidden", "epochs", "optimizers", "lr.sgd"}, errors
    assert any("did you mean 'adam'" in str(e) for e in errors)


def test_a_valid_form_gives_the_same_spec_as_build_spec():
    spec, errors = form_errors(values(batch_sizes="8, full"), form.form_to_dict, n_train)
    assert not errors and spec == form.build_spec(values(batch_sizes="8, full"))


def test_errors_name_the_fields_by_the_labels_the_form_shows():
    from studies import i18n
    from studies.office.form_fields import field_label
    assert field_label("batch_sizes") == "Batch sizes" and field_label("lr.sgd") == "Learning rate: sgd"
    assert field_label("warmup_epochs") == "Warm-up epochs" and field_label("data.target") == "Data set"
    assert field_label("no_such_field") == "no_such_field"
    with i18n.language("zh"):
        assert field_label("seeds") == "随机种子"
