"""Run the `dreamdraw` entry point in the test's own process and collect what it printed."""

from __future__ import annotations

import pytest
from dreamdraw.installation.cli import main

__all__ = ["run_cli"]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`dreamdraw ARGS...` in this process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
