"""`dreamdraw analyse archive --ray`: archived pairs analysed on a local Ray cluster of two
worker processes, exactly once, with the same results as in one process."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest
from dreamdraw.analysis import AnalysisSettings
from dreamdraw.archive import open_archive
from dreamdraw.drawing import load_clip
from dreamdraw.installation.analysis_stage import analyse_archive
from dreamdraw.installation.cluster import RayEngine, RaySettings
from dreamdraw.installation.reanalysis import PairJob, analyse_job, run_stamp
from dreamdraw.installation.study import load_study, run_study

from tests.installation.test_analyse_archive import a_pair

ray = pytest.importorskip("ray")

DREAMS = [
    "a whale over the city",
    "two red moons",
    "a house made of bread",
    "my teeth fell out",
    "a train under the sea",
    "flying over the school",
]
# What the CLI runs with `--clip test:tiny --no-fixlip` and a config that turns figures off.
SETTINGS = dataclasses.replace(AnalysisSettings(), clip="test:tiny", fixlip=False, figures=False)
CONFIG = "[analysis]\nfigures = false\n"
STUDY = """\
dreams = "dreams.txt"
[drawing]
clip = "test:tiny"
device = "cpu"
iterations = 2
augmentations = 1
canvas_px = 64
strokes = 4
[grid]
seed = [1, 2]
[analysis]
clip = "test:tiny"
fixlip = false
figures = false
"""


@pytest.fixture(scope="module")
def engine():
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level="WARNING",
        log_to_driver=False,
    )
    try:
        with RayEngine(SETTINGS, RaySettings(workers=2, batch_size=1)) as running:
            yield running
    finally:
        ray.shutdown()


def an_archive(path, dreams=DREAMS):
    archive = open_archive(path)
    for text in dreams:
        transcript, drawing = a_pair(text)
        archive.add(transcript=transcript, drawing=drawing, venue="test")
    return archive


def analyses_per_record(archive, record_id: int) -> int:
    return [e.action for e in archive.audit_log(record_id)].count("analyse")


def without_timing(analysis: dict) -> dict:
    return {k: v for k, v in analysis.items() if k not in ("seconds", "run")}


def test_results_on_ray_are_those_of_the_single_process_path(engine, tmp_path):
    with an_archive(tmp_path / "data", DREAMS[:3]) as archive:
        done = analyse_archive(archive, None, SETTINGS, tmp_path, everything=True, engine=engine)
        assert sorted(d.id for d in done) == [1, 2, 3]
        clip = load_clip("test:tiny")
        for record_id in (1, 2, 3):
            record = archive.get(record_id)
            here = analyse_job(
                PairJob(record_id, record.transcript, record.drawing), clip, SETTINGS
            )
            assert record.cluster == here.cluster
            assert record.cluster_confidence == pytest.approx(here.confidence, abs=1e-6)
            stored = without_timing(record.analysis)
            assert stored.keys() == without_timing(here.analysis).keys()
            assert stored["alignment"] == pytest.approx(here.analysis["alignment"], abs=1e-5)
            assert stored["evidence"] == pytest.approx(here.analysis["evidence"], abs=1e-5)


def test_every_worker_gets_a_batch_before_any_gets_a_second(engine, tmp_path):
    before = list(engine.batches_sent)
    with an_archive(tmp_path / "data", DREAMS[:2]) as archive:
        analyse_archive(archive, None, SETTINGS, tmp_path, everything=True, engine=engine)
    # batch_size 1: two pairs are one batch for each worker, not two for the first
    assert [n - b for n, b in zip(engine.batches_sent, before, strict=True)] == [1, 1]


def test_a_corrupt_drawing_is_recorded_as_failed_and_the_rest_are_analysed(engine, tmp_path):
    with an_archive(tmp_path / "data", DREAMS[:2]) as archive:
        broken = archive.add(transcript={"text": "?"}, drawing={"strokes": "?"}, venue="test")
        done = analyse_archive(archive, None, SETTINGS, tmp_path, everything=True, engine=engine)
        errors = {d.id: d.error for d in done}
        assert errors[1] is None and errors[2] is None
        assert "not a dreamdraw drawing" in errors[broken.id]
        assert "not a dreamdraw drawing" in run_stamp(archive.get(broken.id))["error"]


def test_a_killed_worker_s_pairs_finish_on_another_and_none_is_stored_twice(engine, tmp_path):
    victim = engine.worker_pids()[0]
    lost_before = engine.lost_workers
    killed: list[int] = []

    def kill_a_worker_once(result):
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with an_archive(tmp_path / "data") as archive:
        done = analyse_archive(
            archive,
            None,
            SETTINGS,
            tmp_path,
            everything=True,
            engine=engine,
            progress=kill_a_worker_once,
        )
        assert engine.lost_workers > lost_before
        assert sorted(d.id for d in done) == list(range(1, len(DREAMS) + 1))
        assert all(d.error is None for d in done)
        for record_id in range(1, len(DREAMS) + 1):
            assert analyses_per_record(archive, record_id) == 1
            assert archive.get(record_id).cluster is not None


def test_a_killed_driver_started_again_resumes_without_redoing_finished_pairs(engine, tmp_path):
    data = tmp_path / "data"
    an_archive(data, DREAMS * 2).close()
    config = tmp_path / "venue.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "dreamdraw", "--config", str(config), "--data-dir", str(data)]
    command += ["analyse", "archive", "--all", "--ray", "local", "--workers", "1"]
    command += ["--batch-size", "1", "--clip", "test:tiny", "--no-fixlip"]
    driver = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        finished = _wait_for_analysed(data, driver, deadline=time.monotonic() + 120)
    finally:
        driver.kill()
        driver.wait()
        with contextlib.suppress(ProcessLookupError):  # the local Ray cluster it started
            os.killpg(driver.pid, signal.SIGKILL)
    assert finished, "the driver stored nothing before it was killed"
    with open_archive(data) as archive:
        finished = {r.id for r in archive.iter_records() if r.analysis}
        resumed = analyse_archive(archive, None, SETTINGS, tmp_path, everything=True, engine=engine)
        assert not finished & {d.id for d in resumed}
        assert finished | {d.id for d in resumed} == set(range(1, 2 * len(DREAMS) + 1))
        for record_id in range(1, 2 * len(DREAMS) + 1):
            assert analyses_per_record(archive, record_id) == 1


def _wait_for_analysed(data, driver: subprocess.Popen, deadline: float) -> set[int]:
    """Polls the archive until the driver has stored at least one analysis."""
    while time.monotonic() < deadline and driver.poll() is None:
        with open_archive(data) as archive:
            finished = {r.id for r in archive.iter_records() if r.analysis}
        if finished:
            return finished
        time.sleep(0.2)
    assert driver.poll() is None, driver.stderr.read().decode()
    return set()


def test_a_study_is_drawn_and_analysed_on_the_cluster(engine, tmp_path):
    (tmp_path / "dreams.txt").write_text("two red moons\na whale\n", encoding="utf-8")
    (tmp_path / "study.toml").write_text(STUDY, encoding="utf-8")
    study = load_study(tmp_path / "study.toml")
    with open_archive(study.archive_dir) as archive:
        ids = run_study(study, archive, engine)
        records = [archive.get(i) for i in ids]
    assert [(r.venue, r.dream, r.drawing["seed"]) for r in records] == [
        ("study/seed=1", "two red moons", 1),
        ("study/seed=1", "a whale", 1),
        ("study/seed=2", "two red moons", 2),
        ("study/seed=2", "a whale", 2),
    ]
    assert all(r.cluster is not None for r in records)
