"""Reading a spec's values: typed readers that refuse bad input with a SpecError naming the field and the fix.

Shared by StudySpec, DataSpec and MeasureSpec (and the form), so every field is refused the same way: one line,
user input escaped and cut in the middle, never an assert or a traceback. No torch.
"""
from __future__ import annotations

import difflib
import math
from typing import Any, Mapping


class ExecutorError(ValueError):
    """An executor (execution/executors.py) that cannot start; the message says what to change."""


class SpecError(ValueError):
    """A spec the user must fix; the message names the field and says what to change.

    Raised with a catalogue ``key`` (i18n/spec.py) and its values, the message is the catalogue's English and
    a page can say the same in the user's language (form_fields.error_text); values are cut to one line."""

    def __init__(self, field_name: str, message: str | None = None, *, key: str | None = None, **fmt):
        self.field = one_line(field_name, 80)
        self.key = key
        self.fmt = {k: one_line(v) if isinstance(v, str) else v for k, v in fmt.items()}
        if message is None:
            from ..i18n.spec import SPEC
            message = SPEC[key][0].format(**self.fmt)
        super().__init__(f"{self.field}: {one_line(message, 500)}")


def one_line(text: str, limit: int = 200) -> str:
    """User input echoed in a message stays on one line and short: control characters escaped, the middle
    of a long text cut (its start names the value, its end says what to change)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else f"{text[:limit // 2 - 2]} … {text[-(limit // 2 - 2):]}"


# ---------------------------------------------------------------- small typed readers

def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


MAX_DIGITS = 100   # a number typed or read anywhere in a spec; Python refuses int <-> text past 4,300 digits


def too_long(name: str, digits: int) -> SpecError:
    """The error for a number of ``digits`` digits: said by its length, never printed (or converted)."""
    return SpecError(name, key="spec.too_many_digits", n=f"{digits:,}", most=MAX_DIGITS)


def int_text(name: str, word: str) -> int:
    """A whole number typed as text ("+12", "1_000" is not one): its length judged before ``int`` reads it."""
    word = word.strip()
    if len(word.lstrip("+-")) > MAX_DIGITS:
        raise too_long(name, len(word.lstrip("+-")))
    return int(word)


def read_int(name: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not is_int(v):
        raise SpecError(name, key="spec.not_int", v=repr(v), lo=lo, hi=hi)
    if not lo <= v <= hi:
        if abs(v).bit_length() > 332:   # more than 100 digits: str(v) may not even exist (4,300 digits)
            raise too_long(name, int(abs(v).bit_length() * 0.30103) + 1)
        raise SpecError(name, key="spec.int_range", v=str(v), lo=lo, hi=hi)
    return v


def read_float(name: str, v: Any, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(v, int) and not isinstance(v, bool) and not -1e300 < v < 1e300:
        raise SpecError(name, key="spec.float_range", v=str(v), lo=lo, hi=hi)   # float(v) overflows
    if not (isinstance(v, (int, float)) and not isinstance(v, bool)) or not math.isfinite(v):
        raise SpecError(name, key="spec.not_number", v=repr(v), lo=lo, hi=hi)
    v = float(v)
    if v < lo or v > hi or (lo_open and v == lo):
        raise SpecError(name, key="spec.float_range_open" if lo_open else "spec.float_range", v=f"{v:g}", lo=lo,
                        hi=hi)
    return v


def read_bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise SpecError(name, key="spec.not_bool", v=repr(v))
    return v


def read_choice(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        hint = difflib.get_close_matches(str(v), choices, n=1)
        raise SpecError(name, key="spec.not_choice_hint" if hint else "spec.not_choice", v=repr(v),
                        choices=", ".join(choices), hint=repr(hint[0]) if hint else "")
    return v


def read_list(name: str, v: Any, *, allow_scalar: bool = True) -> list:
    if isinstance(v, (list, tuple)):
        if not v:
            raise SpecError(name, key="spec.empty_list")
        return list(v)
    if allow_scalar:
        return [v]
    raise SpecError(name, key="spec.not_list", v=repr(v))


def unique(name: str, values: list) -> tuple:
    seen = set()
    for x in values:
        if x in seen:
            raise SpecError(name, key="spec.twice", v=repr(x))
        seen.add(x)
    return tuple(values)


def read_table(name: str, v: Any) -> dict:
    if not isinstance(v, Mapping):
        raise SpecError(name, key="spec.not_table", name=name, v=repr(v))
    return dict(v)


def reject_unknown(table: str, given: Mapping, known: tuple[str, ...]) -> None:
    for key in given:
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            prefix = f"{table}." if table else ""
            raise SpecError(f"{prefix}{key}", key="spec.unknown_hint" if hint else "spec.unknown",
                            hint=repr(hint[0]) if hint else "", known=", ".join(known))
