"""Sample plotter inputs: drawings like the optimizer's and small SVG documents."""

from __future__ import annotations

import random

from dreamdraw.drawing import Drawing, Pen, Stroke
from dreamdraw.paper import parse_paper

__all__ = ["random_drawing", "svg_document"]


def random_drawing(seed: int, strokes: int, pens: int = 2) -> Drawing:
    """A drawing like the optimizer's: random open cubic paths on an A4 landscape canvas."""
    rng = random.Random(seed)
    paper = parse_paper("A4")
    width, height = paper.canvas_size(224)
    pen_list = [Pen(1, "#000000", 0.8, "black"), Pen(2, "#1f4fbf", 0.8, "blue")][:pens]
    out = []
    for _ in range(strokes):
        x, y = rng.uniform(10, width - 10), rng.uniform(10, height - 10)
        points = [(x, y)]
        for _ in range(3 * rng.randint(1, 3)):
            x = min(max(x + rng.uniform(-15, 15), 0), width)
            y = min(max(y + rng.uniform(-15, 15), 0), height)
            points.append((x, y))
        out.append(Stroke(pen=rng.randint(1, pens), points=points))
    return Drawing(width, height, paper, pen_list, out)


def svg_document(body: str, width: float = 100, height: float = 100) -> str:
    """An SVG in mm with the given elements."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}">{body}</svg>'
    )
