"""No point cut in half by a plot's edge: every x or y scale that a point is drawn on gets a few pixels of
padding (Vega-Lite's continuous-scale ``padding``, applied before ``nice`` and ``zero``), so a point at the
first or last value of its data is drawn whole.

``whole_points(spec)`` works on a finished Vega-Lite dict (any builder's, altair's or a hand-written one): a view
whose mark draws points (point, circle, square, or a line with point markers), or a layer holding one, gets
``padding`` on the quantitative or temporal x and y it encodes, unless the scale already says its own padding or
domain (a chart that padded its domain itself, like the noise-scale view's ×1.5, keeps it) or is turned off.
"""
from __future__ import annotations

PAD = 8   # px each side: half a 70-px² point and its stroke
POINTED = {"point", "circle", "square"}


def _mark(node: dict) -> tuple[str, bool]:
    mark = node.get("mark")
    if isinstance(mark, dict):
        return str(mark.get("type", "")), bool(mark.get("point"))
    return str(mark or ""), False


def draws_points(node: dict) -> bool:
    """Whether ``node`` (a view or a layer) draws point marks anywhere in it."""
    kind, overlay = _mark(node)
    if kind in POINTED or (kind in ("line", "trail") and overlay):
        return True
    return any(draws_points(v) for v in node.get("layer", []) if isinstance(v, dict))


def _pad(encoding: dict) -> None:
    for channel in ("x", "y"):
        enc = encoding.get(channel)
        if not isinstance(enc, dict) or enc.get("type") not in ("quantitative", "temporal") or "field" not in enc:
            continue
        scale = enc.get("scale", {})
        if scale is None or not isinstance(scale, dict) or {"padding", "domain", "domainMin", "domainMax"} & set(scale):
            continue
        if scale.get("type") in ("band", "point", "ordinal"):
            continue
        # no "nice" after the padding: an epoch axis 0–30 would read −4 … 34, a loss axis from 0 would start at −0.2
        enc["scale"] = {**scale, "padding": PAD, **({"nice": False} if "nice" not in scale else {})}


def pointed_encodings(spec: dict):
    """The ``encoding`` dicts of every view (or layer) in ``spec`` that draws points, outermost first."""
    if isinstance(spec, dict):
        if isinstance(spec.get("encoding"), dict) and draws_points(spec):
            yield spec["encoding"]
        for key, value in spec.items():
            if key not in ("data", "datasets", "encoding"):
                yield from pointed_encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from pointed_encodings(value)


def whole_points(spec: dict) -> dict:
    """``spec`` with padding on the scales its points are drawn on (in place, and returned)."""
    for encoding in pointed_encodings(spec):
        _pad(encoding)
    return spec
