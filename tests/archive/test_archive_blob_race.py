"""Deleting a record while another process adds one with the same file loses no file."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dreamdraw.archive import Archive, check_archive, open_archive
from sqlalchemy import text

from tests.archive.archive_samples import add_dream, drawing, drawing_png, drawing_svg, transcript

RACE_S = 4.0
SHARED_SVG = drawing_svg(7)


def _open(location: str, blob_dir: str) -> Archive:
    return open_archive(location, blob_dir=blob_dir)


def _add_shared(archive: Archive, n: int, text: str) -> int:
    record = archive.add(
        transcript=transcript(f"{text} {n}"),
        drawing=drawing(text, n),
        svg=SHARED_SVG,
        png=drawing_png(n % 50),
    )
    assert record.id is not None
    return record.id


def _churn(location: str, blob_dir: str, until: float) -> None:
    """Add a record that shares the SVG, delete it, again and again."""
    with _open(location, blob_dir) as archive:
        n = 0
        while time.time() < until:
            archive.delete(_add_shared(archive, n, "churned"), actor="race")
            n += 1


def _keep(location: str, blob_dir: str, until: float, kept: multiprocessing.Queue) -> None:
    """Add records that share the SVG and keep them; report their ids."""
    with _open(location, blob_dir) as archive:
        n = 0
        while time.time() < until:
            kept.put(_add_shared(archive, n, "kept"))
            n += 1


@pytest.fixture(params=["sqlite", "postgresql"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(archive location, blob folder) on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "data"), str(tmp_path / "data" / "blobs")
    else:
        yield request.getfixturevalue("postgres_url"), str(tmp_path / "blobs")


def test_a_delete_racing_adds_of_the_same_file_loses_no_file(place: tuple[str, str]) -> None:
    location, blob_dir = place
    _open(location, blob_dir).close()
    context = multiprocessing.get_context("fork")
    kept: multiprocessing.Queue = context.Queue()
    until = time.time() + RACE_S
    workers = [
        context.Process(target=_churn, args=(location, blob_dir, until)),
        context.Process(target=_keep, args=(location, blob_dir, until, kept)),
    ]
    for worker in workers:
        worker.start()
    ids = []
    while any(w.is_alive() for w in workers) or not kept.empty():
        try:
            ids.append(kept.get(timeout=0.2))
        except queue.Empty:
            continue
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0, 0]
    with _open(location, blob_dir) as archive:
        report = check_archive(archive, verify_hashes=False)
        assert report.missing == []
        assert len(ids) > 10
        for record_id in ids:
            assert archive.blobs.exists(archive.get(record_id).blobs["svg"])


def test_a_deleted_records_own_files_are_gone_and_the_trash_is_empty(
    any_archive: Archive,
) -> None:
    record = add_dream(any_archive, "a dream to delete", seed=3)
    any_archive.delete(record.id, actor="ann")
    assert not any(any_archive.blobs.exists(sha) for sha in record.blobs.values())
    assert any_archive.blobs.trashed() == {}


def test_a_file_another_record_uses_stays_when_one_is_deleted(any_archive: Archive) -> None:
    first = add_dream(any_archive, "the same drawing", seed=5)
    second = add_dream(any_archive, "the same drawing again", seed=5)
    any_archive.delete(first.id, actor="ann")
    assert all(any_archive.blobs.exists(sha) for sha in second.blobs.values())


def test_a_transaction_that_rolls_back_after_releasing_files_puts_them_back(
    any_archive: Archive,
) -> None:
    record = add_dream(any_archive, "a dream that stays", seed=6)

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted), any_archive._write_releasing() as (connection, release):
        connection.execute(text("DELETE FROM records WHERE id = :id"), {"id": record.id})
        release(record.blobs.values())
        assert not any_archive.blobs.exists(record.blobs["png"])
        raise Interrupted
    assert all(any_archive.blobs.exists(sha) for sha in record.blobs.values())
    assert check_archive(any_archive).ok


def test_a_file_a_dead_writer_left_in_the_trash_is_put_back_by_repair(
    sqlite_archive: Archive,
) -> None:
    record = add_dream(sqlite_archive, "a dream whose delete died", seed=8)
    png = record.blobs["png"]
    sqlite_archive.blobs.discard(png)
    report = check_archive(sqlite_archive)
    assert report.in_trash == [png] and report.missing == [] and report.unresolved
    assert f"blob in the trash but still used: {png} (`--repair` puts it back)" in (
        report.summary()
    )
    repaired = check_archive(sqlite_archive, repair=True)
    assert repaired.restored and not repaired.unresolved
    assert sqlite_archive.blob(png) == drawing_png(8)
    assert check_archive(sqlite_archive).ok
