"""The integrity check: orphaned, missing and corrupt blobs, half-written records, repair."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dreamdraw.archive import Archive, ArchiveSettings, check_archive, open_archive
from sqlalchemy import text

from tests.archive.archive_samples import add_dream, drawing_png


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_healthy_archive_checks_ok(any_archive: Archive) -> None:
    add_dream(any_archive, "a boat of leaves", seed=1)
    add_dream(any_archive, "a city under water", seed=2)
    report = check_archive(any_archive)
    assert report.ok and not report.unresolved
    assert report.records == 2
    assert report.blobs == 6


def test_an_old_unreferenced_blob_is_an_orphan_and_repair_moves_it_aside(
    sqlite_archive: Archive,
) -> None:
    add_dream(sqlite_archive, "a kept dream")
    orphan = sqlite_archive.put_blob(drawing_png(77))
    _age(sqlite_archive.blobs.path(orphan), 7200)
    report = check_archive(sqlite_archive, repair=True)
    assert report.orphaned == [orphan]
    assert report.moved_to is not None
    assert (Path(report.moved_to) / orphan).read_bytes() == drawing_png(77)
    assert not sqlite_archive.blobs.exists(orphan)
    assert check_archive(sqlite_archive).ok


def test_a_fresh_unreferenced_blob_is_pending_not_orphaned(sqlite_archive: Archive) -> None:
    sqlite_archive.put_blob(drawing_png(78))
    report = check_archive(sqlite_archive)
    assert report.ok
    assert report.pending == 1 and report.orphaned == []


def test_grace_period_comes_from_settings(data_dir: Path) -> None:
    archive = open_archive(data_dir, settings=ArchiveSettings(orphan_grace_s=0))
    sha = archive.put_blob(drawing_png(79))
    assert check_archive(archive).orphaned == [sha]


def test_a_missing_blob_is_reported_with_its_record(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a missing drawing")
    sqlite_archive.blobs.path(record.blobs["svg"]).unlink()
    report = check_archive(sqlite_archive)
    assert report.missing == [(record.id, "svg", record.blobs["svg"])]
    assert report.half_written == [record.id]
    assert report.unresolved


def test_a_blob_whose_bytes_changed_is_corrupt(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a damaged drawing")
    path = sqlite_archive.blobs.path(record.blobs["png"])
    path.write_bytes(path.read_bytes()[:-10])
    report = check_archive(sqlite_archive)
    assert report.corrupt == [record.blobs["png"]]
    assert report.half_written == [record.id]


def test_a_record_with_unparsable_json_is_half_written(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a truncated row")
    with sqlite_archive.engine.begin() as connection:
        connection.execute(
            text('UPDATE records SET drawing_json = \'{"prompt": "a tru\' WHERE id = :id'),
            {"id": record.id},
        )
    assert check_archive(sqlite_archive).half_written == [record.id]


def test_stale_temp_files_of_dead_writers_are_reported_and_moved(sqlite_archive: Archive) -> None:
    stale = sqlite_archive.blobs.tmp_dir / "abc.partial"
    stale.write_bytes(b"half a png")
    _age(stale, 7200)
    report = check_archive(sqlite_archive, repair=True)
    assert report.stale_temp == ["abc.partial"]
    assert not stale.exists()
    assert not report.unresolved
