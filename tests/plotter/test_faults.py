"""Faults: each one ends with every stroke drawn (only interrupted ones twice) or a clear error."""

from __future__ import annotations

import random

import pytest
from dreamdraw.plotter import (
    Fault,
    PlotterError,
    PlotterSettings,
    Toolpath,
    plot_on_simulator,
)

# Command lines a six-stroke plot sends, per protocol (faults are placed among them).
_LINES = {"grbl": 120, "axidraw": 150, "hpgl": 30}
_KINDS = {
    "grbl": ["error", "alarm", "reset", "garbage", "lose", "duplicate", "vanish", "stall"],
    "axidraw": ["error", "garbage", "lose", "duplicate", "vanish", "stall"],
    "hpgl": ["error", "garbage", "lose", "duplicate", "vanish", "stall"],
}


def _settings(quick: PlotterSettings, device: str) -> PlotterSettings:
    # Homing: a GRBL that lost power re-homes instead of plotting from a forgotten origin.
    return quick.with_options(device=device, grbl_homing=True, reconnect_timeout_s=3.0)


def _check_outcome(toolpath: Toolpath, settings: PlotterSettings, faults: list[Fault]) -> str:
    try:
        plot = plot_on_simulator(toolpath, settings, speedup=100, faults=faults)
    except PlotterError as exc:
        message = str(exc)
        assert len(message) > 20 and "Traceback" not in message
        return "error"
    report = plot.report
    restarted = {r.stroke for r in plot.result.restarts}
    assert plot.result.completed
    assert not report.missing, report.summary()
    assert not report.extra, report.summary()
    assert set(report.drawn_more_than_once) <= restarted, (report.summary(), restarted)
    assert report.max_deviation_mm <= 0.05
    return "restarted" if restarted else "clean"


def test_a_hundred_random_fault_runs_end_drawn_or_with_a_clear_error(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    outcomes = {"clean": 0, "restarted": 0, "error": 0}
    devices = ["grbl"] * 2 + ["axidraw", "hpgl"]
    for run in range(100):
        rng = random.Random(run)
        device = devices[run % len(devices)]
        faults = [
            Fault(
                rng.choice(_KINDS[device]), rng.randint(1, _LINES[device]), rng.choice([0.1, 0.6])
            )
            for _ in range(rng.randint(1, 3))
        ]
        outcomes[_check_outcome(small_toolpath, _settings(quick, device), faults)] += 1
    # Every kind of ending happened, and faults mostly ended in a finished plot.
    assert min(outcomes.values()) > 0, outcomes
    assert outcomes["clean"] + outcomes["restarted"] > outcomes["error"], outcomes


@pytest.mark.parametrize("kind", ["alarm", "reset", "vanish", "stall"])
def test_grbl_fault_redraws_only_the_interrupted_stroke(
    kind: str, small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    plot = plot_on_simulator(
        small_toolpath, _settings(quick, "grbl"), speedup=100, faults=[Fault(kind, 60, 0.6)]
    )
    restarted = {r.stroke for r in plot.result.restarts}
    assert plot.result.completed
    assert len(restarted) >= 1
    assert set(plot.report.drawn_more_than_once) <= restarted
    assert all(plot.report.complete) and not plot.report.extra


@pytest.mark.parametrize("kind", ["lose", "duplicate", "garbage"])
def test_grbl_reply_faults_need_no_redraw(
    kind: str, small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    plot = plot_on_simulator(
        small_toolpath, _settings(quick, "grbl"), speedup=100, faults=[Fault(kind, 40)]
    )
    assert plot.report.exact, plot.report.summary()
    assert plot.result.restarts == []


def test_grbl_error_reply_stops_naming_the_line_and_the_code(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    with pytest.raises(
        PlotterError, match=r"GRBL rejected `[^`]+` with error:20 \(unsupported or invalid G-code"
    ):
        plot_on_simulator(
            small_toolpath, _settings(quick, "grbl"), speedup=100, faults=[Fault("error", 30)]
        )


def test_ebb_error_reply_is_a_clear_error(small_toolpath: Toolpath, quick: PlotterSettings) -> None:
    with pytest.raises(PlotterError, match=r"EiBotBoard refused `(XM|SP)[,\d-]+`: !8 Err"):
        plot_on_simulator(
            small_toolpath, _settings(quick, "axidraw"), speedup=100, faults=[Fault("error", 40)]
        )


def test_hpgl_error_is_read_back_and_reported(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    with pytest.raises(
        PlotterError, match="HPGL plotter reports error 1 \\(instruction not recognised\\)"
    ):
        plot_on_simulator(
            small_toolpath, _settings(quick, "hpgl"), speedup=100, faults=[Fault("error", 10)]
        )


@pytest.mark.parametrize("device", ["axidraw", "hpgl"])
def test_port_vanishing_mid_stroke_is_survived(
    device: str, small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    line = {"axidraw": 60, "hpgl": 12}[device]
    plot = plot_on_simulator(
        small_toolpath, _settings(quick, device), speedup=100, faults=[Fault("vanish", line, 0.5)]
    )
    restarted = {r.stroke for r in plot.result.restarts}
    assert plot.result.completed and len(restarted) >= 1
    assert set(plot.report.drawn_more_than_once) <= restarted
    assert all(plot.report.complete) and not plot.report.extra


def test_a_controller_that_never_comes_back_is_a_clear_error(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    settings = _settings(quick, "grbl").with_options(reconnect_timeout_s=1.0)
    with pytest.raises(PlotterError, match="cannot reach the plotter .* --resume"):
        plot_on_simulator(small_toolpath, settings, speedup=100, faults=[Fault("stall", 50, 30.0)])


def test_grbl_power_cycle_without_homing_stops_instead_of_drawing_shifted(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    settings = quick.with_options(device="grbl", grbl_homing=False)
    with pytest.raises(PlotterError, match="lost its position.*enable homing"):
        plot_on_simulator(small_toolpath, settings, speedup=100, faults=[Fault("vanish", 60, 0.3)])
