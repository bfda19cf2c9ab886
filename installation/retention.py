"""Retention: pairs older than the venue keeps them are deleted from the archive."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from dreamdraw.archive import Archive, RecordFilter

__all__ = ["sweep_retention"]

log = logging.getLogger("dreamdraw.show")


def sweep_retention(archive: Archive, days: int, now: datetime | None = None) -> int:
    """Delete pairs older than `days` (0: keep all); returns how many were deleted."""
    if days <= 0:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    old = [r.id for r in archive.iter_records(RecordFilter(until=cutoff, include_hidden=True))]
    for record_id in old:
        archive.delete(record_id, actor="retention")
    if old:
        log.info("retention: deleted %d pairs older than %d days", len(old), days)
    return len(old)
