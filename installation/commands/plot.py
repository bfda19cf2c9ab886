"""`dreamdraw` commands for the plotter package."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]

# The click commands and groups this module adds to `dreamdraw`.
COMMANDS: list[click.Command] = []
