"""Toolpaths: flattening, fitting, pens, short strokes, ordering, estimates, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from dreamdraw.paper import parse_paper
from dreamdraw.plotter import PlotterError, PlotterSettings, Toolpath, plan_toolpath
from dreamdraw.plotter.kinematics import polyline_time, travel_time
from dreamdraw.plotter.ordering import merge_lines, order_ours, order_vpype, pen_up_length
from dreamdraw.plotter.toolpath import read_document

from tests.plotter.plotter_samples import random_drawing, svg_document


def test_flattened_circle_stays_within_the_tolerance() -> None:
    svg = svg_document('<circle cx="50" cy="50" r="40" fill="none" stroke="black"/>')
    settings = PlotterSettings(fit="none", margin_mm=0, tolerance_mm=0.1)
    toolpath = plan_toolpath(svg, settings, parse_paper("100x100mm"))
    points = toolpath.strokes[0].points
    radii = np.hypot(points[:, 0] - 50, points[:, 1] - 50)
    midpoints = (points[1:] + points[:-1]) / 2
    chord_radii = np.hypot(midpoints[:, 0] - 50, midpoints[:, 1] - 50)
    assert np.abs(radii - 40).max() <= 0.1
    assert (40 - chord_radii).max() <= 0.1
    assert len(points) < 200  # simplified, not one point per 0.1 mm


def test_fit_keeps_the_aspect_ratio_inside_the_margins() -> None:
    svg = svg_document(
        '<rect x="0" y="0" width="200" height="100" fill="none" stroke="black"/>', 200, 100
    )
    settings = PlotterSettings(margin_mm=10, rotate="never")
    toolpath = plan_toolpath(svg, settings, parse_paper("A4", "landscape"))
    points = np.concatenate([s.points for s in toolpath.strokes])
    width, height = np.ptp(points[:, 0]), np.ptp(points[:, 1])
    assert width == pytest.approx(277, abs=0.01)
    assert width / height == pytest.approx(2.0, abs=1e-3)
    assert points[:, 1].min() == pytest.approx((210 - height) / 2, abs=0.01)


def test_portrait_drawing_turns_a_quarter_onto_landscape_paper() -> None:
    svg = svg_document('<path d="M 0 0 L 0 200" stroke="black"/>', 100, 200)
    toolpath = plan_toolpath(svg, PlotterSettings(margin_mm=10), parse_paper("A4", "landscape"))
    (start, end) = toolpath.strokes[0].points[[0, -1]]
    assert toolpath.stats.rotated
    assert abs(end[0] - start[0]) > 150 and abs(end[1] - start[1]) < 1e-6


def test_each_layer_becomes_a_pen_plotted_in_order(drawing_svg: str) -> None:
    toolpath = plan_toolpath(drawing_svg, PlotterSettings(optimize_time_s=0.05))
    pens = [pen.id for pen, _ in toolpath.layers()]
    assert pens == [1, 2]
    assert [p.name for p in toolpath.pens] == ["black", "blue"]
    assert toolpath.pens[1].color == "#1f4fbf"
    order = [s.pen for s in toolpath.strokes]
    assert order == sorted(order)


def test_strokes_shorter_than_the_pen_can_draw_are_dropped_and_counted() -> None:
    svg = svg_document(
        '<path d="M 10 10 L 90 90" stroke="black"/><path d="M 50 10 L 50.05 10" stroke="black"/>'
    )
    dropped = plan_toolpath(
        svg, PlotterSettings(min_stroke_mm=0.5, margin_mm=0, fit="none"), parse_paper("100x100mm")
    )
    kept = plan_toolpath(
        svg,
        PlotterSettings(min_stroke_mm=0.5, margin_mm=0, fit="none", short_strokes="keep"),
        parse_paper("100x100mm"),
    )
    assert (dropped.stats.strokes, dropped.stats.short_strokes) == (1, 1)
    assert (kept.stats.strokes, kept.stats.short_strokes) == (2, 1)


def test_our_order_travels_no_farther_than_vpype_linesort() -> None:
    for seed in range(3):
        document = read_document(random_drawing(seed, 120, pens=1).to_svg(), 0.1)
        lines = merge_lines([line / 3.7795 for line in document.layers[1]], 0.05)
        ours = order_ours(lines, 0j, time_budget_s=0.3)
        assert pen_up_length(ours) <= pen_up_length(order_vpype(lines))
        assert sorted(len(line) for line in ours) == sorted(len(line) for line in lines)


def test_plan_reports_lengths_lifts_and_a_time_estimate(drawing_svg: str) -> None:
    toolpath = plan_toolpath(drawing_svg, PlotterSettings(optimize_time_s=0.05))
    stats = toolpath.stats
    assert stats.lifts == stats.strokes == len(toolpath.strokes)
    assert stats.pen_down_mm == pytest.approx(sum(s.length_mm for s in toolpath.strokes))
    assert stats.pen_up_mm > 0
    assert stats.estimate.draw_s > stats.pen_down_mm / 50.0  # never faster than the feed
    assert stats.estimate.pen_s == pytest.approx(stats.strokes * 0.3)


def test_straight_line_time_follows_the_trapezoid() -> None:
    line = np.array([[0.0, 0.0], [100.0, 0.0]])
    # 50 mm/s, 1000 mm/s^2: 0.05 s up, 0.05 s down (1.25 mm each), 97.5 mm at speed.
    assert polyline_time(line, 50, 1000, 0.01) == pytest.approx(0.1 + 97.5 / 50)
    assert float(travel_time(1.0, 50, 1000)) == pytest.approx(2 * np.sqrt(1 / 1000))


def test_a_sharp_corner_costs_time_but_a_straight_split_does_not() -> None:
    straight = np.array([[0.0, 0.0], [50.0, 0.0], [100.0, 0.0]])
    corner = np.array([[0.0, 0.0], [50.0, 0.0], [50.0, 50.0]])
    assert polyline_time(straight, 50, 1000, 0.01) == pytest.approx(0.1 + 97.5 / 50)
    assert polyline_time(corner, 50, 1000, 0.01) > polyline_time(straight, 50, 1000, 0.01) + 0.03


def test_toolpath_survives_a_json_round_trip(drawing_svg: str) -> None:
    toolpath = plan_toolpath(drawing_svg, PlotterSettings(optimize_time_s=0.05))
    again = Toolpath.from_json(toolpath.to_json())
    assert again.stats == toolpath.stats
    assert again.pens == toolpath.pens
    assert all(
        np.allclose(a.points, b.points, atol=1e-4)
        for a, b in zip(again.strokes, toolpath.strokes, strict=True)
    )


def test_malformed_svg_is_a_clear_error() -> None:
    with pytest.raises(PlotterError, match="not a readable SVG"):
        plan_toolpath("<svg><path d='M 0 0 L 1 1'></svg")


def test_svg_without_lines_is_a_clear_error() -> None:
    with pytest.raises(PlotterError, match="nothing to plot"):
        plan_toolpath(svg_document('<text x="10" y="10">hello</text>'))


def test_drawing_larger_than_the_paper_at_true_size_is_refused() -> None:
    svg = svg_document('<path d="M 0 0 L 400 10" stroke="black"/>', 400, 100)
    with pytest.raises(PlotterError, match="does not fit on A4"):
        plan_toolpath(svg, PlotterSettings(fit="none"), parse_paper("A4"))


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(PlotterError, match="cannot read"):
        plan_toolpath(tmp_path / "nothing.svg")


def test_unknown_paper_size_names_the_known_ones() -> None:
    with pytest.raises(PlotterError, match="A4"):
        PlotterSettings(paper="B7").sheet()


def test_merge_joins_ends_within_tolerance_reversing_lines_as_needed() -> None:
    a = np.array([0 + 0j, 10 + 0j])
    b = np.array([20 + 0j, 10.03 + 0j])  # reversed, and 0.03 mm from a's end
    c = np.array([20 + 0j, 30 + 5j])
    far = np.array([50 + 50j, 60 + 50j])
    merged = merge_lines([a, b, c, far], tolerance=0.05)
    assert len(merged) == 2
    chain = max(merged, key=len)
    assert {complex(chain[0]), complex(chain[-1])} == {0j, 30 + 5j}
    assert len(chain) == 5  # 10 and 10.03 both kept; the shared 20 once
    assert len(merge_lines([a, b], tolerance=0.01)) == 2
