"""A study whose dreams come from a query on an archive: the filters of `dreamdraw archive
list`, research consent only, the chosen records frozen at the first run and stated in the
report; bad queries are one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from dreamdraw.archive import ArchiveError, Consent, open_archive
from dreamdraw.installation.cli import main
from dreamdraw.installation.config import ConfigError
from dreamdraw.installation.study import SELECTION_FILE, load_study

# (venue, day in March 2025, dream as spoken, in English, research consent)
SOURCE = [
    ("kunsthalle", 1, "ein Wal über der Stadt", "a whale over the city", True),
    ("kunsthalle", 2, "two red moons", "two red moons", False),
    ("kunsthalle", 3, "a house made of bread", "a house made of bread", True),
    ("museum", 4, "a train under the sea", "a train under the sea", True),
    ("kunsthalle", 5, "a whale over the city", "a whale over the city", True),
    ("kunsthalle", 20, "my teeth fell out", "my teeth fell out", True),
]
QUERY = """\
[dreams]
archive = "venue-data"
venue = "kunsthalle"
until = 2025-03-10
"""
STUDY = """\
name = "whales"
{query}
[drawing]
clip = "test:tiny"
device = "cpu"
iterations = 2
augmentations = 1
canvas_px = 64
strokes = 4

[analysis]
clip = "test:tiny"
device = "cpu"
fixlip = false
figures = false
stroke_ablation = false
"""


def a_source_archive(folder):
    with open_archive(folder) as archive:
        for venue, day, text, english, research in SOURCE:
            archive.add(
                transcript={"text": text, "language": "en", "english": english},
                drawing={"strokes": []},
                venue=venue,
                created_at=datetime(2025, 3, day, 12, tzinfo=UTC),
                consent=Consent(research=research),
            )


def a_study(folder, query=QUERY):
    path = folder / "whales.toml"
    path.write_text(STUDY.format(query=query), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """A study drawn and analysed from a query, and its report."""
    folder = tmp_path_factory.mktemp("study-query")
    a_source_archive(folder / "venue-data")
    path = a_study(folder)
    main(["study", "run", str(path)])
    main(["study", "report", str(path), "--out", str(folder / "report")])
    return path


def test_a_query_chooses_the_consented_records_its_filters_name_oldest_first(tmp_path):
    a_source_archive(tmp_path / "venue-data")
    study = load_study(a_study(tmp_path))
    # 2 refused research use; 4 is another venue; 6 is after `until`; 1 and 5 tell one dream
    assert [i for i, _ in study.selection.records] == [1, 3, 5]
    assert study.dreams == ["a whale over the city", "a house made of bread"]
    assert study.selection.query == {
        "archive": "venue-data",
        "filters": {"venue": "kunsthalle", "until": "2025-03-10"},
        "limit": None,
        "research_only": True,
    }


def test_limit_takes_the_first_records_and_search_and_public_only_filter(tmp_path):
    a_source_archive(tmp_path / "venue-data")
    limited = load_study(a_study(tmp_path, '[dreams]\narchive = "venue-data"\nlimit = 2\n'))
    assert [i for i, _ in limited.selection.records] == [1, 3]
    found = load_study(
        a_study(tmp_path, '[dreams]\narchive = "venue-data"\nsearch = "whale"\npublic_only = true')
    )
    assert [i for i, _ in found.selection.records] == [1, 5]


def test_the_study_draws_the_chosen_dreams_and_freezes_the_query_and_record_ids(ran):
    study = load_study(ran)
    with open_archive(study.archive_dir) as archive:
        records = list(archive.iter_records())
    assert sorted(r.dream for r in records) == ["a house made of bread", "a whale over the city"]
    assert all(r.cluster is not None for r in records)
    frozen = json.loads((study.archive_dir / SELECTION_FILE).read_text(encoding="utf-8"))
    assert [r["id"] for r in frozen["records"]] == [1, 3, 5]
    assert frozen["query"]["filters"] == {"venue": "kunsthalle", "until": "2025-03-10"}


def test_a_dream_added_to_the_source_later_does_not_change_the_study(ran):
    with open_archive(ran.parent / "venue-data") as source:
        source.add(
            transcript={"text": "a late whale", "language": "en"},
            drawing={"strokes": []},
            venue="kunsthalle",
            created_at=datetime(2025, 3, 9, tzinfo=UTC),
        )
    study = load_study(ran)
    assert [i for i, _ in study.selection.records] == [1, 3, 5]


def test_the_report_states_the_query_and_the_record_ids(ran):
    report = (ran.parent / "report" / "report.md").read_text(encoding="utf-8")
    assert "2 dreams from 3 records of the archive `venue-data`" in report
    assert '`venue = "kunsthalle"`, `until = "2025-03-10"`' in report
    assert "record ids 1, 3, 5." in report
    summary = json.loads((ran.parent / "report" / "summary.json").read_text(encoding="utf-8"))
    assert [r[0] for r in summary["dreams_from"]["records"]] == [1, 3, 5]


def test_another_query_on_the_same_study_archive_is_a_clear_error(ran, tmp_path):
    changed = ran.read_text(encoding="utf-8").replace('"kunsthalle"', '"museum"')
    other = ran.parent / "changed.toml"
    other.write_text(
        changed.replace('name = "whales"', 'name = "whales"\narchive = "whales-archive"')
    )
    with pytest.raises(ConfigError, match="another query chose"):
        load_study(other)


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ('archive = "nowhere"', ArchiveError, "there is no archive at .*nowhere"),
        ('archive = "sqlite:///nowhere/archive.db"', ArchiveError, "no such database file"),
        ('archive = "venue-data"\ncolour = "red"', ConfigError, "unknown filter 'colour'"),
        ('archive = "venue-data"\ncluster = "whales"', ConfigError, "unknown cluster 'whales'"),
        ('archive = "venue-data"\nsince = "March"', ConfigError, "`since` must be a day"),
        ('archive = "venue-data"\nlimit = 0', ConfigError, "`limit` must be"),
        ('archive = "venue-data"\nvenue = "louvre"', ConfigError, "no dream in venue-data"),
        ('venue = "louvre"', ConfigError, "`archive` must name"),
    ],
)
def test_a_bad_query_is_a_one_line_error(tmp_path, query, error, message):
    a_source_archive(tmp_path / "venue-data")
    with pytest.raises(error, match=message) as raised:
        load_study(a_study(tmp_path, f"[dreams]\n{query}\n"))
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "nowhere").exists()


def test_the_command_prints_a_bad_query_as_one_line(tmp_path, capsys):
    path = a_study(tmp_path, '[dreams]\narchive = "nowhere"\n')
    with pytest.raises(SystemExit) as exited:
        main(["study", "run", str(path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: there is no archive at ") and err.count("\n") == 1
