"""The archive of dream-drawing pairs, the curator web app and the research export."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dreamdraw.archive.errors import ArchiveError, RecordNotFound
from dreamdraw.archive.record import CLUSTERS, Consent, Record
from dreamdraw.archive.settings import ArchiveSettings

if TYPE_CHECKING:
    from dreamdraw.archive.check import CheckReport, check_archive
    from dreamdraw.archive.export import ExportResult, export_records, research_filter
    from dreamdraw.archive.store import Archive, Page, RecordFilter, open_archive
    from dreamdraw.archive.web import create_app

__all__ = [
    "CLUSTERS",
    "Archive",
    "ArchiveError",
    "ArchiveSettings",
    "CheckReport",
    "Consent",
    "ExportResult",
    "Page",
    "Record",
    "RecordFilter",
    "RecordNotFound",
    "check_archive",
    "create_app",
    "export_records",
    "open_archive",
    "research_filter",
]

# SQLAlchemy, Alembic and FastAPI load only when first used, so that importing the
# error type (as the CLI does for every command) stays cheap.
_LAZY = {
    "Archive": "dreamdraw.archive.store",
    "Page": "dreamdraw.archive.store",
    "RecordFilter": "dreamdraw.archive.store",
    "open_archive": "dreamdraw.archive.store",
    "CheckReport": "dreamdraw.archive.check",
    "check_archive": "dreamdraw.archive.check",
    "ExportResult": "dreamdraw.archive.export",
    "export_records": "dreamdraw.archive.export",
    "research_filter": "dreamdraw.archive.export",
    "create_app": "dreamdraw.archive.web",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
