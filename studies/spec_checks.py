"""Reading a spec's values: typed readers that refuse bad input with a SpecError naming the field and the fix.

Shared by StudySpec, DataSpec and MeasureSpec (and the form), so every field is refused the same way: one line,
user input escaped and cut in the middle, never an assert or a traceback. No torch.
"""
from __future__ import annotations

import difflib
import math
from typing import Any, Mapping


class BackendError(ValueError):
    """An executor (backends.py) that cannot start; the message says what to change."""


class SpecError(ValueError):
    """A spec the user must fix; the message names the field and says what to change."""

    def __init__(self, field_name: str, message: str):
        self.field = one_line(field_name, 80)
        super().__init__(f"{self.field}: {one_line(message, 500)}")


def one_line(text: str, limit: int = 200) -> str:
    """User input echoed in a message stays on one line and short: control characters escaped, the middle
    of a long text cut (its start names the value, its end says what to change)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else f"{text[:limit // 2 - 2]} … {text[-(limit // 2 - 2):]}"


# ---------------------------------------------------------------- small typed readers

def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def read_int(name: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not is_int(v):
        raise SpecError(name, f"{v!r} is not a whole number; use an integer from {lo} to {hi}")
    if not lo <= v <= hi:
        raise SpecError(name, f"{v} is out of range; use an integer from {lo} to {hi}")
    return v


def read_float(name: str, v: Any, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(v, int) and not isinstance(v, bool) and not -1e300 < v < 1e300:
        raise SpecError(name, f"{v} is out of range; use a number from {lo:g} to {hi:g}")   # float(v) overflows
    if not (isinstance(v, (int, float)) and not isinstance(v, bool)) or not math.isfinite(v):
        raise SpecError(name, f"{v!r} is not a number; use a number from {lo:g} to {hi:g}")
    v = float(v)
    if v < lo or v > hi or (lo_open and v == lo):
        side = f"above {lo:g} and at most {hi:g}" if lo_open else f"from {lo:g} to {hi:g}"
        raise SpecError(name, f"{v:g} is out of range; use a number {side}")
    return v


def read_bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise SpecError(name, f"{v!r} is not true or false; write true or false")
    return v


def read_choice(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        hint = difflib.get_close_matches(str(v), choices, n=1)
        maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise SpecError(name, f"{v!r} is not one of {', '.join(choices)}{maybe}")
    return v


def read_list(name: str, v: Any, *, allow_scalar: bool = True) -> list:
    if isinstance(v, (list, tuple)):
        if not v:
            raise SpecError(name, "the list is empty; give at least one value")
        return list(v)
    if allow_scalar:
        return [v]
    raise SpecError(name, f"{v!r} is not a list; write it as [a, b, ...]")


def unique(name: str, values: list) -> tuple:
    seen = set()
    for x in values:
        if x in seen:
            raise SpecError(name, f"{x!r} is listed twice; list each value once")
        seen.add(x)
    return tuple(values)


def read_table(name: str, v: Any) -> dict:
    if not isinstance(v, Mapping):
        raise SpecError(name, f"expected a table like [{name}], got {v!r}")
    return dict(v)


def reject_unknown(table: str, given: Mapping, known: tuple[str, ...]) -> None:
    for key in given:
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            maybe = f"; did you mean {hint[0]!r}?" if hint else f"; known fields: {', '.join(known)}"
            prefix = f"{table}." if table else ""
            raise SpecError(f"{prefix}{key}", f"unknown field{maybe}")
