"""Archive settings as they appear in the `[archive]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ArchiveSettings"]


@dataclass
class ArchiveSettings:
    """The archive of dream-drawing pairs and the curator web app."""

    url: str | None = field(
        default=None,
        metadata={
            "doc": "database URL, e.g. 'postgresql+psycopg://user:pw@host/db' "
            "(default: SQLite at DATA/archive.db)"
        },
    )
    blob_dir: str | None = field(
        default=None,
        metadata={"doc": "folder of content-addressed SVG/PNG/figure files (default: DATA/blobs)"},
    )
    busy_timeout_s: float = field(
        default=10.0, metadata={"doc": "how long SQLite waits for another writer, seconds"}
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = field(
        default="FULL",
        metadata={"doc": "FULL survives power cuts; NORMAL survives only process crashes"},
    )
    thumbnail_px: int = field(
        default=256, metadata={"doc": "longest side of gallery thumbnails, px"}
    )
    page_size: int = field(default=24, metadata={"doc": "records per gallery page"})
    orphan_grace_s: float = field(
        default=3600.0,
        metadata={
            "doc": "an unreferenced blob younger than this (seconds) may belong to a record "
            "being written and is not reported as orphaned"
        },
    )
    session_secret: str | None = field(
        default=None,
        metadata={
            "doc": "key that signs curator session cookies (default: a random key kept in "
            "DATA/session.key)"
        },
    )
    session_max_age_s: int = field(
        default=8 * 3600,
        metadata={"doc": "how long a curator stays logged in however busy, seconds"},
    )
    session_idle_s: int = field(
        default=3600,
        metadata={"doc": "a curator session unused for this long ends, seconds"},
    )
    secure_cookies: bool = field(
        default=True,
        metadata={
            "doc": "send the session cookie only over HTTPS (browsers also allow localhost); "
            "set false only when curators reach the app over plain HTTP on a trusted network"
        },
    )

    def __post_init__(self) -> None:
        if self.busy_timeout_s < 0:
            raise ValueError("busy_timeout_s must be >= 0")
        if self.thumbnail_px < 16:
            raise ValueError("thumbnail_px must be at least 16")
        if not 1 <= self.page_size <= 500:
            raise ValueError("page_size must be between 1 and 500")
        if self.session_max_age_s <= 0 or self.session_idle_s <= 0:
            raise ValueError("session_max_age_s and session_idle_s must be > 0")
        if self.orphan_grace_s < 0:
            raise ValueError("orphan_grace_s must be >= 0")
