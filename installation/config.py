"""The venue configuration: one TOML file, validated, with documented defaults."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from dreamdraw.installation.sections import SECTIONS, Config
from dreamdraw.settings import describe_bounds

__all__ = ["Config", "ConfigError", "load_config", "render_default_config", "SECTIONS"]


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message names the key."""


def load_config(path: str | Path | None) -> Config:
    """Read a venue TOML file (None: all defaults) and validate every key."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist; `dreamdraw config init {path}` writes one"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return config_from_dict(raw, source=str(path))


def config_from_dict(raw: dict[str, Any], source: str = "config") -> Config:
    """Build a Config from parsed TOML, naming the exact key of any error."""
    return _build(Config, raw, prefix="", source=source)


def _build(cls: type, raw: Any, prefix: str, source: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [{prefix.rstrip('.')}] must be a table")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {prefix}{unknown[0]!s}; known keys: {', '.join(sorted(names))}"
        )
    shared = {f.name: f.metadata["from"] for f in dataclasses.fields(cls) if "from" in f.metadata}
    for name in sorted(set(raw) & set(shared)):
        table, key = shared[name].split(".")
        raise ConfigError(
            f"{source}: {prefix}{name} is set once for every part: use {key} in [{table}]"
        )
    values = {}
    for name, value in raw.items():
        values[name] = _coerce(hints[name], value, f"{prefix}{name}", source)
    try:
        return cls(**values)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{source}: {prefix.rstrip('.') or 'config'}: {exc}") from None


def _coerce(tp: Any, value: Any, key: str, source: str) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, key, source)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, f"{key}.", source)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {key} must be a list, not {value!r}")
        (item,) = get_args(tp)[:1]
        items = [_coerce(item, v, f"{key}[{i}]", source) for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be true or false, not {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {key} must be an integer, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{source}: {key} must be a number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{source}: {key} must be a string, not {value!r}")
        return value
    if typing.get_origin(tp) is typing.Literal:
        choices = get_args(tp)
        if value not in choices:
            raise ConfigError(
                f"{source}: {key} must be one of {', '.join(map(repr, choices))}, not {value!r}"
            )
        return value
    return value


def render_default_config() -> str:
    """A commented TOML file holding every key with its default and documentation."""
    lines = [
        "# dreamdraw venue configuration.",
        "# Every key is shown with its default; delete what you do not change.",
        "",
    ]
    defaults = Config()
    for section in dataclasses.fields(Config):
        value = getattr(defaults, section.name)
        lines += _render_table(section.name, value, section.metadata.get("doc", ""))
    return "\n".join(lines).rstrip() + "\n"


def _render_table(name: str, obj: Any, doc: str) -> list[str]:
    lines = []
    if doc:
        lines += [f"# {line}" for line in doc.splitlines()]
    lines.append(f"[{name}]")
    nested: list[tuple[str, Any, str]] = []
    for f in dataclasses.fields(obj):
        if "from" in f.metadata:
            continue
        value = getattr(obj, f.name)
        fdoc = f.metadata.get("doc", "")
        if f.metadata.get("bounds"):
            fdoc += f" ({describe_bounds(f.metadata['bounds'])})"
        if dataclasses.is_dataclass(value):
            nested.append((f"{name}.{f.name}", value, fdoc))
            continue
        if isinstance(value, (list, tuple)) and value and dataclasses.is_dataclass(value[0]):
            nested.append((f"{name}.{f.name}", value, fdoc))
            continue
        if fdoc:
            lines += [f"# {line}" for line in fdoc.splitlines()]
        if value is None:
            lines.append(f"# {f.name} = (unset)")
        else:
            lines.append(f"{f.name} = {_toml_value(value)}")
    lines.append("")
    for sub, value, fdoc in nested:
        if isinstance(value, (list, tuple)):
            if fdoc:
                lines += [f"# {line}" for line in fdoc.splitlines()]
            for item in value:
                lines.append(f"[[{sub}]]")
                for f in dataclasses.fields(item):
                    lines.append(f"{f.name} = {_toml_value(getattr(item, f.name))}")
                lines.append("")
        else:
            lines += _render_table(sub, value, fdoc)
    return lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
