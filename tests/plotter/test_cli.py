"""The plotter commands: `dreamdraw plot` and `dreamdraw plotter ...`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dreamdraw.plotter import GrblSimulator, JobFile
from PIL import Image

from tests.cli_runner import run_cli as _run
from tests.plotter.plotter_samples import random_drawing


@pytest.fixture
def drawing_json(tmp_path: Path) -> Path:
    path = tmp_path / "drawing.json"
    random_drawing(seed=11, strokes=8, pens=1).save(path)
    return path


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(
        "[plotter]\npen_up_delay_s = 0.02\npen_down_delay_s = 0.02\noptimize_time_s = 0.05\n"
        "reply_timeout_s = 0.5\nstatus_interval_s = 0.05\n"
    )
    return path


def test_dry_run_prints_the_plan_and_moves_nothing(capsys, drawing_json: Path) -> None:
    code, out, err = _run(capsys, "plot", str(drawing_json), "--dry-run", "--paper", "A5")
    assert code == 0
    assert "8 strokes on A5 landscape (210 x 148 mm)" in err
    assert "estimated time" in err and "lifts" in err


def test_plot_to_file_writes_gcode(capsys, drawing_json: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "plot.gcode"
    code, out, _ = _run(capsys, "plot", str(drawing_json), "--to-file", str(out_file))
    assert code == 0 and f"wrote gcode to {out_file}" in out
    assert out_file.read_text().count("G4P") >= 16


def test_plot_a_drawing_on_the_simulator_and_resume_its_job(
    capsys, drawing_json: Path, fast_config: Path
) -> None:
    with GrblSimulator(speedup=200) as sim:
        code, out, err = _run(
            capsys, "--config", str(fast_config), "plot", str(drawing_json), "--port", sim.port
        )
        assert code == 0, err
        assert "plotted 8 strokes" in out
        job = Path(out.strip().rsplit("job ", 1)[1])
        assert JobFile.load(job).done == set(range(8))
        assert len(sim.drawn_paths()) == 8
        code, out, err = _run(capsys, "plot", "--resume", str(job), "--port", sim.port)
    assert code == 0, err
    assert "8 strokes already drawn" in err and "plotted 0 strokes" in out


def test_plotting_to_a_missing_port_is_one_line_and_exit_2(capsys, drawing_json: Path) -> None:
    code, _, err = _run(capsys, "plot", str(drawing_json), "--port", "/dev/ttyNOPE")
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("error: there is no serial port /dev/ttyNOPE")
    assert "Traceback" not in err


def test_a_malformed_svg_is_one_line_and_exit_2(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.svg"
    bad.write_text("<svg><g></svg>")
    code, _, err = _run(capsys, "plot", str(bad), "--dry-run")
    assert code == 2 and "is not a readable SVG" in err


def test_ports_lists_serial_ports(capsys) -> None:
    code, out, _ = _run(capsys, "plotter", "ports")
    assert code == 0 and out.strip()


def test_setup_commands_move_the_simulated_machine(capsys, fast_config: Path) -> None:
    with GrblSimulator(speedup=200) as sim:
        base = ["--config", str(fast_config), "plotter"]
        assert _run(capsys, *base, "pen-down", "--port", sim.port)[0] == 0
        assert sim.pen_is_down
        assert _run(capsys, *base, "pen-up", "--port", sim.port)[0] == 0
        assert not sim.pen_is_down
        # Paper y points down, machine Y up: -5 on paper is +5 on the machine.
        assert _run(capsys, *base, "jog", "--port", sim.port, "--", "12", "-5")[0] == 0
        assert sim.pos[:2] == pytest.approx((12.0, 5.0))
        assert _run(capsys, *base, "home", "--port", sim.port)[0] == 0
        assert sim.pos[:2] == pytest.approx((0.0, 0.0))


def test_simulate_prints_its_port_and_draws_a_png(capsys, tmp_path: Path) -> None:
    png = tmp_path / "sim.png"
    code, out, err = _run(capsys, "plotter", "simulate", "--seconds", "0.2", "--png", str(png))
    assert code == 0
    assert out.strip().endswith("/port")
    assert "dreamdraw plot FILE --device grbl --port" in err
    assert png.exists()


def test_simulate_rejects_a_malformed_fault(capsys) -> None:
    code, _, err = _run(capsys, "plotter", "simulate", "--fault", "alarm@x", "--seconds", "0.1")
    assert code == 2 and "KIND@LINE" in err


def test_job_file_settings_round_trip(capsys, drawing_json: Path, fast_config: Path) -> None:
    with GrblSimulator(speedup=200) as sim:
        code, out, _ = _run(
            capsys, "--config", str(fast_config), "plot", str(drawing_json), "--port", sim.port
        )
    header = json.loads(Path(out.strip().rsplit("job ", 1)[1]).read_text().splitlines()[0])
    assert header["settings"]["pen_up_delay_s"] == 0.02


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_simulate_writes_its_png_at_a_signal_in_the_pens_colours_on_the_paper(
    tmp_path: Path, fast_config: Path, stop: signal.Signals
) -> None:
    config = tmp_path / "pens.toml"
    config.write_text(
        fast_config.read_text() + "[drawing]\n"
        '[[drawing.pens]]\nid = 1\ncolor = "#d01c1c"\nwidth_mm = 1.0\n'
        '[[drawing.pens]]\nid = 2\ncolor = "#1c9c1c"\nwidth_mm = 1.0\n'
    )
    drawing = tmp_path / "drawing.json"
    random_drawing(seed=5, strokes=6, pens=2).save(drawing)
    png = tmp_path / "sim.png"
    env = {**os.environ, "DREAMDRAW_DATA_DIR": str(tmp_path / "data")}
    dreamdraw = [sys.executable, "-m", "dreamdraw", "--config", str(config)]
    simulator = subprocess.Popen(
        [*dreamdraw, "plotter", "simulate", "--speedup", "50", "--png", str(png)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        port = simulator.stdout.readline().strip()
        # The second pen is asked for at the keyboard: Enter answers it.
        plot = subprocess.run(
            [*dreamdraw, "plot", str(drawing), "--port", port],
            input="\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert plot.returncode == 0, plot.stderr
        assert "Put in pen 2" in plot.stderr
        simulator.send_signal(stop)
        _, err = simulator.communicate(timeout=20)
    finally:
        simulator.kill()
    assert simulator.returncode == 0, err
    assert f"wrote {png}" in err and "Traceback" not in err
    image = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    colours = {tuple(c) for c in np.unique(image, axis=0)}
    assert {(0xD0, 0x1C, 0x1C), (0x1C, 0x9C, 0x1C)} <= colours  # both pens' inks
    assert {
        (0xB4, 0xB4, 0xB4),
        (0x40, 0x40, 0x40),
        (255, 255, 255),
    } <= colours  # margin, outline, sheet
    assert (0, 0, 0) not in colours  # no path without its pen
