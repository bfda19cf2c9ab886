"""Lazy package exports: a package names its public things, each module loads on first use.

So `import dreamdraw.drawing` (and every command that only needs settings or error types)
starts without importing torch, open_clip, faster-whisper, pygame or shapiq.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


class _Package(types.ModuleType):
    """A package whose exported names win over its submodules of the same name.

    Importing `pkg.augment` binds the module to `pkg.augment`; where the package exports a
    function `augment` (from that module), the function stays what `pkg.augment` means.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
            and name in vars(self).get("__all__", ())
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy_exports(
    package: str, exports: dict[str, list[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for `package`, from {module: [names]}.

    Module names are relative to the package (`"clip"` for `dreamdraw.drawing.clip`).
    """
    owner = {name: module for module, names in exports.items() for name in names}
    sys.modules[package].__class__ = _Package

    def __getattr__(name: str) -> Any:
        module = owner.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(owner)

    return __getattr__, __dir__, sorted(owner)
