"""`dreamdraw draw` and `dreamdraw models`: the drawing engine's commands."""

from __future__ import annotations

import click

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = []
