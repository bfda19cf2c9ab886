"""Plot jobs: progress, pen changes, pause/resume/abort, and resuming from the job file."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from dreamdraw.plotter import (
    GrblDriver,
    GrblSimulator,
    JobFile,
    PlotJob,
    PlotterSettings,
    Toolpath,
    compare_trace,
    drawn_on_paper,
    plan_toolpath,
)


class ProcessDied(Exception):
    """Stands in for the plotting process being killed."""


def _die_after(strokes: int):
    def on_progress(progress) -> None:
        if progress.strokes_done >= strokes:
            raise ProcessDied

    return on_progress


def test_progress_counts_strokes_and_time_left(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    seen = []
    with (
        GrblSimulator(speedup=100) as sim,
        GrblDriver(sim.port, quick, small_toolpath.sheet) as driver,
    ):
        PlotJob(small_toolpath, driver, on_progress=seen.append).run()
    assert [p.strokes_done for p in seen] == list(range(1, 7))
    assert seen[-1].fraction == pytest.approx(1.0)
    assert seen[-1].remaining_s == pytest.approx(0.0, abs=1e-6)
    assert all(a.fraction < b.fraction for a, b in zip(seen, seen[1:], strict=False))


def test_resume_after_the_process_died_draws_each_stroke_once(
    small_toolpath: Toolpath, quick: PlotterSettings, tmp_path: Path
) -> None:
    job_path = tmp_path / "job.jsonl"
    with GrblSimulator(speedup=100) as sim:
        with (
            GrblDriver(sim.port, quick, small_toolpath.sheet) as driver,
            pytest.raises(ProcessDied),
        ):
            PlotJob(small_toolpath, driver, job_file=job_path, on_progress=_die_after(3)).run()
        assert JobFile.load(job_path).done == {0, 1, 2}
        with GrblDriver(sim.port, quick, small_toolpath.sheet) as driver:
            result = PlotJob.load(job_path, driver).run()
        report = compare_trace(small_toolpath, drawn_on_paper(sim, driver))
    assert result.completed and result.drawn == [3, 4, 5]
    assert report.exact, report.summary()


def test_job_file_is_json_lines_with_the_toolpath_and_each_stroke_done(
    small_toolpath: Toolpath, quick: PlotterSettings, tmp_path: Path
) -> None:
    job_path = tmp_path / "job.jsonl"
    with (
        GrblSimulator(speedup=100) as sim,
        GrblDriver(sim.port, quick, small_toolpath.sheet) as driver,
    ):
        PlotJob(small_toolpath, driver, job_file=job_path).run()
    header, *done = [json.loads(line) for line in job_path.read_text().splitlines()]
    assert header["format"] == "dreamdraw.plotjob/1"
    assert header["device"] == "grbl" and header["port"] == sim.port
    assert len(header["toolpath"]["strokes"]) == 6
    assert [d["done"] for d in done] == [0, 1, 2, 3, 4, 5]


def test_a_half_written_last_line_is_ignored_on_resume(
    small_toolpath: Toolpath, quick: PlotterSettings, tmp_path: Path
) -> None:
    job_path = tmp_path / "job.jsonl"
    JobFile.create(job_path, small_toolpath, quick, "loop://").record_done(0)
    with job_path.open("a") as f:
        f.write('{"do')
    assert JobFile.load(job_path).done == {0}


def test_pen_change_asks_for_each_new_pen_by_name(drawing_svg: str, quick: PlotterSettings) -> None:
    toolpath = plan_toolpath(drawing_svg, quick)
    asked = []
    with GrblSimulator(speedup=200) as sim, GrblDriver(sim.port, quick, toolpath.sheet) as driver:
        result = PlotJob(toolpath, driver, on_pen_change=asked.append).run()
    assert result.completed
    assert [(p.id, p.name) for p in asked] == [(2, "blue")]


def test_pause_holds_between_strokes_until_resumed(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    paused_at = []

    with (
        GrblSimulator(speedup=100) as sim,
        GrblDriver(sim.port, quick, small_toolpath.sheet) as driver,
    ):
        job = PlotJob(small_toolpath, driver)

        def pause_once(progress) -> None:
            if progress.strokes_done == 2:
                job.pause()
                paused_at.append(len(sim.drawn_paths()))
                threading.Timer(
                    0.3, lambda: (paused_at.append(len(sim.drawn_paths())), job.resume())
                ).start()

        job.on_progress = pause_once
        result = job.run()
    assert paused_at == [2, 2]  # nothing drawn while paused
    assert result.completed


def test_feed_hold_stops_motion_at_once_and_resumes(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    with (
        GrblSimulator(speedup=5) as sim,
        GrblDriver(sim.port, quick, small_toolpath.sheet) as driver,
    ):
        job = PlotJob(small_toolpath, driver)
        held = []
        threading.Timer(0.3, lambda: job.pause(immediate=True)).start()
        threading.Timer(0.6, lambda: held.append((sim.hold, sim.state()))).start()
        threading.Timer(0.8, job.resume).start()
        result = job.run()
        report = compare_trace(small_toolpath, drawn_on_paper(sim, driver))
    assert held == [(True, "Hold:0")]
    assert result.completed and report.exact, report.summary()


def test_abort_stops_the_job_with_the_pen_up(
    small_toolpath: Toolpath, quick: PlotterSettings
) -> None:
    with (
        GrblSimulator(speedup=5) as sim,
        GrblDriver(sim.port, quick, small_toolpath.sheet) as driver,
    ):
        job = PlotJob(small_toolpath, driver)
        threading.Timer(0.3, job.abort).start()
        result = job.run()
        drawn = len(sim.drawn_paths())
    assert result.aborted and not result.completed
    assert len(result.drawn) < 6 and drawn <= len(result.drawn) + 1
    assert not sim.pen_is_down
