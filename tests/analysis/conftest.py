"""Shared fixtures: the tiny random-weight CLIP and a small line drawing."""

from __future__ import annotations

import pytest

from drawing import DEFAULT_PENS, Drawing, Paper, Stroke, load_clip


@pytest.fixture(scope="session")
def tiny_clip():
    return load_clip("test:tiny")


def make_drawing(strokes: int = 5) -> Drawing:
    """A 300x200 px line drawing on A4-landscape-shaped paper with `strokes` strokes."""
    lines = []
    for k in range(strokes):
        x = 30 + 50 * k
        lines.append(
            Stroke(pen=1 + k % 2, points=[(x, 30), (x + 20, 80), (x - 10, 130), (x + 10, 170)])
        )
    return Drawing(300, 200, Paper(297.0, 198.0), list(DEFAULT_PENS), lines, prompt="test")


@pytest.fixture
def line_drawing() -> Drawing:
    return make_drawing()
