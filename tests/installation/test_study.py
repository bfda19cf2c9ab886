"""`dreamdraw study run|report`: dreams drawn under a grid of conditions, analysed, reported."""

from __future__ import annotations

import pytest
from dreamdraw.archive import open_archive
from dreamdraw.installation.cli import main
from dreamdraw.installation.config import ConfigError
from dreamdraw.installation.study import load_study, run_study

STUDY = """\
name = "moons"
dreams = "dreams.txt"

[drawing]
clip = "test:tiny"
device = "cpu"
iterations = 2
augmentations = 1
canvas_px = 64

[grid]
seed = [1, 2]
strokes = [4]

[analysis]
clip = "test:tiny"
device = "cpu"
fixlip = false
figures = false
stroke_ablation = false
"""


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    (folder / "dreams.txt").write_text("two red moons\n# a comment\na whale\n", encoding="utf-8")
    path = folder / "moons.toml"
    path.write_text(STUDY, encoding="utf-8")
    main(["study", "run", str(path)])
    return path


def test_every_dream_is_drawn_under_every_condition_and_analysed(study_file):
    study = load_study(study_file)
    with open_archive(study.archive_dir) as archive:
        records = list(archive.iter_records())
    assert sorted((r.venue, r.dream) for r in records) == [
        ("moons/seed=1,strokes=4", "a whale"),
        ("moons/seed=1,strokes=4", "two red moons"),
        ("moons/seed=2,strokes=4", "a whale"),
        ("moons/seed=2,strokes=4", "two red moons"),
    ]
    assert all(r.cluster is not None for r in records)
    assert {r.drawing["seed"] for r in records} == {1, 2}


def test_a_study_run_again_draws_and_analyses_nothing_more(study_file):
    study = load_study(study_file)
    drawn, analysed = [], []
    with open_archive(study.archive_dir) as archive:
        ids = run_study(study, archive, drawn=lambda *a: drawn.append(a), analysed=analysed.append)
        assert (len(ids), drawn, analysed) == (4, [], [])
        assert all([e.action for e in archive.audit_log(i)].count("analyse") == 1 for i in ids)


def test_the_report_has_a_row_per_condition_the_agreement_and_the_study_file(study_file):
    out = study_file.parent / "report"
    main(["study", "report", str(study_file), "--out", str(out)])
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| seed=1,strokes=4 | 2 | 2 |" in report and "| seed=2,strokes=4 | 2 | 2 |" in report
    assert "| seed=1,strokes=4 | seed=2,strokes=4 | 2 |" in report
    assert 'name = "moons"' in report
    assert (out / "cluster_shares.png").stat().st_size > 0
    assert (out / "clip_scores.png").stat().st_size > 0


def test_a_grid_key_that_is_no_drawing_setting_is_a_clear_error(tmp_path):
    (tmp_path / "dreams.txt").write_text("a whale\n", encoding="utf-8")
    path = tmp_path / "bad.toml"
    path.write_text('dreams = "dreams.txt"\n[grid]\nbrushes = [1, 2]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="brushes"):
        load_study(path)
