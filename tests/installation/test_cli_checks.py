"""Every command checks its numbers, ports and paths up front: one line naming the option,
exit 2, before any model loads or any port opens."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

# (arguments, what the line names); FILE is an existing file, MISSING a path that is not
# there, NODIR/x a file in a folder that does not exist.
BAD_INVOCATIONS = [
    (["draw", "a cat", "--out", "O", "--strokes", "0"], "--strokes"),
    (["draw", "a cat", "--out", "O", "--iterations", "-5"], "--iterations"),
    (["draw", "a cat", "--out", "O", "--augmentations", "-1"], "--augmentations"),
    (["draw", "a cat", "--out", "O", "--png-width", "0"], "--png-width"),
    (["draw", "a cat", "--out", "O", "--strokes", "many"], "--strokes"),
    (["draw", "a cat", "--out", "FILE"], "--out"),
    (["draw", "a cat", "--out", "FILE/sub"], "--out"),
    (["draw", "a cat", "--out", "O", "--clip-checkpoint", "MISSING"], "--clip-checkpoint"),
    (["plot", "MISSING", "--dry-run"], "[SOURCE]"),
    (["plot", "FILE", "--port", ""], "--port"),
    (["plot", "FILE", "--baud", "0"], "--baud"),
    (["plot", "FILE", "--margin", "-1"], "--margin"),
    (["plot", "FILE", "--to-file", "NODIR/plot.gcode"], "--to-file"),
    (["plotter", "simulate", "--speedup", "0"], "--speedup"),
    (["plotter", "simulate", "--seconds", "-1"], "--seconds"),
    (["plotter", "simulate", "--png", "FILE/sim.png"], "--png"),
    (["plotter", "pen-up", "--port", " "], "--port"),
    (["plotter", "jog", "--baud", "-9600", "--", "1", "1"], "--baud"),
    (["listen", "--beam-size", "0"], "--beam-size"),
    (["listen", "--max-length", "0"], "--max-length"),
    (["transcribe", "MISSING"], "FILES..."),
    (["speech", "calibrate", "--room-seconds", "0"], "--room-seconds"),
    (["speech", "calibrate", "--sentence-seconds", "-2"], "--sentence-seconds"),
    (["analyse", "pair", "a cat", "MISSING", "--out", "O"], "DRAWING"),
    (["analyse", "pair", "a cat", "FILE", "--out", "FILE"], "--out"),
    (["analyse", "pair", "a cat", "FILE", "--out", "O", "--budget", "3"], "--budget"),
    (["analyse", "pair", "a cat", "FILE", "--out", "O", "--p", "1.5"], "--p"),
    (["analyse", "pair", "a cat", "FILE", "--out", "O", "--speech-logprob", "2"], "--speech-logprob"),
    (["analyse", "agreement", "MISSING"], "LABELS"),
    (["analyse", "surgery", "--captions", "MISSING", "--images", "O"], "--captions"),
    (["analyse", "surgery", "--captions", "FILE", "--images", "MISSING"], "--images"),
    (["analyse", "surgery", "--captions", "FILE", "--images", "O", "--batch-size", "0"], "--batch-size"),
    (["analyse", "archive", "--all", "--workers", "0"], "--workers"),
    (["archive", "serve", "--port", "99999"], "--port"),
    (["archive", "list", "--page", "0"], "--page"),
    (["archive", "list", "--per-page", "-1"], "--per-page"),
    (["archive", "export", "--out", "FILE"], "--out"),
    (["demo", "a cat", "--out", "FILE/sub"], "--out"),
    (["study", "run", "MISSING"], "STUDY_FILE"),
    (["study", "report", "MISSING", "--out", "O"], "STUDY_FILE"),
    (["models", "export", "FILE"], "FOLDER"),
    (["models", "pull", "--cache-dir", "FILE"], "--cache-dir"),
    (["config", "init", "NODIR/venue.toml"], "[PATH]"),
    (["--data-dir", "FILE", "status"], "--data-dir"),
]  # fmt: skip


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    existing = tmp_path / "file.txt"
    existing.write_text("not a folder\n")
    (tmp_path / "out").mkdir()
    return {
        "FILE": str(existing),
        "MISSING": str(tmp_path / "missing.json"),
        "NODIR": str(tmp_path / "nodir"),
        "O": str(tmp_path / "out"),
    }


def _fill(args: list[str], places: dict[str, str]) -> list[str]:
    out = []
    for arg in args:
        head, _, rest = arg.partition("/")
        out.append(places[head] + (f"/{rest}" if rest else "") if head in places else arg)
    return out


@pytest.mark.parametrize(
    ("args", "option"), BAD_INVOCATIONS, ids=[" ".join(a[:3]) for a, _ in BAD_INVOCATIONS]
)
def test_a_bad_value_is_one_line_naming_the_option_before_anything_starts(
    capsys: pytest.CaptureFixture[str], places: dict[str, str], args: list[str], option: str
) -> None:
    started = time.monotonic()
    code, out, err = run_cli(capsys, *_fill(args, places))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Invalid value for "), err
    assert f"'{option}'" in lines[0] and out == ""
    assert time.monotonic() - started < 2.0  # refused while parsing: nothing loaded or opened
    assert not any(Path(places["O"]).iterdir())  # nothing written


def test_refused_options_load_no_model_in_a_fresh_process(places: dict[str, str]) -> None:
    """In a process of its own: the refusals import neither torch nor serial."""
    script = (
        "import sys\n"
        "from dreamdraw.installation.cli import main\n"
        f"for args in {[_fill(a, places) for a, _ in BAD_INVOCATIONS]!r}:\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 2, args\n"
        "print(sorted(m for m in ('torch', 'open_clip', 'faster_whisper', 'serial')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert result.stderr.count("\n") == len(BAD_INVOCATIONS)
    assert "Traceback" not in result.stderr
