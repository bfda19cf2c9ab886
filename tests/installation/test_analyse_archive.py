"""`dreamdraw analyse archive`: the explainability suite over archived pairs, stored back."""

from __future__ import annotations

import dataclasses

import pytest
from dreamdraw.analysis import AnalysisSettings
from dreamdraw.archive import ArchiveError, open_archive
from dreamdraw.drawing import Drawing, Pen, Stroke, load_clip
from dreamdraw.installation.analysis_stage import analyse_archive
from dreamdraw.installation.cli import main
from dreamdraw.installation.reanalysis import ANALYSIS_VERSION, analysis_fingerprint, run_stamp
from dreamdraw.paper import parse_paper
from dreamdraw.speech import Segment, Transcript


def a_pair(text: str) -> tuple[Transcript, Drawing]:
    transcript = Transcript(text, "en", text, [Segment(0.0, 2.0, text, -0.3, 0.01)], duration_s=2.0)
    strokes = [
        Stroke(1, [(10 + 20 * i, 20), (30 + 20 * i, 60), (20 + 20 * i, 90), (40 + 20 * i, 100)])
        for i in range(5)
    ]
    drawing = Drawing(158, 112, parse_paper("A4"), [Pen(1, "#000000", 3.0)], strokes, prompt=text)
    return transcript, drawing


@pytest.fixture
def archive(tmp_path):
    with open_archive(tmp_path / "data") as store:
        for text in ("a whale over the city", "two red moons"):
            transcript, drawing = a_pair(text)
            store.add(transcript=transcript, drawing=drawing, svg=drawing.to_svg(), venue="test")
        yield store


SETTINGS = dataclasses.replace(AnalysisSettings(), fixlip_budget=64, figures=False)


def test_every_selected_pair_gets_a_stored_cluster(archive, tmp_path):
    done = analyse_archive(archive, load_clip("test:tiny"), SETTINGS, tmp_path, everything=True)
    assert [d.error for d in done] == [None, None]
    for outcome in done:
        record = archive.get(outcome.id)
        assert record.cluster == outcome.cluster and record.cluster is not None
        assert record.analysis and record.cluster_rationale


def test_each_stored_analysis_carries_the_version_and_the_settings_fingerprint(archive, tmp_path):
    analyse_archive(archive, load_clip("test:tiny"), SETTINGS, tmp_path, ids=[1])
    stamp = run_stamp(archive.get(1))
    assert stamp == {"version": ANALYSIS_VERSION, "fingerprint": analysis_fingerprint(SETTINGS)}


def test_a_rerun_with_the_same_settings_skips_finished_pairs(archive, tmp_path):
    clip = load_clip("test:tiny")
    analyse_archive(archive, clip, SETTINGS, tmp_path, ids=[1])
    again = analyse_archive(archive, clip, SETTINGS, tmp_path, everything=True)
    assert [d.id for d in again] == [2]
    assert [e.action for e in archive.audit_log(1)].count("analyse") == 1


def test_other_settings_analyse_finished_pairs_again(archive, tmp_path):
    clip = load_clip("test:tiny")
    analyse_archive(archive, clip, SETTINGS, tmp_path, ids=[1])
    other = dataclasses.replace(SETTINGS, fixlip_p=0.3)
    assert [d.id for d in analyse_archive(archive, clip, other, tmp_path, ids=[1])] == [1]


def test_a_failed_pair_is_recorded_and_skipped_until_retry_failed(archive, tmp_path):
    clip = load_clip("test:tiny")
    broken = archive.add(transcript={"text": "no format"}, drawing={"strokes": "?"}, venue="test")
    analyse_archive(archive, clip, SETTINGS, tmp_path, ids=[broken.id])
    assert "not a dreamdraw drawing" in run_stamp(archive.get(broken.id))["error"]
    assert analyse_archive(archive, clip, SETTINGS, tmp_path, ids=[broken.id]) == []
    retried = analyse_archive(archive, clip, SETTINGS, tmp_path, ids=[broken.id], retry_failed=True)
    assert [d.id for d in retried] == [broken.id] and retried[0].error


def test_a_job_stopped_by_ctrl_c_keeps_its_finished_pairs_and_goes_on_from_there(archive, tmp_path):
    clip = load_clip("test:tiny")

    def ctrl_c(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyse_archive(archive, clip, SETTINGS, tmp_path, everything=True, progress=ctrl_c)
    assert archive.get(1).cluster is not None and archive.get(2).analysis is None
    resumed = analyse_archive(archive, clip, SETTINGS, tmp_path, everything=True)
    assert [d.id for d in resumed] == [2]


def test_only_new_skips_pairs_that_already_have_an_analysis(archive, tmp_path):
    clip = load_clip("test:tiny")
    analyse_archive(archive, clip, SETTINGS, tmp_path, ids=[1])
    again = analyse_archive(archive, clip, SETTINGS, tmp_path, everything=True, only_new=True)
    assert [d.id for d in again] == [2]


def test_a_pair_that_cannot_be_analysed_is_reported_and_the_rest_go_on(archive, tmp_path):
    broken = archive.add(transcript={"text": "no format"}, drawing={"strokes": "?"}, venue="test")
    done = analyse_archive(archive, load_clip("test:tiny"), SETTINGS, tmp_path, everything=True)
    errors = {d.id: d.error for d in done}
    assert errors[1] is None and errors[2] is None
    assert "not a dreamdraw drawing" in errors[broken.id]


def test_nothing_selected_is_a_clear_error(archive, tmp_path):
    with pytest.raises(ArchiveError, match="--all"):
        analyse_archive(archive, load_clip("test:tiny"), SETTINGS, tmp_path)


def test_cli_analyses_the_named_pairs(archive, tmp_path, capsys):
    data_dir = tmp_path / "data"
    main(
        [
            "--data-dir",
            str(data_dir),
            "analyse",
            "archive",
            "2",
            "--clip",
            "test:tiny",
            "--budget",
            "64",
        ]
    )
    out = capsys.readouterr().out
    assert out.startswith("2: ") and "analysed 1 pairs, 0 failed" in out
