"""Click parameter types that check a command's numbers, ports and paths before it runs.

A bad value stops the command at parsing, before any model loads or any port opens, with
one line that names the option (see `cli.main`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from dreamdraw.settings import describe_bounds, inside_bounds

__all__ = [
    "Number",
    "OutputDir",
    "OutputFile",
    "SerialPort",
    "at_least",
    "positive",
    "ray_options",
    "setting_range",
]


class Number(click.ParamType):
    """An int or a float within bounds (gt, ge, lt, le), refused in words: "must be positive"."""

    def __init__(self, kind: type[int] | type[float], **bounds: float) -> None:
        self.kind = kind
        self.bounds = bounds
        self.name = "integer" if kind is int else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.kind) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = self.kind(str(value).strip())
            except ValueError:
                self.fail(
                    f"{value!r} is not {'a whole number' if self.kind is int else 'a number'}"
                )
        if not inside_bounds(number, self.bounds):
            self.fail(f"must be {describe_bounds(self.bounds)}, not {number:g}")
        return number


def positive(kind: type[int] | type[float] = int) -> Number:
    """A number above 0."""
    return Number(kind, gt=0)


def at_least(low: float, kind: type[int] | type[float] = int) -> Number:
    """A number of at least `low`."""
    return Number(kind, ge=low)


def setting_range(settings: type, name: str, kind: type[int] | type[float]) -> Number:
    """A number within the bounds a settings dataclass declares for field `name`."""
    field = {f.name: f for f in dataclasses.fields(settings)}[name]
    return Number(kind, **field.metadata.get("bounds", {}))


class SerialPort(click.ParamType):
    """A serial port name or pyserial URL: anything but empty."""

    name = "port"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        if not text:
            self.fail("is empty; give a serial port (`dreamdraw plotter ports` lists them)")
        return text


def _writable_place(path: Path) -> str | None:
    """Why `path` cannot be created (its nearest existing folder is a file or is read-only),
    or None when it can."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    return None


class OutputDir(click.Path):
    """A folder a command writes into: an existing writable folder, or one it can create."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        if path.is_dir():
            if not os.access(path, os.W_OK | os.X_OK):
                self.fail(f"folder {str(path)!r} is not writable")
        elif (why := _writable_place(path)) is not None:
            self.fail(f"cannot create folder {str(path)!r}: {why}")
        return path


class OutputFile(click.Path):
    """A file a command writes, in an existing writable folder."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        folder = path.absolute().parent
        if path.exists() and not os.access(path, os.W_OK):
            self.fail(f"file {str(path)!r} is not writable")
        elif not folder.is_dir():
            what = "is a file" if folder.exists() else "does not exist"
            self.fail(f"cannot write {str(path)!r}: folder {folder} {what}")
        elif not os.access(folder, os.W_OK | os.X_OK):
            self.fail(f"cannot write {str(path)!r}: folder {folder} is not writable")
        return path


def ray_options(func: Callable) -> Callable:
    """`--ray [local|ADDRESS]` (as `ray_address`) and `--workers`, for the commands that can
    run on a Ray cluster."""
    func = click.option("--workers", type=positive(), help="Ray workers (default: one per GPU).")(
        func
    )
    return click.option(
        "--ray",
        "ray_address",
        is_flag=False,
        flag_value="local",
        default=None,
        metavar="[local|ADDRESS]",
        help="Run on a Ray cluster: local (this machine) or a cluster's address (auto, HOST:6379).",
    )(func)
