"""Sample inputs for the analysis tests."""

from __future__ import annotations

from dreamdraw.drawing import DEFAULT_PENS, Drawing, Stroke
from dreamdraw.paper import Paper


def make_drawing(strokes: int = 5) -> Drawing:
    """A 300x200 px line drawing on paper of the same shape with `strokes` strokes."""
    lines = []
    for k in range(strokes):
        x = 30 + 50 * k
        lines.append(
            Stroke(pen=1 + k % 2, points=[(x, 30), (x + 20, 80), (x - 10, 130), (x + 10, 170)])
        )
    return Drawing(300, 200, Paper(297.0, 198.0), list(DEFAULT_PENS), lines, prompt="test")
