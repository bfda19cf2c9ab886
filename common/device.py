"""Device names (`auto`, `cpu`, `cuda`, `cuda:N`) as every part accepts them, parsed in one place."""

from __future__ import annotations

__all__ = ["DeviceError", "parse_device"]


class DeviceError(ValueError):
    """A device name that is unknown or names a GPU that is not there."""


def parse_device(name: str, cuda_available: bool) -> tuple[str, int]:
    """`auto` -> ("cuda", 0) when a GPU is usable, else ("cpu", 0); `cuda:N` -> ("cuda", N)."""
    if name == "auto":
        return ("cuda", 0) if cuda_available else ("cpu", 0)
    kind, _, index = name.partition(":")
    if kind not in ("cpu", "cuda") or (index and not index.isdigit()) or (kind == "cpu" and index):
        raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    if kind == "cuda" and not cuda_available:
        raise DeviceError(f"device {name} was asked for, but no CUDA GPU is usable; use cpu")
    return kind, int(index or 0)
