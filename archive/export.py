"""Research export (CSV, JSON Lines, Parquet, image folder) with a datasheet; streams."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from dreamdraw.archive.errors import ArchiveError, BlobUnavailable, RecordNotFound
from dreamdraw.archive.record import CLUSTERS, Record
from dreamdraw.archive.spreadsheet import SpreadsheetCsvWriter
from dreamdraw.archive.store import Archive, RecordFilter

__all__ = [
    "EXPORT_FIELDS",
    "ExportFormat",
    "ExportResult",
    "export_records",
    "export_row",
    "research_filter",
    "stream_csv",
    "stream_jsonl",
]

ExportFormat = Literal["csv", "jsonl", "parquet", "imagefolder"]

# Column name -> (Arrow type, description for the datasheet).
EXPORT_FIELDS: dict[str, tuple[pa.DataType, str]] = {
    "id": (pa.int64(), "record id in the archive"),
    "created_at": (pa.string(), "when the dream was told, ISO 8601, UTC"),
    "venue": (pa.string(), "where it was told"),
    "language": (pa.string(), "language of the dream as spoken (ISO 639-1, from Whisper)"),
    "dream": (pa.string(), "the dream as spoken (transcript text, exact)"),
    "english": (pa.string(), "the dream in English (the prompt CLIP saw)"),
    "clip_score": (pa.float64(), "CLIP cosine similarity of dream and drawing"),
    "cluster": (pa.string(), "automatic cluster id (see below), empty when not analysed"),
    "cluster_confidence": (pa.float64(), "confidence of the automatic cluster, 0-1"),
    "cluster_rationale": (pa.string(), "why the automatic cluster was chosen, in words"),
    "cluster_evidence": (pa.string(), "the measured evidence behind the cluster, JSON"),
    "label": (pa.string(), "curator's cluster id, empty when not labelled"),
    "plot_status": (pa.string(), "pending, plotting, plotted, failed or skipped"),
    "prompt": (pa.string(), "text prompt of the drawing"),
    "seed": (pa.int64(), "random seed of the drawing"),
    "mode": (pa.string(), "drawing mode (classic or plotter)"),
    "model_id": (pa.string(), "CLIP model that drew it"),
    "model_note": (
        pa.string(),
        "empty for real CLIP weights; else what the model was, in words (random-weight test "
        "model, toy CLIP of rehearsals): its scores and clusters say nothing about the dream",
    ),
    "strokes": (pa.int64(), "number of strokes in the drawing"),
    "canvas_width": (pa.int64(), "drawing canvas width, px"),
    "canvas_height": (pa.int64(), "drawing canvas height, px"),
    "image_file": (pa.string(), "PNG of the drawing, relative to the export folder"),
    "svg_file": (pa.string(), "SVG of the drawing (mm units), relative to the export folder"),
}

_SCHEMA = pa.schema([(name, kind) for name, (kind, _) in EXPORT_FIELDS.items()])
_BATCH = 1000


@dataclass
class ExportResult:
    """What an export wrote: the number of records and the files (data, datasheet).

    `deleted_meanwhile`: records left out because a curator deleted them (and their files)
    while the export was running.
    """

    count: int
    files: list[Path] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    deleted_meanwhile: int = 0


def export_row(record: Record, image_file: str = "", svg_file: str = "") -> dict[str, Any]:
    """One flat row of the export for `record` (keys: EXPORT_FIELDS)."""
    drawing = record.drawing
    return {
        "id": record.id,
        "created_at": record.created_at.isoformat(),
        "venue": record.venue,
        "language": record.language,
        "dream": record.dream,
        "english": record.english,
        "clip_score": record.clip_score,
        "cluster": record.cluster or "",
        "cluster_confidence": record.cluster_confidence,
        "cluster_rationale": record.cluster_rationale,
        "cluster_evidence": json.dumps(record.cluster_evidence, ensure_ascii=False),
        "label": record.label or "",
        "plot_status": record.plot_status,
        "prompt": str(drawing.get("prompt", "")),
        "seed": _int_or_none(drawing.get("seed")),
        "mode": str(drawing.get("mode", "")),
        "model_id": str(drawing.get("model_id", "")),
        "model_note": str(
            drawing.get("model_label")
            or ("random-weight test model" if drawing.get("model_is_random") else "")
        ),
        "strokes": len(drawing.get("strokes", []) or []),
        "canvas_width": _int_or_none(drawing.get("canvas_width")),
        "canvas_height": _int_or_none(drawing.get("canvas_height")),
        "image_file": image_file,
        "svg_file": svg_file,
    }


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def research_filter(filter: RecordFilter | None) -> RecordFilter:
    """`filter` narrowed to the pairs whose visitors allowed research use: the only ones
    that ever leave the archive."""
    return replace(filter or RecordFilter(), research_only=True)


def stream_csv(archive: Archive, filter: RecordFilter | None = None) -> Iterator[str]:
    """The CSV export as text chunks (header first), for streaming over HTTP."""
    buffer = io.StringIO()
    writer = SpreadsheetCsvWriter(buffer, EXPORT_FIELDS)
    writer.writeheader()
    for n, record in enumerate(archive.iter_records(research_filter(filter)), start=1):
        writer.writerow(export_row(record))
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream_jsonl(archive: Archive, filter: RecordFilter | None = None) -> Iterator[str]:
    """The JSON Lines export, one line per record, for streaming over HTTP."""
    for record in archive.iter_records(research_filter(filter)):
        yield json.dumps(export_row(record), ensure_ascii=False) + "\n"


def export_records(
    archive: Archive,
    format: ExportFormat,
    out: str | Path,
    *,
    filter: RecordFilter | None = None,
    with_images: bool = False,
) -> ExportResult:
    """Export the records that match `filter` (and allow research use) into folder `out`.

    csv/jsonl/parquet write `records.<format>`; `imagefolder` writes `<id>.png` images and
    a `metadata.jsonl` that the `datasets` imagefolder loader reads (SVGs under `svg/` with
    `with_images`). `with_images` adds PNG and SVG files under `images/` to the table formats. Every export writes
    DATASHEET.md. Records are read and written in batches: memory does not grow with the
    archive.
    """
    if format not in ("csv", "jsonl", "parquet", "imagefolder"):
        raise ArchiveError(
            f"unknown export format {format!r}; use csv, jsonl, parquet or imagefolder"
        )
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"cannot create export folder {out}: {exc}") from None
    filter = research_filter(filter)
    counts: dict[str, Counter[str]] = {
        k: Counter() for k in ("cluster", "label", "language", "venue")
    }
    # imagefolder: PNGs beside metadata.jsonl (the `datasets` layout); SVGs only on request,
    # in their own folder, so the loader sees nothing but images.
    png_dir = svg_dir = None
    if format == "imagefolder":
        png_dir, svg_dir = out, (out / "svg" if with_images else None)
    elif with_images:
        png_dir = svg_dir = out / "images"
    for folder in (png_dir, svg_dir):
        if folder is not None:
            folder.mkdir(exist_ok=True)

    deleted_meanwhile = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal deleted_meanwhile
        for record in archive.iter_records(filter):
            try:
                image_file = _write_blob(archive, record, "png", png_dir, out)
                svg_file = _write_blob(archive, record, "svg", svg_dir, out)
            except _DeletedMeanwhile:
                # Deleted by a curator while the export ran: its files went, so does its row.
                for folder, role in ((png_dir, "png"), (svg_dir, "svg")):
                    if folder is not None:
                        (folder / f"{record.id}.{role}").unlink(missing_ok=True)
                deleted_meanwhile += 1
                continue
            row = export_row(record, image_file, svg_file)
            for key in counts:
                counts[key][row[key] or "(none)"] += 1
            yield row

    data_file = out / ("metadata.jsonl" if format == "imagefolder" else f"records.{format}")
    if format == "csv":
        count = _write_csv(rows(), data_file)
    elif format == "parquet":
        count = _write_parquet(rows(), data_file)
    else:
        count = _write_jsonl(rows(), data_file, imagefolder=format == "imagefolder")
    datasheet = out / "DATASHEET.md"
    datasheet.write_text(render_datasheet(count, counts, format, filter), encoding="utf-8")
    return ExportResult(
        count=count,
        files=[data_file, datasheet],
        counts=counts,
        deleted_meanwhile=deleted_meanwhile,
    )


class _DeletedMeanwhile(Exception):
    """The record was deleted, with its files, after the export read it."""


def _settled_blob(archive: Archive, record: Record, sha: str) -> bytes:
    """Blob `sha` of `record`, waiting out a delete in flight; _DeletedMeanwhile if it went.

    A delete moves the files it releases to the trash before its transaction commits, so for
    a moment a record can still be read while its file is gone: wait until the delete
    commits (the record is gone) or rolls back (the file is back), at most the busy timeout.
    """
    assert record.id is not None
    deadline = time.monotonic() + archive.settings.busy_timeout_s
    while True:
        try:
            return archive.blob(sha)
        except BlobUnavailable:
            # Looked at before the record: a delete committing in between shows as gone.
            in_flight = archive.blobs.in_trash(sha)
            try:
                # By its files too, not only its id.
                still_named = sha in archive.get(record.id).blobs.values()
            except RecordNotFound:
                still_named = False
            if not still_named:
                raise _DeletedMeanwhile from None
            if archive.blobs.exists(sha):
                continue  # a delete rolled back and put it back meanwhile
            if not in_flight or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _write_blob(archive: Archive, record: Record, role: str, folder: Path | None, out: Path) -> str:
    """Write the record's `role` file ("png" or "svg") as `<id>.<role>`; its path from `out`."""
    sha = record.blobs.get(role)
    if folder is None or sha is None:
        return ""
    path = folder / f"{record.id}.{role}"
    path.write_bytes(_settled_blob(archive, record, sha))
    return path.relative_to(out).as_posix()


def _write_csv(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = SpreadsheetCsvWriter(handle, EXPORT_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _write_jsonl(rows: Iterator[dict[str, Any]], path: Path, *, imagefolder: bool) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            if imagefolder:
                if not row["image_file"]:
                    continue
                row = {"file_name": row["image_file"], **row}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, _SCHEMA, compression="zstd") as writer:
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=_SCHEMA))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=_SCHEMA))
            count += len(batch)
    return count


def render_datasheet(
    count: int, counts: dict[str, Counter[str]], format: str, filter: RecordFilter
) -> str:
    """DATASHEET.md: what the export holds, its fields, the four clusters and the counts."""
    chosen = {k: v for k, v in vars(filter).items() if v not in (None, False)}
    lines = [
        "# dreamdraw dream-drawing pairs: datasheet",
        "",
        f"Exported {datetime.now(UTC).isoformat(timespec='seconds')} as `{format}`: "
        f"{count} records.",
        "",
        "Each record is a dream told aloud by a visitor of the dreamdraw installation, "
        "transcribed by Whisper, and the drawing a CLIPDraw optimiser made of it. Only "
        "visitors who consented to research use are included; records hidden by curators "
        "are left out unless asked for.",
        "",
        f"Filter: `{json.dumps(chosen, default=str)}`",
        "",
    ]
    if format == "csv":
        lines += [
            "The CSV is safe to open in a spreadsheet: a text cell that would start a formula "
            "(`=`, `+`, `-`, `@`, tab, line break) begins with an apostrophe, and control "
            "characters are shown as symbols (NUL as ␀, ESC as ␛). The exact texts are in "
            "the `jsonl` and `parquet` exports.",
            "",
        ]
    lines += [
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {doc} |" for name, (kind, doc) in EXPORT_FIELDS.items()]
    if format == "imagefolder":
        lines.append("| `file_name` | string | the image, for the `datasets` imagefolder loader |")
    lines += [
        "",
        "## Clusters",
        "",
        "| id | name | definition | automatic | curator |",
        "|---|---|---|---|---|",
    ]
    for cid, (name, definition) in CLUSTERS.items():
        lines.append(
            f"| `{cid}` | {name} | {definition} | {counts['cluster'][cid]} | "
            f"{counts['label'][cid]} |"
        )
    lines.append(
        f"| (none) | not analysed / not labelled | | {counts['cluster']['(none)']} | "
        f"{counts['label']['(none)']} |"
    )
    for key, title in (("language", "Languages"), ("venue", "Venues")):
        lines += ["", f"## {title}", ""]
        lines += [f"- {name}: {n}" for name, n in counts[key].most_common()]
    return "\n".join(lines) + "\n"
