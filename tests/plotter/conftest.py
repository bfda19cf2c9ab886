"""Plotter test fixtures: a real dreamdraw drawing as SVG, small SVGs, and quick settings."""

from __future__ import annotations

import random

import pytest

from drawing import Drawing, Pen, Stroke, parse_paper
from plotter import PlotterSettings, Toolpath, plan_toolpath


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


@pytest.fixture(scope="session")
def drawing_svg() -> str:
    """A real dreamdraw Drawing (24 strokes, two pens) written as SVG."""
    return random_drawing(seed=7, strokes=24).to_svg()


@pytest.fixture
def quick() -> PlotterSettings:
    """Settings with short timeouts and pen delays, for simulators that run fast."""
    return PlotterSettings(
        reply_timeout_s=0.3,
        connect_timeout_s=1.0,
        reconnect_timeout_s=5.0,
        status_interval_s=0.05,
        pen_up_delay_s=0.02,
        pen_down_delay_s=0.02,
        optimize_time_s=0.05,
    )


@pytest.fixture(scope="session")
def small_toolpath() -> Toolpath:
    """Six short strokes with one pen: what the fault tests plot again and again."""
    svg = random_drawing(seed=3, strokes=6, pens=1).to_svg()
    return plan_toolpath(svg, PlotterSettings(optimize_time_s=0.05))


def svg_document(body: str, width: float = 100, height: float = 100) -> str:
    """An SVG in mm with the given elements."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}">{body}</svg>'
    )
