"""The plotter commands: `dreamdraw plot` and `dreamdraw plotter ...`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dreamdraw.plotter import GrblSimulator, JobFile

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
