"""The progress line of long jobs: pairs per minute and time left, plain lines off a terminal."""

from __future__ import annotations

import io

from dreamdraw.installation.progress_meter import ProgressMeter, format_duration


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_line_gives_the_rate_per_minute_and_the_time_left():
    clock = Clock()
    meter = ProgressMeter(40, io.StringIO(), clock=clock)
    clock.now = 60.0
    for _ in range(10):
        meter.advance()
    assert meter.line() == "10/40 pairs, 10.0 pairs/min, 3 min left"


def test_failures_are_counted_in_the_line():
    clock = Clock()
    meter = ProgressMeter(4, io.StringIO(), clock=clock)
    clock.now = 30.0
    meter.advance(failed=True)
    assert meter.line().startswith("1/4 pairs (1 failed), 2.0 pairs/min")


def test_off_a_terminal_it_writes_a_plain_line_every_n_items_and_at_the_end():
    stream = io.StringIO()
    meter = ProgressMeter(5, stream, every=2, clock=Clock())
    for _ in range(5):
        meter.advance()
    lines = stream.getvalue().splitlines()
    assert [line.split(" ")[0] for line in lines] == ["2/5", "4/5", "5/5"]
    assert "\r" not in stream.getvalue()


def test_durations_read_in_seconds_minutes_or_hours():
    assert [format_duration(s) for s in (45, 12 * 60, 3 * 3600 + 5 * 60)] == [
        "45 s",
        "12 min",
        "3 h 05 min",
    ]
