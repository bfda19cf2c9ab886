"""The store: records round-trip on SQLite and PostgreSQL, filters, updates, curator actions."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dreamdraw.archive import (
    Archive,
    ArchiveError,
    ArchiveSettings,
    Consent,
    Record,
    RecordFilter,
    RecordNotFound,
    open_archive,
)
from PIL import Image
from sqlalchemy import inspect, text

from tests.archive.archive_samples import add_dream, drawing, drawing_png, drawing_svg, transcript


def test_record_round_trips_every_field(any_archive: Archive) -> None:
    when = datetime(2026, 3, 14, 15, 9, 26, 535000, tzinfo=UTC)
    added = any_archive.add(
        transcript=transcript("Ich flog über das Meer", "de", "I flew over the sea"),
        drawing=json.dumps(drawing("I flew over the sea", seed=7, score=0.287)),
        svg=drawing_svg(7),
        png=drawing_png(7),
        venue="Tabakalera",
        created_at=when,
        consent=Consent(public=False, research=True, audio=True),
        audio=b"RIFF\x24\x00\x00\x00WAVEfmt ",
    )
    got = any_archive.get(added.id)
    assert got.id == added.id
    assert got.created_at == when
    assert got.venue == "Tabakalera"
    assert got.dream == "Ich flog über das Meer"
    assert got.english == "I flew over the sea"
    assert got.language == "de"
    assert got.transcript == transcript("Ich flog über das Meer", "de", "I flew over the sea")
    assert got.drawing == drawing("I flew over the sea", seed=7, score=0.287)
    assert got.clip_score == pytest.approx(0.287)
    assert got.consent == Consent(public=False, research=True, audio=True)
    assert set(got.blobs) == {"svg", "png", "thumbnail", "audio"}
    assert any_archive.blob(got.blobs["png"]) == drawing_png(7)
    assert any_archive.blob(got.blobs["svg"]).decode() == drawing_svg(7)
    assert got.plot_status == "pending" and got.hidden is False and got.label is None


def test_blobs_are_named_by_their_sha256(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a cat on a bicycle", seed=3)
    sha = record.blobs["png"]
    assert sha == hashlib.sha256(drawing_png(3)).hexdigest()
    assert sqlite_archive.blobs.path(sha).read_bytes() == drawing_png(3)


def test_thumbnail_is_made_from_the_png_within_the_configured_size(data_dir: Path) -> None:
    archive = open_archive(data_dir, settings=ArchiveSettings(thumbnail_px=64))
    record = add_dream(archive, "a lighthouse", seed=1)

    thumb = Image.open(io.BytesIO(archive.blob(record.blobs["thumbnail"])))
    assert max(thumb.size) == 64
    assert thumb.size == (64, 48)


def test_drawing_files_can_be_given_as_paths(sqlite_archive: Archive, tmp_path: Path) -> None:
    (tmp_path / "d.png").write_bytes(drawing_png(8))
    (tmp_path / "d.svg").write_text(drawing_svg(8))
    record = sqlite_archive.add(
        transcript=transcript("a paper boat"),
        drawing=drawing("a paper boat"),
        svg=tmp_path / "d.svg",
        png=tmp_path / "d.png",
    )
    assert sqlite_archive.blob(record.blobs["png"]) == drawing_png(8)
    assert sqlite_archive.blob(record.blobs["svg"]).decode() == drawing_svg(8)


def test_audio_is_not_kept_without_consent(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a quiet dream", audio=b"RIFF....WAVE", consent=Consent())
    assert "audio" not in record.blobs
    assert "audio" not in sqlite_archive.get(record.id).blobs


def test_objects_with_to_json_are_accepted_as_transcript_and_drawing(
    sqlite_archive: Archive,
) -> None:
    class FakeTranscript:
        def to_json(self) -> str:
            return json.dumps(transcript("a red balloon"))

    record = sqlite_archive.add(transcript=FakeTranscript(), drawing=drawing("a red balloon"))
    assert sqlite_archive.get(record.id).dream == "a red balloon"


def test_record_json_round_trip() -> None:
    record = Record(
        id=5,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        venue="ACM MM",
        transcript=transcript("a whale in the sky"),
        drawing=drawing("a whale in the sky"),
        blobs={"png": "ab" * 32},
        cluster="clear_concept",
        cluster_confidence=0.9,
        cluster_evidence={"clip": 0.33},
        label="indeterminacy",
        consent=Consent(public=False),
    )
    assert Record.from_json(record.to_json()) == record


def test_malformed_record_json_raises_archive_error() -> None:
    with pytest.raises(ArchiveError, match="dreamdraw.record/1"):
        Record.from_json('{"id": 1}')


def test_transcript_that_is_not_a_json_object_is_refused(sqlite_archive: Archive) -> None:
    with pytest.raises(ArchiveError, match="transcript"):
        sqlite_archive.add(transcript="[1, 2]", drawing=drawing("x"))


def test_migrations_bring_a_new_database_to_the_head_revision(sqlite_archive: Archive) -> None:
    tables = set(inspect(sqlite_archive.engine).get_table_names())
    assert {"records", "record_blobs", "curators", "curator_sessions", "audit_log"} <= tables
    with sqlite_archive.engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        )


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(
    sqlite_archive: Archive,
) -> None:
    with sqlite_archive.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_default_database_is_archive_db_in_the_data_dir(data_dir: Path) -> None:
    archive = open_archive(data_dir)
    add_dream(archive, "a moon made of paper")
    archive.close()
    with sqlite3.connect(data_dir / "archive.db") as connection:
        assert connection.execute("SELECT count(*) FROM records").fetchone() == (1,)
    assert (data_dir / "blobs").is_dir()


def test_reopening_keeps_records(data_dir: Path) -> None:
    with open_archive(data_dir) as archive:
        record = add_dream(archive, "the house had no doors")
    with open_archive(data_dir) as archive:
        assert archive.get(record.id).dream == "the house had no doors"


def test_opening_without_create_finds_an_archive_or_fails_creating_nothing(
    tmp_path: Path,
) -> None:
    for missing in (tmp_path / "none", f"sqlite:///{tmp_path / 'none.db'}"):
        with pytest.raises(ArchiveError, match="there is no archive at"):
            open_archive(missing, blob_dir=tmp_path / "blobs", create=False)
    (tmp_path / "empty.db").touch()
    with pytest.raises(ArchiveError, match="the database is empty"):
        open_archive(f"sqlite:///{tmp_path / 'empty.db'}", blob_dir=tmp_path, create=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    with open_archive(tmp_path / "data") as archive:
        add_dream(archive, "a door in the sea")
    with open_archive(tmp_path / "data", create=False) as archive:
        assert archive.count() == 1


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="postgresql\\+psycopg"):
        open_archive("nosuchdb://x/y", blob_dir=tmp_path)


def test_list_is_newest_first_and_paginated(any_archive: Archive) -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for i in range(7):
        add_dream(any_archive, f"dream number {i}", seed=i, created_at=start + timedelta(hours=i))
    first = any_archive.list(page=1, per_page=3)
    third = any_archive.list(page=3, per_page=3)
    assert first.total == 7 and first.pages == 3
    assert [r.dream for r in first.records] == [
        "dream number 6",
        "dream number 5",
        "dream number 4",
    ]
    assert [r.dream for r in third.records] == ["dream number 0"]


def test_filters_by_cluster_label_venue_language_and_dates(any_archive: Archive) -> None:
    day = datetime(2026, 6, 1, 12, tzinfo=UTC)
    a = add_dream(any_archive, "a dog", venue="Tabakalera", language="en", created_at=day)
    b = add_dream(
        any_archive,
        "un perro",
        english="a dog",
        venue="ACM MM",
        language="es",
        created_at=day + timedelta(days=2),
    )
    any_archive.attach_analysis(a.id, {}, cluster="clear_concept", confidence=0.7)
    any_archive.attach_analysis(b.id, {}, cluster="lost_in_translation", confidence=0.6)
    any_archive.relabel(b.id, "indeterminacy", actor="ann")

    def ids(**kw: object) -> list[int]:
        return [r.id for r in any_archive.list(RecordFilter(**kw)).records]

    assert ids(cluster="clear_concept") == [a.id]
    assert ids(label="indeterminacy") == [b.id]
    assert ids(venue="ACM MM") == [b.id]
    assert ids(language="en") == [a.id]
    assert ids(since=day + timedelta(days=1)) == [b.id]
    assert ids(until=day + timedelta(days=1)) == [a.id]


def test_full_text_search_matches_spoken_and_english_words(any_archive: Archive) -> None:
    whale = add_dream(
        any_archive, "ein Wal flog über Berlin", language="de", english="a whale flew over Berlin"
    )
    add_dream(any_archive, "a forest of glass trees")
    assert [r.id for r in any_archive.list(RecordFilter(text="whale")).records] == [whale.id]
    assert [r.id for r in any_archive.list(RecordFilter(text="Wal Berl")).records] == [whale.id]
    assert any_archive.list(RecordFilter(text="whale glass")).total == 0
    assert any_archive.list(RecordFilter(text="Berlin wha")).total == 1
    assert any_archive.list(RecordFilter(text="wha Berlin")).total == 0
    assert any_archive.list(RecordFilter(text='"; DROP TABLE records; --')).total == 0
    assert any_archive.count(RecordFilter()) == 2


def test_plot_status_updates_and_log_lines_accumulate(any_archive: Archive) -> None:
    record = add_dream(any_archive, "a spiral staircase")
    any_archive.set_plot_status(record.id, "plotting", "pen 1 down")
    updated = any_archive.set_plot_status(record.id, "plotted", "done in 312 s")
    assert updated.plot_status == "plotted"
    assert updated.plot_log == "pen 1 down\ndone in 312 s\n"
    with pytest.raises(ArchiveError, match="plot status"):
        any_archive.set_plot_status(record.id, "exploded")


def test_attach_analysis_stores_results_cluster_and_figures(any_archive: Archive) -> None:
    record = add_dream(any_archive, "letters falling like snow")
    updated = any_archive.attach_analysis(
        record.id,
        {"alignment": {"cosine": 0.29, "rank": 1}},
        cluster="text_as_image",
        confidence=0.82,
        rationale="the typography probe scores 0.31 against the dream's words",
        evidence={"typography": 0.31, "clip": 0.29},
        clip_score=0.29,
        figures={"fixlip_heatmap": drawing_png(99)},
    )
    assert updated.analysis == {"alignment": {"cosine": 0.29, "rank": 1}}
    assert updated.cluster == "text_as_image"
    assert updated.cluster_confidence == pytest.approx(0.82)
    assert updated.cluster_evidence == {"typography": 0.31, "clip": 0.29}
    assert updated.clip_score == pytest.approx(0.29)
    assert any_archive.blob(updated.blobs["figure:fixlip_heatmap"]) == drawing_png(99)


def test_a_replaced_figure_removes_the_old_blob(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a ladder to the moon")
    first = sqlite_archive.attach_analysis(record.id, {}, figures={"heat": drawing_png(50)})
    old = first.blobs["figure:heat"]
    second = sqlite_archive.attach_analysis(record.id, {}, figures={"heat": drawing_png(51)})
    assert second.blobs["figure:heat"] != old
    assert not sqlite_archive.blobs.exists(old)


def test_unknown_cluster_or_label_is_refused(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a staircase")
    with pytest.raises(ArchiveError, match="clear_concept"):
        sqlite_archive.attach_analysis(record.id, {}, cluster="clear")
    with pytest.raises(ArchiveError, match="label"):
        sqlite_archive.relabel(record.id, "nonsense", actor="ann")


def test_relabel_hide_and_delete_are_audited(any_archive: Archive) -> None:
    record = add_dream(any_archive, "a train through the ocean")
    any_archive.relabel(record.id, "clear_concept", actor="ann")
    any_archive.hide(record.id, actor="bo")
    any_archive.delete(record.id, actor="ann")
    entries = any_archive.audit_log(record.id)
    assert [(e.actor, e.action) for e in entries] == [
        ("ann", "delete"),
        ("bo", "hide"),
        ("ann", "relabel"),
    ]
    assert entries[2].detail == {"from": None, "to": "clear_concept"}
    with pytest.raises(RecordNotFound):
        any_archive.get(record.id)


def test_hidden_records_are_left_out_unless_asked_for(any_archive: Archive) -> None:
    shown = add_dream(any_archive, "a garden")
    hidden = add_dream(any_archive, "a rude word", seed=1)
    any_archive.hide(hidden.id, actor="ann")
    assert [r.id for r in any_archive.list().records] == [shown.id]
    assert any_archive.list(RecordFilter(include_hidden=True)).total == 2
    with pytest.raises(RecordNotFound):
        any_archive.get(hidden.id, include_hidden=False)


def test_delete_removes_blobs_that_no_other_record_uses(sqlite_archive: Archive) -> None:
    shared_a = add_dream(sqlite_archive, "same drawing, first", seed=5)
    shared_b = add_dream(sqlite_archive, "same drawing, second", seed=5)
    alone = add_dream(sqlite_archive, "a different drawing", seed=6)
    sqlite_archive.delete(shared_a.id, actor="ann")
    assert sqlite_archive.blobs.exists(shared_b.blobs["png"])
    sqlite_archive.delete(alone.id, actor="ann")
    assert not any(sqlite_archive.blobs.exists(sha) for sha in alone.blobs.values())


def test_curator_passwords_are_argon2_hashed_and_verified(sqlite_archive: Archive) -> None:
    sqlite_archive.add_curator("ann", "correct horse battery")
    with sqlite_archive.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM curators")).scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert sqlite_archive.verify_curator("ann", "correct horse battery")
    assert not sqlite_archive.verify_curator("ann", "wrong password")
    assert not sqlite_archive.verify_curator("nobody", "correct horse battery")


def test_short_curator_password_is_refused(sqlite_archive: Archive) -> None:
    with pytest.raises(ArchiveError, match="at least 8"):
        sqlite_archive.add_curator("ann", "short")


def test_import_records_inserts_in_bulk(sqlite_archive: Archive) -> None:
    sha = sqlite_archive.put_blob(drawing_png(1))
    template = Record(
        id=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        transcript=transcript("bulk"),
        drawing=drawing("bulk"),
        blobs={"png": sha, "thumbnail": sha},
    )
    count = sqlite_archive.import_records([template] * 2500, batch_size=1000)
    assert count == 2500
    assert sqlite_archive.count() == 2500
    assert sqlite_archive.list(per_page=1).records[0].blobs == {"png": sha, "thumbnail": sha}


def test_a_deleted_records_id_is_never_given_to_a_new_record(any_archive: Archive) -> None:
    add_dream(any_archive, "the first dream", seed=1)
    newest = add_dream(any_archive, "the newest dream", seed=2)
    any_archive.delete(newest.id, actor="ann")
    later = add_dream(any_archive, "a later dream", seed=3)
    assert later.id > newest.id
    assert any_archive.audit_log(later.id) == []


def test_ids_are_not_reused_after_reopening_nor_by_imports(data_dir: Path) -> None:
    with open_archive(data_dir) as archive:
        first = add_dream(archive, "the first dream", seed=1)
        newest = add_dream(archive, "the newest dream", seed=2)
        archive.delete(newest.id, actor="ann")
    with open_archive(data_dir) as archive:
        assert archive.import_records([replace(archive.get(first.id), id=None)]) == 1
        ids = sorted(r.id for r in archive.list().records)
        assert ids[0] == first.id and ids[1] > newest.id
        assert add_dream(archive, "a later dream", seed=3).id > ids[1]


def test_an_older_archive_learns_its_deleted_ids_from_the_audit_log(data_dir: Path) -> None:
    from alembic import command
    from dreamdraw.archive.database import WRITE, _alembic_config

    with open_archive(data_dir) as archive:
        add_dream(archive, "the first dream", seed=1)
        newest = add_dream(archive, "the newest dream", seed=2)
        archive.delete(newest.id, actor="ann")
        config = _alembic_config()
        with archive.engine.connect() as connection:
            connection.execution_options(**WRITE)
            with connection.begin():
                config.attributes["connection"] = connection
                command.downgrade(config, "0002")
    with open_archive(data_dir) as archive:
        assert add_dream(archive, "a later dream", seed=3).id > newest.id
