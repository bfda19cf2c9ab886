"""Plotter test fixtures: a real dreamdraw drawing as SVG, small SVGs, and quick settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dreamdraw.plotter import PlotterSettings, Toolpath, plan_toolpath

from tests.plotter.firmware import Firmware, FirmwareKit, FirmwareMissing
from tests.plotter.plotter_samples import random_drawing


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


@pytest.fixture(scope="session")
def firmware_kit(tmp_path_factory: pytest.TempPathFactory) -> FirmwareKit:
    """The GRBL 1.1h firmware built once per session (skips, or fails on CI, without the kit)."""
    try:
        return FirmwareKit.build(tmp_path_factory.mktemp("grbl-sim"))
    except FirmwareMissing as missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"GRBL firmware tests cannot run on CI: {missing}", pytrace=False)
        pytest.skip(str(missing))


@pytest.fixture
def firmware(firmware_kit: FirmwareKit, tmp_path: Path) -> Iterator[Firmware]:
    """The real firmware on a pty in this test's own folder, at its default settings."""
    served = Firmware(firmware_kit, tmp_path / "grbl").start()
    try:
        yield served
    finally:
        served.kill()
