"""Progress in a log file is a line per stage; on a terminal it is a live bar."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from dreamdraw.installation.progress import StageProgress


def test_without_a_terminal_each_stage_is_one_line_when_it_starts_and_one_when_it_ends() -> None:
    out = io.StringIO()
    with StageProgress(out) as progress:
        for i in range(101):
            progress.update("drawing", i / 200)
        for i in range(101):
            progress.update("plotting", i / 100, f"stroke {i}/100")
    lines = out.getvalue().splitlines()
    assert lines[0] == "drawing..." and lines[2] == "plotting..."
    assert lines[1].startswith("drawing: done after ") and lines[3].startswith("plotting: done")
    assert len(lines) == 4 and "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_a_stage_cut_short_says_it_stopped() -> None:
    out = io.StringIO()
    try:
        with StageProgress(out) as progress:
            progress.update("drawing", 0.3)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert out.getvalue().splitlines()[-1].startswith("drawing: stopped after ")


def test_the_draw_command_redirected_to_a_file_writes_no_partial_lines(tmp_path: Path) -> None:
    log = tmp_path / "draw.log"
    with log.open("w") as stderr:
        subprocess.run(
            [sys.executable, "-m", "dreamdraw", "draw", "a cat", "--out", str(tmp_path / "out"),
             "--clip", "test:tiny", "--iterations", "3", "--strokes", "4", "--device", "cpu"],
            stderr=stderr,
            stdout=subprocess.DEVNULL,
            check=True,
            env={**os.environ, "DREAMDRAW_DATA_DIR": str(tmp_path / "data")},
        )  # fmt: skip
    text = log.read_text()
    assert "\r" not in text and "\x1b[" not in text
    assert [line for line in text.splitlines() if line.startswith("drawing")] == [
        "drawing...",
        next(line for line in text.splitlines() if line.startswith("drawing: done after ")),
    ]


def test_on_a_terminal_the_stage_is_a_live_bar() -> None:
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        with StageProgress(terminal) as progress:
            progress.update("drawing", 0.5, "step 5/10")
        terminal.flush()
        shown = os.read(leader, 4096).decode()
    os.close(leader)
    assert "drawing" in shown and "\r" in shown and "step 5/10" in shown
