"""Settings declared once: each field's default, its documentation and its bounds, checked in one place.

    @dataclass
    class ShowSettings:
        draw_queue_size: int = setting(2, "dreams waiting to be drawn", ge=1)

        def __post_init__(self) -> None:
            check_bounds(self)

The venue config's writer prints `doc` above each key; `check_bounds` raises ValueError
naming the field and its bounds, which the config reader turns into a one-line error that
names the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["check_bounds", "describe_bounds", "inside_bounds", "setting"]

_BOUNDS = ("gt", "ge", "lt", "le")


def setting(
    default: Any = dataclasses.MISSING,
    doc: str = "",
    *,
    factory: Callable[[], Any] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> Any:
    """A dataclass field with its documentation and, for numbers, its bounds (None: none)."""
    bounds = {k: v for k, v in zip(_BOUNDS, (gt, ge, lt, le), strict=True) if v is not None}
    metadata = {"doc": doc, "bounds": bounds}
    if factory is not None:
        if default is not dataclasses.MISSING:
            raise TypeError("a setting takes a default or a factory, not both")
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def describe_bounds(bounds: dict[str, float]) -> str:
    """Bounds in words: "positive", "at least 1", "between 0 and 1"."""
    low = bounds.get("gt", bounds.get("ge"))
    high = bounds.get("lt", bounds.get("le"))
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    if bounds.get("gt") == 0:
        return "positive"
    if "gt" in bounds:
        return f"above {bounds['gt']:g}"
    if "ge" in bounds:
        return f"at least {bounds['ge']:g}"
    if "lt" in bounds:
        return f"below {bounds['lt']:g}"
    return f"at most {bounds['le']:g}"


def inside_bounds(value: float, bounds: dict[str, float]) -> bool:
    """Whether `value` lies within `bounds` (gt, ge, lt, le; none: anything)."""
    return (
        ("gt" not in bounds or value > bounds["gt"])
        and ("ge" not in bounds or value >= bounds["ge"])
        and ("lt" not in bounds or value < bounds["lt"])
        and ("le" not in bounds or value <= bounds["le"])
    )


def check_bounds(settings: object) -> None:
    """Raise ValueError for the first field outside its declared bounds (None passes)."""
    for f in dataclasses.fields(settings):  # type: ignore[arg-type]
        bounds = f.metadata.get("bounds")
        value = getattr(settings, f.name)
        if not bounds or value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        if not all(inside_bounds(v, bounds) for v in values):
            raise ValueError(f"{f.name} must be {describe_bounds(bounds)}, not {value!r}")
