"""Ports that are missing, busy, or speak something else give errors that say what to do."""

from __future__ import annotations

import fcntl
import os

import pytest
from dreamdraw.plotter import (
    EbbDriver,
    GrblDriver,
    GrblSimulator,
    HpglDriver,
    PlotterSettings,
    PortError,
    open_driver,
)


def test_unknown_port_says_how_to_list_ports(quick: PlotterSettings) -> None:
    with pytest.raises(PortError, match="no serial port /dev/ttyNOPE.*dreamdraw plotter ports"):
        open_driver("/dev/ttyNOPE", quick)


def test_busy_port_says_another_program_has_it(quick: PlotterSettings) -> None:
    with GrblSimulator() as sim:
        holder = os.open(sim.pty_path, os.O_RDWR | os.O_NOCTTY)
        try:
            fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with pytest.raises(PortError, match="busy: another program"):
                open_driver(sim.port, quick)
        finally:
            os.close(holder)


def test_missing_port_setting_is_a_clear_error() -> None:
    with pytest.raises(PortError, match="no serial port given; pass --port"):
        open_driver(None, PlotterSettings())


@pytest.mark.parametrize("driver_class", [EbbDriver, HpglDriver])
def test_a_controller_speaking_another_protocol_is_refused(
    driver_class, quick: PlotterSettings
) -> None:
    with GrblSimulator() as sim:
        driver = driver_class(sim.port, quick)
        with pytest.raises(PortError, match="does not answer like a (axidraw|hpgl) plotter"):
            driver.connect()


def test_a_port_that_only_sends_garbage_is_refused(quick: PlotterSettings) -> None:
    master, slave = os.openpty()
    try:
        os.write(master, bytes(range(0x80, 0xFF)) * 4 + b"\r\n")
        with pytest.raises(PortError, match="does not answer like a grbl plotter"):
            GrblDriver(os.ttyname(slave), quick).connect()
    finally:
        os.close(master)
        os.close(slave)


def test_pyserial_urls_are_accepted(quick: PlotterSettings) -> None:
    # loop:// echoes what is sent: a port that opens, but no GRBL on it.
    with pytest.raises(PortError, match="does not answer like a grbl plotter"):
        open_driver("loop://", quick)
