"""The archive: records in a SQL database, their files in a content-addressed blob store."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from dreamdraw.archive import curators as curator_accounts
from dreamdraw.archive.blobs import BlobStore
from dreamdraw.archive.curators import Curator
from dreamdraw.archive.database import (
    WRITE,
    create_archive_engine,
    database_errors,
    describe,
    migrate,
    schema_revision,
)
from dreamdraw.archive.errors import ArchiveError, RecordNotFound
from dreamdraw.archive.images import make_thumbnail, media_type_of
from dreamdraw.archive.record import PLOT_STATUSES, Consent, Record, as_utc, check_cluster
from dreamdraw.archive.schema import (
    MAX_RECORD_ID,
    audit_log,
    record_blobs,
    record_id_high_water,
    records,
)
from dreamdraw.archive.settings import ArchiveSettings
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["Archive", "AuditEntry", "Page", "RecordFilter", "open_archive"]

log = logging.getLogger(__name__)

_FIGURE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,48}")
_WORD = re.compile(r"\w+")
MAX_PER_PAGE = 1000


@dataclass
class RecordFilter:
    """Which records to list or export; every field left None does not filter.

    `since`/`until` are UTC instants (until is exclusive); `text` is full-text search over
    the dream as spoken and in English: every word must occur, the last one as a prefix
    (so a search box finds "whale" while "wha" is being typed).
    """

    cluster: str | None = None
    label: str | None = None
    venue: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    include_hidden: bool = False
    public_only: bool = False
    research_only: bool = False


@dataclass
class Page:
    """One page of records, newest first; `page` counts from 1."""

    records: list[Record]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass
class AuditEntry:
    """Who did what to which record, when (UTC)."""

    at: datetime
    actor: str
    action: str
    record_id: int | None
    detail: dict[str, Any] = field(default_factory=dict)


def open_archive(
    location: str | Path,
    *,
    settings: ArchiveSettings | None = None,
    blob_dir: str | Path | None = None,
    create: bool = True,
) -> Archive:
    """Open (creating and migrating as needed) the archive at `location`.

    `location` is a data directory (SQLite at `location/archive.db`, blobs under
    `location/blobs`, unless `settings.url`/`settings.blob_dir` say otherwise) or a
    database URL such as `postgresql+psycopg://user:pw@host/db` (then `blob_dir` or
    `settings.blob_dir` says where the files go). With `create=False` an archive that does
    not exist yet is an ArchiveError instead of a new, empty one.
    """
    settings = settings or ArchiveSettings()
    location_text = str(location)
    if "://" in location_text:
        url = location_text
        folder = blob_dir or settings.blob_dir
        if folder is None:
            raise ArchiveError(
                "an archive opened by database URL needs a blob folder: set archive.blob_dir"
            )
    else:
        data_dir = Path(location).expanduser()
        if not create and not data_dir.is_dir():
            raise ArchiveError(f"there is no archive at {data_dir}: no such folder")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot create data directory {data_dir}: {exc}") from None
        url = settings.url or f"sqlite:///{data_dir / 'archive.db'}"
        folder = blob_dir or settings.blob_dir or data_dir / "blobs"
    if not create:
        _require_existing_database(url, settings)
    return Archive(create_archive_engine(url, settings), BlobStore(folder), settings)


def _require_existing_database(url: str, settings: ArchiveSettings) -> None:
    """An ArchiveError unless `url` names a database that holds an archive already."""
    engine = create_archive_engine(url, settings)
    try:
        where = describe(engine)
        database = engine.url.database
        # Connecting to a missing SQLite file would create it: look before connecting.
        if engine.dialect.name == "sqlite" and (not database or not Path(database).is_file()):
            raise ArchiveError(f"there is no archive at {where}: no such database file")
        with database_errors(where):
            if schema_revision(engine) is None:
                raise ArchiveError(f"there is no archive at {where}: the database is empty")
    finally:
        engine.dispose()


class Archive:
    """Every dream-drawing pair: add, update as it is plotted and analysed, list, moderate.

    Files are written to the blob store (durably) before the row naming them commits, so
    a crash leaves at worst an unreferenced blob, never a record without its files.
    """

    def __init__(self, engine: Engine, blobs: BlobStore, settings: ArchiveSettings) -> None:
        self.engine = engine
        self.blobs = blobs
        self.settings = settings
        try:
            with self.database_errors():
                fresh = schema_revision(engine) is None
            if fresh and blobs.holds_any():
                # An empty database (a zero-byte archive.db, a wrong URL) beside the drawings
                # of a real archive would call every drawing an orphan; never start one there.
                raise ArchiveError(
                    f"the archive database {describe(engine)} is empty but the blob folder "
                    f"{blobs.root} holds drawings: restore the database from a backup, or set "
                    "archive.url and archive.blob_dir to a database and folder that belong "
                    "together"
                )
            migrate(engine)
        except ArchiveError:
            engine.dispose()
            raise

    def database_errors(self) -> AbstractContextManager[None]:
        """A context in which a failed database operation becomes a one-line ArchiveError."""
        return database_errors(describe(self.engine))

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection.execution_options(**WRITE)
            with connection.begin():
                yield connection

    @contextmanager
    def _write_releasing(self) -> Iterator[tuple[Connection, Callable[[Iterable[str]], None]]]:
        """A write transaction and `release(shas)`, which lets go of blobs no record names.

        Released blobs go to the trash inside the transaction (whose lock keeps every other
        writer of those blobs waiting), come back if it rolls back, and are deleted after it
        commits; so a file is never lost to a record added at the same moment.
        """
        trashed: list[tuple[str, Path]] = []

        def release(connection: Connection, shas: Iterable[str]) -> None:
            shas = set(shas)
            used = set(
                connection.execute(
                    select(record_blobs.c.sha256).where(record_blobs.c.sha256.in_(shas))
                ).scalars()
            )
            for sha in sorted(shas - used):
                path = self.blobs.discard(sha)
                if path is not None:
                    trashed.append((sha, path))

        try:
            with self._write() as connection:
                yield connection, partial(release, connection)
        except BaseException:
            self.blobs.restore(trashed)
            raise
        self.blobs.purge([path for _, path in trashed])

    def _hold_blobs(self, connection: Connection, shas: Iterable[str]) -> None:
        """Inside a write transaction: wait until no other transaction adds or releases `shas`.

        SQLite's write transactions already run one at a time (BEGIN IMMEDIATE); PostgreSQL
        takes one advisory lock per blob, in sorted order (no deadlock), before any row.
        """
        if self.dialect != "postgresql":
            return
        for sha in sorted(set(shas)):
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(sha[:15], 16)}
            )

    def _keep_stored(
        self, connection: Connection, files: Mapping[str, bytes], also_hold: Iterable[str] = ()
    ) -> None:
        """Inside a write transaction: hold each file (by sha) and make sure it is stored.

        The files were stored before the transaction (their fsync stays outside its lock);
        a record deleted meanwhile may have released a file with the same bytes.
        """
        self._hold_blobs(connection, [*files, *also_hold])
        for data in files.values():
            self.blobs.put(data)

    # -- adding ------------------------------------------------------------------------
    def add(
        self,
        *,
        transcript: Any,
        drawing: Any,
        svg: bytes | str | Path | None = None,
        png: bytes | Path | None = None,
        thumbnail: bytes | None = None,
        audio: bytes | None = None,
        venue: str = "",
        created_at: datetime | None = None,
        consent: Consent | None = None,
        plot_status: str = "pending",
    ) -> Record:
        """Archive a new pair and return it with its id.

        `transcript` and `drawing` are JSON text, dicts, or objects with `to_json()`
        (speech's Transcript, drawing's Drawing). `svg`/`png` are the drawing's files (bytes,
        SVG text, or a Path to read); a thumbnail is made from the PNG when none is given. Audio is kept only when
        `consent.audio` is true.
        """
        consent = consent or Consent()
        files: dict[str, bytes] = {}
        if isinstance(svg, Path):
            svg = _read(svg)
        if isinstance(png, Path):
            png = _read(png)
        if svg is not None:
            files["svg"] = svg.encode("utf-8") if isinstance(svg, str) else svg
        if png is not None:
            files["png"] = png
            files["thumbnail"] = thumbnail or make_thumbnail(png, self.settings.thumbnail_px)
        elif thumbnail is not None:
            files["thumbnail"] = thumbnail
        if audio is not None:
            if consent.audio:
                files["audio"] = audio
            else:
                log.info("audio not archived: the visitor did not consent to keeping it")
        record = Record(
            id=None,
            created_at=as_utc(created_at or datetime.now(UTC)),
            venue=venue,
            transcript=_as_object(transcript, "transcript"),
            drawing=_as_object(drawing, "drawing"),
            plot_status=_check_plot_status(plot_status),
            consent=consent,
        )
        record.clip_score = _float_or_none(record.drawing.get("final_score"))
        record.blobs = {role: self.blobs.put(data) for role, data in files.items()}
        media = {role: (media_type_of(data), len(data)) for role, data in files.items()}
        with self._write() as connection:
            self._keep_stored(connection, {record.blobs[r]: data for r, data in files.items()})
            (record.id,) = self._insert(connection, [record], [media])
        record.updated_at = record.created_at
        return record

    def put_blob(self, data: bytes) -> str:
        """Store a file in the blob store (durably) and return its sha256 hex."""
        return self.blobs.put(data)

    def import_records(self, items: Iterable[Record], batch_size: int = 1000) -> int:
        """Insert records in bulk (new ids are assigned); their blobs must be stored already.

        Returns how many were inserted. Used to merge archives and to build test archives.
        """
        count = 0
        batch: list[Record] = []
        sizes: dict[str, tuple[str, int]] = {}

        def flush() -> None:
            media = []
            for record in batch:
                for sha in record.blobs.values():
                    if sha not in sizes:
                        data = self.blobs.get(sha)
                        sizes[sha] = (media_type_of(data), len(data))
                media.append({role: sizes[sha] for role, sha in record.blobs.items()})
            shas = {sha for record in batch for sha in record.blobs.values()}
            with self._write() as connection:
                self._hold_blobs(connection, shas)
                for sha in sorted(shas):
                    if not self.blobs.exists(sha):
                        raise ArchiveError(f"blob {sha} of an imported record is not stored")
                self._insert(connection, batch, media)

        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
                count += len(batch)
                batch = []
        if batch:
            flush()
            count += len(batch)
        return count

    def _insert(
        self,
        connection: Connection,
        batch: list[Record],
        media: list[dict[str, tuple[str, int]]],
    ) -> list[int]:
        rows = [_row_values(r) for r in batch]
        if self.dialect == "sqlite":
            # Ids past every id ever given (write transactions run one at a time here).
            last = connection.execute(select(record_id_high_water.c.last_id)).scalar_one()
            top = max(last, connection.execute(select(func.max(records.c.id))).scalar() or 0)
            for offset, row in enumerate(rows, start=1):
                row["id"] = top + offset
            connection.execute(update(record_id_high_water).values(last_id=top + len(rows)))
        result = connection.execute(
            insert(records).returning(records.c.id, sort_by_parameter_order=True), rows
        )
        ids = [row[0] for row in result]
        blob_rows = [
            {
                "record_id": record_id,
                "role": role,
                "sha256": sha,
                "media_type": media_of[role][0],
                "size": media_of[role][1],
            }
            for record_id, record, media_of in zip(ids, batch, media, strict=True)
            for role, sha in record.blobs.items()
        ]
        if blob_rows:
            connection.execute(insert(record_blobs), blob_rows)
        return ids

    # -- reading -----------------------------------------------------------------------
    def get(self, record_id: int, *, include_hidden: bool = True) -> Record:
        """The record `record_id`; RecordNotFound when absent (or hidden, if not included)."""
        with self.engine.connect() as connection:
            row = self._row(connection, record_id)
            if row is None or (row.hidden and not include_hidden):
                raise RecordNotFound(f"no record {record_id} in the archive")
            return self._records(connection, [row])[0]

    def _row(self, connection: Connection, record_id: int) -> Any:
        # An id no record can have is not sent to the database (it may not fit its INTEGER).
        if not 1 <= record_id <= MAX_RECORD_ID:
            return None
        return connection.execute(select(records).where(records.c.id == record_id)).first()

    def list(
        self, filter: RecordFilter | None = None, *, page: int = 1, per_page: int | None = None
    ) -> Page:
        """One page of the records that match `filter`, newest first.

        `per_page` is 1-1000 (default: settings.page_size); a page past the last is empty.
        """
        filter = filter or RecordFilter()
        per_page = per_page or self.settings.page_size
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ArchiveError(f"records per page must be 1-{MAX_PER_PAGE}, not {per_page}")
        page = max(1, page)
        where = self._where(filter)
        with self.engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(records).where(*where)
            ).scalar_one()
            if (page - 1) * per_page >= total:
                # Past the end: no query whose offset the database might not even hold.
                return Page([], total, page, per_page)
            rows = connection.execute(
                select(records)
                .where(*where)
                .order_by(records.c.created_at.desc(), records.c.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
            return Page(self._records(connection, rows), total, page, per_page)

    def count(self, filter: RecordFilter | None = None) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count())
                .select_from(records)
                .where(*self._where(filter or RecordFilter()))
            ).scalar_one()

    def iter_records(
        self, filter: RecordFilter | None = None, *, batch_size: int = 500
    ) -> Iterator[Record]:
        """Every matching record, oldest id first, streamed `batch_size` rows at a time.

        One query with a streaming cursor: memory stays flat however large the archive.
        """
        query = select(records).where(*self._where(filter or RecordFilter())).order_by(records.c.id)
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=batch_size).execute(query)
            for rows in result.partitions():
                yield from self._records(connection, rows)

    def blob(self, sha: str) -> bytes:
        return self.blobs.get(sha)

    def blob_info(self, sha: str, *, include_hidden: bool) -> str | None:
        """The media type of blob `sha` if a record (visible unless `include_hidden`) uses it."""
        query = (
            select(record_blobs.c.media_type)
            .join(records, records.c.id == record_blobs.c.record_id)
            .where(record_blobs.c.sha256 == sha)
        )
        if not include_hidden:
            query = query.where(records.c.hidden.is_(False), records.c.consent_public.is_(True))
        with self.engine.connect() as connection:
            return connection.execute(query.limit(1)).scalar()

    def _where(self, f: RecordFilter) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if f.cluster is not None:
            where.append(records.c.cluster == check_cluster(f.cluster))
        if f.label is not None:
            where.append(records.c.label == check_cluster(f.label, "label"))
        if f.venue is not None:
            where.append(records.c.venue == f.venue)
        if f.language is not None:
            where.append(records.c.language == f.language)
        if f.since is not None:
            where.append(records.c.created_at >= as_utc(f.since))
        if f.until is not None:
            where.append(records.c.created_at < as_utc(f.until))
        if not f.include_hidden:
            where.append(records.c.hidden.is_(False))
        if f.public_only:
            where.append(records.c.consent_public.is_(True))
        if f.research_only:
            where.append(records.c.consent_research.is_(True))
        words = _WORD.findall(f.text or "")
        if words:
            if self.dialect == "postgresql":
                query = " & ".join([*words[:-1], f"{words[-1]}:*"])
                where.append(
                    text("records.search @@ to_tsquery('simple', :fts)").bindparams(fts=query)
                )
            else:
                query = " ".join([*(f'"{w}"' for w in words[:-1]), f'"{words[-1]}"*'])
                where.append(
                    text(
                        "records.id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH :fts)"
                    ).bindparams(fts=query)
                )
        return where

    def _records(self, connection: Connection, rows: list[Any]) -> list[Record]:
        if not rows:
            return []
        blob_rows = connection.execute(
            select(record_blobs.c.record_id, record_blobs.c.role, record_blobs.c.sha256).where(
                record_blobs.c.record_id.in_([r.id for r in rows])
            )
        ).all()
        blobs: dict[int, dict[str, str]] = {}
        for record_id, role, sha in blob_rows:
            blobs.setdefault(record_id, {})[role] = sha
        return [_record_from_row(row, blobs.get(row.id, {})) for row in rows]

    # -- updating as the pair is plotted and analysed --------------------------------------
    def set_plot_status(self, record_id: int, status: str, log_line: str = "") -> Record:
        """Set the plot status (pending, plotting, plotted, failed, skipped); append a log line."""
        _check_plot_status(status)
        with self._write() as connection:
            current = self._require(connection, record_id)
            plot_log = current.plot_log + (log_line.rstrip("\n") + "\n" if log_line else "")
            connection.execute(
                update(records)
                .where(records.c.id == record_id)
                .values(plot_status=status, plot_log=plot_log, updated_at=datetime.now(UTC))
            )
        return self.get(record_id)

    def attach_analysis(
        self,
        record_id: int,
        analysis: Any,
        *,
        cluster: str | None = None,
        confidence: float | None = None,
        rationale: str = "",
        evidence: Mapping[str, Any] | None = None,
        clip_score: float | None = None,
        figures: Mapping[str, bytes] | None = None,
    ) -> Record:
        """Store the analysis results, the automatic cluster and its evidence, and figures.

        `analysis` is JSON text, a dict or an object with `to_json()`; `figures` maps a
        name (letters, digits, `_.-`) to PNG or SVG bytes; a figure of the same name is
        replaced. `confidence` is in [0, 1].
        """
        check_cluster(cluster)
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            raise ArchiveError(f"cluster confidence must be in [0, 1], not {confidence}")
        for name in figures or {}:
            if not _FIGURE_NAME.fullmatch(name):
                raise ArchiveError(f"figure name {name!r} must be 1-48 letters, digits or _.-")
        analysis_obj = _as_object(analysis, "analysis")
        stored = {f"figure:{n}": (self.blobs.put(d), d) for n, d in (figures or {}).items()}
        values: dict[str, Any] = {
            "analysis_json": json.dumps(analysis_obj, ensure_ascii=False),
            "cluster": cluster,
            "cluster_confidence": confidence,
            "cluster_rationale": rationale,
            "cluster_evidence_json": json.dumps(dict(evidence or {}), ensure_ascii=False),
            "updated_at": datetime.now(UTC),
        }
        if clip_score is not None:
            values["clip_score"] = float(clip_score)
        with self._write_releasing() as (connection, release):
            current = self._require(connection, record_id)
            replaced = [current.blobs[r] for r in stored if r in current.blobs]
            self._keep_stored(connection, dict(stored.values()), also_hold=replaced)
            connection.execute(update(records).where(records.c.id == record_id).values(**values))
            if stored:
                connection.execute(
                    delete(record_blobs).where(
                        record_blobs.c.record_id == record_id,
                        record_blobs.c.role.in_(list(stored)),
                    )
                )
                connection.execute(
                    insert(record_blobs),
                    [
                        {
                            "record_id": record_id,
                            "role": role,
                            "sha256": sha,
                            "media_type": media_type_of(data),
                            "size": len(data),
                        }
                        for role, (sha, data) in stored.items()
                    ],
                )
            self._audit(connection, "system", "analyse", record_id, {"cluster": cluster})
            release(replaced)
        return self.get(record_id)

    # -- curator actions -------------------------------------------------------------------
    def relabel(self, record_id: int, label: str | None, *, actor: str) -> Record:
        """Set (or clear, with None) the curator's cluster label."""
        check_cluster(label, "label")
        with self._write() as connection:
            current = self._require(connection, record_id)
            connection.execute(
                update(records)
                .where(records.c.id == record_id)
                .values(label=label, updated_at=datetime.now(UTC))
            )
            self._audit(
                connection, actor, "relabel", record_id, {"from": current.label, "to": label}
            )
        return self.get(record_id)

    def hide(self, record_id: int, hidden: bool = True, *, actor: str) -> Record:
        """Hide the record from the public (or show it again with `hidden=False`)."""
        with self._write() as connection:
            self._require(connection, record_id)
            connection.execute(
                update(records)
                .where(records.c.id == record_id)
                .values(hidden=hidden, updated_at=datetime.now(UTC))
            )
            self._audit(connection, actor, "hide" if hidden else "unhide", record_id, {})
        return self.get(record_id)

    def delete(self, record_id: int, *, actor: str) -> None:
        """Delete the record and every blob that no other record uses."""
        with self._write_releasing() as (connection, release):
            current = self._require(connection, record_id)
            self._hold_blobs(connection, current.blobs.values())
            connection.execute(delete(records).where(records.c.id == record_id))
            self._audit(
                connection,
                actor,
                "delete",
                record_id,
                {"venue": current.venue, "created_at": current.created_at.isoformat()},
            )
            release(current.blobs.values())

    def audit_log(self, record_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
        """The newest audit entries first, for one record or for all."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if record_id is not None:
            query = query.where(audit_log.c.record_id == record_id)
        with self.engine.connect() as connection:
            return [
                AuditEntry(
                    at=as_utc(r.at),
                    actor=r.actor,
                    action=r.action,
                    record_id=r.record_id,
                    detail=json.loads(r.detail_json),
                )
                for r in connection.execute(query)
            ]

    def _require(self, connection: Connection, record_id: int) -> Record:
        row = self._row(connection, record_id)
        if row is None:
            raise RecordNotFound(f"no record {record_id} in the archive")
        return self._records(connection, [row])[0]

    def _audit(
        self,
        connection: Connection,
        actor: str,
        action: str,
        record_id: int | None,
        detail: dict[str, Any],
    ) -> None:
        connection.execute(
            insert(audit_log).values(
                at=datetime.now(UTC),
                actor=actor,
                action=action,
                record_id=record_id,
                detail_json=json.dumps(detail, ensure_ascii=False),
            )
        )

    # -- curators --------------------------------------------------------------------------
    def add_curator(self, name: str, password: str) -> None:
        """Create the curator `name`, or set a new password and end all its sessions."""
        with self._write() as connection:
            created = curator_accounts.set_password(connection, name, password, datetime.now(UTC))
            action = "add-curator" if created else "password"
            self._audit(connection, name.strip(), action, None, {})

    def verify_curator(self, name: str, password: str) -> bool:
        """True when `password` is the curator `name`'s password."""
        with self.engine.connect() as connection:
            return curator_accounts.check_password(connection, name, password)

    def remove_curator(self, name: str, *, actor: str = "system") -> int:
        """Delete the curator `name` and end its sessions; how many sessions it had open."""
        with self._write() as connection:
            ended = curator_accounts.remove_curator(connection, name)
            self._audit(connection, actor, "remove-curator", None, {"curator": name})
        return ended

    def list_curators(self) -> list[Curator]:
        """Every curator, by name, with its number of open sessions."""
        with self.engine.connect() as connection:
            return curator_accounts.list_curators(connection)

    def start_session(self, name: str, *, now: datetime | None = None) -> str:
        """Open a login session for curator `name`; the secret token the cookie carries."""
        now = now or datetime.now(UTC)
        with self._write() as connection:
            curator_accounts.purge_sessions(connection, now, **self._session_lifetimes())
            return curator_accounts.start_session(connection, name, now)

    def session_curator(self, token: str, *, now: datetime | None = None) -> str | None:
        """The curator whose live session `token` is; None once it ended or expired.

        A session ends at logout, when its curator gets a new password or is removed, after
        `settings.session_idle_s` seconds unused, and `settings.session_max_age_s` seconds
        after login however busy.
        """
        now = now or datetime.now(UTC)
        lifetimes = self._session_lifetimes()
        with self.engine.connect() as connection:
            state = curator_accounts.session_state(connection, token, now, **lifetimes)
        if state.expired:
            self.end_session(token)
        elif state.touch:
            with self._write() as connection:
                curator_accounts.touch_session(connection, token, now)
        return state.curator

    def end_session(self, token: str) -> None:
        """End the login session `token` (logout)."""
        with self._write() as connection:
            curator_accounts.end_session(connection, token)

    def _session_lifetimes(self) -> dict[str, float]:
        return {
            "max_age_s": self.settings.session_max_age_s,
            "idle_s": self.settings.session_idle_s,
        }

    def referenced_blobs(self) -> Iterator[tuple[int, str, str]]:
        """Every (record id, role, sha256) that a record names, in record order."""
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=2000).execute(
                select(
                    record_blobs.c.record_id, record_blobs.c.role, record_blobs.c.sha256
                ).order_by(record_blobs.c.record_id)
            )
            for row in result:
                yield row.record_id, row.role, row.sha256

    def unreadable_records(self) -> list[int]:
        """Ids of records whose stored JSON does not parse (a half-written row)."""
        bad = []
        columns = (
            records.c.id,
            records.c.transcript_json,
            records.c.drawing_json,
            records.c.analysis_json,
            records.c.cluster_evidence_json,
        )
        with self.engine.connect() as connection:
            for row in connection.execution_options(yield_per=2000).execute(select(*columns)):
                try:
                    for value in row[1:]:
                        if value is not None and not isinstance(json.loads(value), dict):
                            raise ValueError("not an object")
                except ValueError:
                    bad.append(row.id)
        return bad


def _as_object(value: Any, what: str) -> dict[str, Any]:
    if hasattr(value, "to_json"):
        value = value.to_json()
    if isinstance(value, bytes | str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"the {what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ArchiveError(f"the {what} must be a JSON object, not {type(value).__name__}")
    return dict(value)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"cannot read {path} to archive it: {exc}") from None


def _float_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _check_plot_status(status: str) -> str:
    if status not in PLOT_STATUSES:
        raise ArchiveError(f"unknown plot status {status!r}; use one of {', '.join(PLOT_STATUSES)}")
    return status


def _search_copy(value: str) -> str:
    # PostgreSQL text cannot hold NUL; the exact words stay in transcript_json.
    return value.replace("\x00", " ")


def _row_values(record: Record) -> dict[str, Any]:
    created = as_utc(record.created_at)
    return {
        "created_at": created,
        "updated_at": as_utc(record.updated_at) if record.updated_at else created,
        "venue": record.venue,
        "language": record.language[:16],
        "dream_text": _search_copy(record.dream),
        "english_text": _search_copy(record.english if record.english != record.dream else ""),
        "transcript_json": json.dumps(record.transcript, ensure_ascii=False),
        "drawing_json": json.dumps(record.drawing, ensure_ascii=False),
        "plot_status": _check_plot_status(record.plot_status),
        "plot_log": record.plot_log,
        "analysis_json": (
            json.dumps(record.analysis, ensure_ascii=False) if record.analysis is not None else None
        ),
        "clip_score": record.clip_score,
        "cluster": check_cluster(record.cluster),
        "cluster_confidence": record.cluster_confidence,
        "cluster_rationale": record.cluster_rationale,
        "cluster_evidence_json": json.dumps(record.cluster_evidence, ensure_ascii=False),
        "label": check_cluster(record.label, "label"),
        "hidden": record.hidden,
        "consent_public": record.consent.public,
        "consent_research": record.consent.research,
        "consent_audio": record.consent.audio,
    }


def _record_from_row(row: Any, blobs: dict[str, str]) -> Record:
    return Record(
        id=row.id,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        venue=row.venue,
        transcript=json.loads(row.transcript_json),
        drawing=json.loads(row.drawing_json),
        blobs=blobs,
        plot_status=row.plot_status,
        plot_log=row.plot_log,
        analysis=json.loads(row.analysis_json) if row.analysis_json is not None else None,
        clip_score=row.clip_score,
        cluster=row.cluster,
        cluster_confidence=row.cluster_confidence,
        cluster_rationale=row.cluster_rationale,
        cluster_evidence=json.loads(row.cluster_evidence_json),
        label=row.label,
        hidden=bool(row.hidden),
        consent=Consent(
            public=bool(row.consent_public),
            research=bool(row.consent_research),
            audio=bool(row.consent_audio),
        ),
    )
