"""Integrity check: orphaned, missing and corrupt blobs and half-written records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dreamdraw.archive.database import database_problems
from dreamdraw.archive.store import Archive, RecordFilter
from sqlalchemy.exc import DBAPIError

__all__ = ["CheckReport", "check_archive"]


@dataclass
class CheckReport:
    """What `check_archive` found; `ok` when nothing is wrong.

    `orphaned`: blobs no record names, older than the grace period; `missing`: (record id,
    role, sha256) named by a record but absent; `corrupt`: blobs whose bytes no longer hash
    to their name; `half_written`: ids of records whose stored JSON does not parse or that
    name a missing or corrupt blob; `stale_temp`: temp files of writers that died.
    `database`: what the database's own integrity check found (SQLite `PRAGMA
    quick_check`), or why it could not be read; `in_trash`: blobs still named by a record
    that a writer which died mid-delete left in the trash. `pending`: unreferenced blobs younger than the grace period (a record may be being
    written), not a fault. `moved_to`: where `repair` moved orphans and stale temp files.
    """

    records: int = 0
    blobs: int = 0
    database: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    missing: list[tuple[int, str, str]] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    half_written: list[int] = field(default_factory=list)
    stale_temp: list[str] = field(default_factory=list)
    in_trash: list[str] = field(default_factory=list)
    restored: bool = False
    pending: int = 0
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.database
            or self.orphaned
            or self.missing
            or self.corrupt
            or self.half_written
            or self.stale_temp
            or self.in_trash
        )

    @property
    def unresolved(self) -> bool:
        """True when something is still wrong after this run (repair resolves orphans, stale
        temp files and blobs a dead writer left in the trash)."""
        moved = self.moved_to is not None
        leftovers = (self.orphaned or self.stale_temp) and not moved
        trash = self.in_trash and not self.restored
        damage = self.missing or self.corrupt or self.half_written or self.database
        return bool(damage or leftovers or trash)

    def summary(self) -> str:
        """A few lines for people: counts, then what to do."""
        lines = [
            f"{self.records} records, {self.blobs} blobs: "
            + ("ok" if self.ok else "problems found"),
        ]
        lines += [f"database damage: {problem}" for problem in self.database]
        if self.database:
            lines.append(
                "the database is damaged: restore it from a backup (the blob folder is "
                "kept apart from it)"
            )
        if self.orphaned:
            lines.append(f"orphaned blobs: {len(self.orphaned)} (`--repair` moves them aside)")
        if self.stale_temp:
            lines.append(f"stale temp files: {len(self.stale_temp)} (`--repair` moves them aside)")
        for record_id, role, sha in self.missing:
            lines.append(f"missing blob: record {record_id} {role} {sha}")
        for sha in self.in_trash:
            done = "put back" if self.restored else "`--repair` puts it back"
            lines.append(f"blob in the trash but still used: {sha} ({done})")
        for sha in self.corrupt:
            lines.append(f"corrupt blob (hash mismatch): {sha}")
        if self.half_written:
            ids = ", ".join(str(i) for i in self.half_written)
            lines.append(
                f"half-written records: {ids} (restore their blobs from a backup "
                "or delete the records)"
            )
        if self.pending:
            lines.append(f"{self.pending} recent unreferenced blobs (records being written)")
        if self.moved_to:
            lines.append(f"moved orphans to {self.moved_to}")
        return "\n".join(lines)


def check_archive(
    archive: Archive, *, repair: bool = False, verify_hashes: bool = True
) -> CheckReport:
    """Compare the records' blob references with the blob store; hash every blob when asked.

    With `repair`, orphans and stale temp files move to `<blob folder>-orphans/<UTC time>/`;
    missing and corrupt blobs are only reported (they need a backup).
    """
    report = CheckReport(database=database_problems(archive.engine))
    try:
        _check_records_and_blobs(archive, report, repair=repair, verify_hashes=verify_hashes)
    except DBAPIError as exc:
        reason = (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]
        report.database.append(f"cannot read the records: {reason}")
    return report


def _check_records_and_blobs(
    archive: Archive, report: CheckReport, *, repair: bool, verify_hashes: bool
) -> None:
    store = archive.blobs
    grace = archive.settings.orphan_grace_s
    if report.database:
        # Moving "orphans" aside is only safe when every reference could be read.
        repair = False
    report.records = archive.count(RecordFilter(include_hidden=True))
    referenced: dict[str, list[tuple[int, str]]] = {}
    for record_id, role, sha in archive.referenced_blobs():
        referenced.setdefault(sha, []).append((record_id, role))
    damaged: set[int] = set()
    on_disk = set(store.iter_names())
    # A writer that died between releasing a blob and committing leaves it in the trash.
    trash = store.trashed()
    report.blobs = len(on_disk)
    for sha, users in referenced.items():
        if sha not in on_disk and sha in trash:
            report.in_trash.append(sha)
        elif sha not in on_disk:
            report.missing.extend((record_id, role, sha) for record_id, role in users)
            damaged.update(record_id for record_id, _ in users)
        elif verify_hashes and not store.is_intact(sha):
            report.corrupt.append(sha)
            damaged.update(record_id for record_id, _ in users)
    for sha in sorted(on_disk - referenced.keys()):
        if store.age_s(sha) >= grace:
            report.orphaned.append(sha)
        else:
            report.pending += 1
    restorable = [(sha, trash.pop(sha)[0]) for sha in sorted(report.in_trash)]
    stale = store.stale_temp_files(grace) + [
        path for paths in trash.values() for path in paths if store.age_of(path) >= grace
    ]
    report.stale_temp = [p.name for p in stale]
    report.half_written = sorted(damaged | set(archive.unreadable_records()))
    if repair and restorable:
        store.restore(restorable)
        report.restored = True
    if repair and (report.orphaned or stale):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = store.root.with_name(store.root.name + "-orphans") / stamp
        store.move_aside([store.path(sha) for sha in report.orphaned] + stale, folder)
        report.moved_to = str(folder)
