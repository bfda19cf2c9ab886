"""Research export: CSV, JSON Lines, Parquet and image folder, with a datasheet; streaming."""

from __future__ import annotations

import csv
import json
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dreamdraw.archive import (
    CLUSTERS,
    Archive,
    ArchiveError,
    Consent,
    Record,
    RecordFilter,
    export_records,
)
from dreamdraw.archive.export import EXPORT_FIELDS
from sqlalchemy import text

from tests.archive.archive_samples import add_dream, drawing, drawing_png, transcript


@pytest.fixture
def filled(sqlite_archive: Archive) -> Archive:
    whale = add_dream(sqlite_archive, "ein Wal flog", seed=1, language="de", english="a whale flew")
    sqlite_archive.attach_analysis(
        whale.id, {}, cluster="clear_concept", confidence=0.9, evidence={"clip": 0.33}
    )
    sqlite_archive.relabel(whale.id, "clear_concept", actor="ann")
    letters = add_dream(sqlite_archive, "letters everywhere", seed=2)
    sqlite_archive.attach_analysis(letters.id, {}, cluster="text_as_image", confidence=0.7)
    add_dream(sqlite_archive, "no research please", seed=3, consent=Consent(research=False))
    hidden = add_dream(sqlite_archive, "hidden by a curator", seed=4)
    sqlite_archive.hide(hidden.id, actor="ann")
    return sqlite_archive


def test_csv_has_one_row_per_consented_visible_pair(filled: Archive, tmp_path: Path) -> None:
    result = export_records(filled, "csv", tmp_path / "out")
    with (tmp_path / "out" / "records.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert result.count == 2
    assert [r["dream"] for r in rows] == ["ein Wal flog", "letters everywhere"]
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert rows[0]["english"] == "a whale flew"
    assert rows[0]["language"] == "de"
    assert rows[0]["cluster"] == "clear_concept" and rows[0]["label"] == "clear_concept"
    assert float(rows[0]["cluster_confidence"]) == pytest.approx(0.9)
    assert json.loads(rows[0]["cluster_evidence"]) == {"clip": 0.33}
    assert rows[0]["seed"] == "1" and rows[0]["strokes"] == "3"


def test_jsonl_rows_match_csv_fields(filled: Archive, tmp_path: Path) -> None:
    export_records(filled, "jsonl", tmp_path)
    lines = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["cluster"] for r in rows] == ["clear_concept", "text_as_image"]
    assert rows[0]["clip_score"] == pytest.approx(0.31)


def test_parquet_has_the_documented_schema(filled: Archive, tmp_path: Path) -> None:
    export_records(filled, "parquet", tmp_path)
    table = pq.read_table(tmp_path / "records.parquet")
    assert table.column_names == list(EXPORT_FIELDS)
    assert table.column("dream").to_pylist() == ["ein Wal flog", "letters everywhere"]
    assert table.schema.field("clip_score").type == "double"


def test_imagefolder_writes_images_and_metadata_jsonl(filled: Archive, tmp_path: Path) -> None:
    export_records(filled, "imagefolder", tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "metadata.jsonl").read_text().splitlines()]
    assert [r["file_name"] for r in rows] == [f"{r['id']}.png" for r in rows]
    assert (tmp_path / rows[0]["file_name"]).read_bytes() == drawing_png(1)
    assert sorted(p.suffix for p in tmp_path.iterdir() if p.is_file()) == [
        ".jsonl",
        ".md",
        ".png",
        ".png",
    ]


def test_with_images_adds_png_and_svg_files(filled: Archive, tmp_path: Path) -> None:
    export_records(filled, "csv", tmp_path, with_images=True)
    with (tmp_path / "records.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["image_file"] == f"images/{row['id']}.png"
    assert (tmp_path / row["image_file"]).read_bytes() == drawing_png(1)
    assert (tmp_path / row["svg_file"]).read_text().startswith("<svg")


def test_filters_narrow_the_export(filled: Archive, tmp_path: Path) -> None:
    result = export_records(filled, "jsonl", tmp_path, filter=RecordFilter(text="letters"))
    assert result.count == 1


def test_datasheet_has_fields_cluster_definitions_and_counts(
    filled: Archive, tmp_path: Path
) -> None:
    export_records(filled, "parquet", tmp_path)
    sheet = (tmp_path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "2 records" in sheet
    for name, _ in EXPORT_FIELDS.items():
        assert f"`{name}`" in sheet
    for cid, (name, definition) in CLUSTERS.items():
        assert f"| `{cid}` | {name} | {definition} |" in sheet
    assert (
        "| `clear_concept` | clear concept | The dream is clearly and directly depicted. | 1 | 1 |"
        in sheet
    )
    assert "- de: 1" in sheet and "- en: 1" in sheet


def test_unknown_format_is_refused(filled: Archive, tmp_path: Path) -> None:
    from dreamdraw.archive import ArchiveError

    with pytest.raises(ArchiveError, match="parquet"):
        export_records(filled, "xlsx", tmp_path)  # type: ignore[arg-type]


def _bulk(archive: Archive, n: int) -> None:
    sha = archive.put_blob(drawing_png(0))
    record = Record(
        id=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        transcript=transcript("a long dream about the sea " * 10),
        drawing=drawing("sea"),
        blobs={"png": sha},
    )
    archive.import_records([record] * n)


def _peak_export_bytes(archive: Archive, out: Path) -> int:
    tracemalloc.start()
    export_records(archive, "parquet", out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_export_memory_does_not_grow_with_the_archive(
    sqlite_archive: Archive, tmp_path: Path
) -> None:
    _bulk(sqlite_archive, 1000)
    export_records(sqlite_archive, "parquet", tmp_path / "warm-up")
    small = _peak_export_bytes(sqlite_archive, tmp_path / "small")
    _bulk(sqlite_archive, 2000)
    large = _peak_export_bytes(sqlite_archive, tmp_path / "large")
    assert pq.read_metadata(tmp_path / "large" / "records.parquet").num_rows == 3000
    assert large < small * 1.5


def _later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


def test_an_export_waits_out_a_delete_that_rolls_back(
    sqlite_archive: Archive, tmp_path: Path
) -> None:
    record = add_dream(sqlite_archive, "a dream whose delete fails", seed=5)
    png = record.blobs["png"]
    trashed = sqlite_archive.blobs.discard(png)
    assert trashed is not None
    restorer = _later(0.3, lambda: sqlite_archive.blobs.restore([(png, trashed)]))
    result = export_records(sqlite_archive, "jsonl", tmp_path / "out", with_images=True)
    restorer.join()
    assert result.count == 1 and result.deleted_meanwhile == 0
    assert (tmp_path / "out" / "images" / f"{record.id}.png").read_bytes() == drawing_png(5)


def test_an_export_leaves_out_a_record_deleted_while_it_runs(
    sqlite_archive: Archive, tmp_path: Path
) -> None:
    kept = add_dream(sqlite_archive, "a dream that stays", seed=6)
    gone = add_dream(sqlite_archive, "a dream being deleted", seed=7)
    trashed = sqlite_archive.blobs.discard(gone.blobs["png"])
    assert trashed is not None

    def commit_the_delete() -> None:
        with sqlite_archive.engine.begin() as connection:
            connection.execute(text("DELETE FROM records WHERE id = :id"), {"id": gone.id})
        sqlite_archive.blobs.purge([trashed])

    deleter = _later(0.3, commit_the_delete)
    result = export_records(sqlite_archive, "csv", tmp_path / "out", with_images=True)
    deleter.join()
    assert result.count == 1 and result.deleted_meanwhile == 1
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == [
        f"{kept.id}.png",
        f"{kept.id}.svg",
    ]


def test_an_export_of_a_record_whose_file_is_really_missing_fails_in_one_line(
    sqlite_archive: Archive, tmp_path: Path
) -> None:
    record = add_dream(sqlite_archive, "a dream whose file was lost", seed=8)
    sqlite_archive.blobs.path(record.blobs["png"]).unlink()
    with pytest.raises(ArchiveError, match="is missing from"):
        export_records(sqlite_archive, "csv", tmp_path / "out", with_images=True)
