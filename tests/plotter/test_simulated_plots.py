"""A real drawing plotted on each protocol's simulator draws exactly its toolpath."""

from __future__ import annotations

import pytest
from dreamdraw.plotter import PlotterSettings, plan_toolpath, plot_on_simulator

from tests.plotter.plotter_samples import random_drawing


@pytest.mark.parametrize(
    ("device", "options"),
    [
        ("grbl", {}),
        ("grbl", {"grbl_streaming": "send-response"}),
        ("grbl", {"grbl_pen_up": "G0Z5", "grbl_pen_down": "G1Z0F600"}),
        ("axidraw", {}),
        ("axidraw", {"ebb_geometry": "direct"}),
        ("hpgl", {}),
        ("hpgl", {"hpgl_flow_control": "xonxoff"}),
    ],
    ids=[
        "grbl",
        "grbl-send-response",
        "grbl-z-pen",
        "axidraw",
        "ebb-direct",
        "hpgl",
        "hpgl-xonxoff",
    ],
)
def test_recorded_pen_path_matches_the_toolpath(
    device: str, options: dict, drawing_svg: str, quick: PlotterSettings, artifacts
) -> None:
    settings = quick.with_options(device=device, **options)
    toolpath = plan_toolpath(drawing_svg, settings)
    plot = plot_on_simulator(toolpath, settings, speedup=200, png=artifacts / f"{device}.png")
    assert plot.result.completed
    assert plot.report.exact, plot.report.summary()
    assert plot.report.max_deviation_mm <= 0.05
    assert len(plot.drawn) == len(toolpath.strokes)  # no extra pen-down moves
    assert (artifacts / f"{device}.png").stat().st_size > 1000


def test_grbl_never_has_more_than_127_bytes_unacknowledged(
    drawing_svg: str, quick: PlotterSettings
) -> None:
    plot = plot_on_simulator(drawing_svg, quick.with_options(device="grbl"), speedup=50)
    assert plot.report.exact
    assert 64 < plot.stats.max_unacked <= 127
    assert plot.stats.overflowed == 0


def test_hpgl_with_esc_b_never_overfills_the_buffer(
    drawing_svg: str, quick: PlotterSettings
) -> None:
    plot = plot_on_simulator(drawing_svg, quick.with_options(device="hpgl"), speedup=500)
    assert plot.report.exact
    assert plot.stats.overflowed == 0


@pytest.mark.parametrize(
    ("device", "pen_change"),
    [("grbl", "prompt"), ("grbl", "device"), ("hpgl", "device"), ("axidraw", "prompt")],
)
def test_each_drawn_path_carries_the_pen_its_protocol_named(
    device: str, pen_change: str, quick: PlotterSettings
) -> None:
    settings = quick.with_options(device=device, pen_change=pen_change)
    toolpath = plan_toolpath(random_drawing(seed=4, strokes=8).to_svg(), settings)
    plot = plot_on_simulator(toolpath, settings, speedup=200)
    assert plot.result.completed and plot.report.exact
    planned = [toolpath.strokes[i].pen for i in plot.result.drawn]
    assert set(planned) == {1, 2}
    # AxiDraw's protocol names no pen: every path is pen 1.
    assert plot.drawn_pens == (planned if device != "axidraw" else [1] * len(planned))
