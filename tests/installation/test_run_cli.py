"""`dreamdraw demo` and `dreamdraw status`: offline with the tiny models, as in CI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from dreamdraw.archive import open_archive
from dreamdraw.installation.cli import cli
from dreamdraw.installation.status import read_status
from PIL import Image

DATA = Path(__file__).resolve().parent.parent / "speech" / "data"

FAST_VENUE = """
[venue]
name = "test venue"
[drawing]
clip = "test:tiny"
strokes = 12
iterations = 2
augmentations = 0
canvas_px = 32
[analysis]
clip = "test:tiny"
fixlip = false
figures = false
[plot_queue]
simulator_speedup = 200.0
[show]
status_port = 0
"""


@pytest.fixture
def venue(tmp_path: Path) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(FAST_VENUE)
    return path


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_draws_plots_archives_and_analyses_a_typed_dream(tmp_path, venue):
    data = tmp_path / "data"
    output = invoke(
        "--data-dir", str(data), "demo", "a whale over the city", "--clip", "test:tiny",
        "--config", str(venue),
    )  # fmt: skip
    assert "test:tiny is a random-weight test model" in output
    assert "archived as record 1 (plot status plotted)" in output
    folder = data / "demo" / "000001"
    for name in ("drawing.svg", "drawing.png", "plotted.png", "analysis.json"):
        assert (folder / name).is_file(), name
        assert f"{name}: {folder / name}" in output
    plotted = Image.open(folder / "plotted.png").convert("L")
    assert plotted.getextrema()[0] < 128  # the pen drew something
    with open_archive(data) as archive:
        record = archive.get(1)
    assert record.venue == "test venue" and record.plot_status == "plotted"
    assert record.cluster is not None


def test_the_figures_analysis_json_names_are_in_the_demo_folder(tmp_path):
    venue = tmp_path / "figures.toml"
    venue.write_text(FAST_VENUE.replace("figures = false", "figures = true"))
    data = tmp_path / "data"
    invoke("--data-dir", str(data), "demo", "a red boat", "--config", str(venue))
    folder = data / "demo" / "000001"
    named = json.loads((folder / "analysis.json").read_text(encoding="utf-8"))["figures"]
    assert named
    for name in named:
        assert Image.open(folder / name).format == "PNG", name


def test_demo_transcribes_a_wav_first(tmp_path, venue):
    output = invoke(
        "--data-dir", str(tmp_path / "data"), "demo", "--wav", str(DATA / "red_door.wav"),
        "--clip", "test:tiny", "--config", str(venue),
    )  # fmt: skip
    assert "red door" in output.lower()
    transcript = json.loads((tmp_path / "data" / "demo" / "000001" / "transcript.json").read_text())
    assert transcript["engine"] == "faster-whisper" and "red door" in transcript["text"].lower()


def test_status_says_when_no_show_has_run(tmp_path):
    output = invoke("--data-dir", str(tmp_path / "empty"), "status")
    assert "no show has run" in output


def test_status_after_a_demo_reads_as_not_running_with_its_counts(tmp_path, venue):
    data = tmp_path / "data"
    invoke(
        "--data-dir", str(data), "demo", "a red door", "--clip", "test:tiny", "--config", str(venue)
    )
    status = json.loads(invoke("--data-dir", str(data), "status", "--json"))
    assert status["running"] is False
    assert status["counters"]["plotted"] == 1 and status["venue"] == "test venue"
    assert "show: not running" in invoke("--data-dir", str(data), "status")


def test_demo_without_text_or_wav_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dreamdraw", "demo", "--clip", "test:tiny"],
        capture_output=True,
        text=True,
        env={**os.environ, "DREAMDRAW_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert result.returncode == 2
    assert "error: give the demo either a dream TEXT or --wav FILE" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_run_shows_the_kiosk_headless_and_stops_cleanly_on_a_signal(tmp_path, venue, stop_signal):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
        "DREAMDRAW_DATA_DIR": str(data),
        "HF_HUB_OFFLINE": "1",
    }
    command = ["run", "--config", str(venue), "--keyboard", "--simulate-plotter"]
    # -X faulthandler: if the show ever hangs, SIGABRT prints where every thread is.
    # Started with SIGINT ignored, as a background job of a script is: Ctrl-C still works.
    show = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "dreamdraw", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not (read_status(data) or {}).get("running"):
            assert show.poll() is None, show.communicate()
            time.sleep(0.5)
        status = read_status(data) or {}
        assert status.get("running"), f"the show was not running after 240 s: {status}"
        assert status["state"] == "attract" and status["keyboard_mode"]
        assert status["plotter"]["state"] == "idle"
    finally:
        show.send_signal(stop_signal)
        try:
            _, stderr = show.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            show.send_signal(signal.SIGABRT)
            _, stderr = show.communicate(timeout=30)
            pytest.fail(
                f"dreamdraw run did not stop within 60 s of {stop_signal.name}:\n{stderr[-6000:]}"
            )
    assert show.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert read_status(data)["running"] is False
