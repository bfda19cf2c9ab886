"""Archive settings as they appear in the `[archive]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dreamdraw.settings import check_bounds, setting

__all__ = ["ArchiveSettings"]


@dataclass
class ArchiveSettings:
    """The archive of dream-drawing pairs and the curator web app."""

    url: str | None = setting(
        None,
        "database URL, e.g. 'postgresql+psycopg://user:pw@host/db' "
        "(default: SQLite at DATA/archive.db)",
    )
    blob_dir: str | None = setting(
        None, "folder of content-addressed SVG/PNG/figure files (default: DATA/blobs)"
    )
    busy_timeout_s: float = setting(10.0, "how long SQLite waits for another writer, seconds", ge=0)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = setting(
        "FULL", "FULL survives power cuts; NORMAL survives only process crashes"
    )
    thumbnail_px: int = setting(256, "longest side of gallery thumbnails, px", ge=16)
    page_size: int = setting(24, "records per gallery page", ge=1, le=500)
    orphan_grace_s: float = setting(
        3600.0,
        "an unreferenced blob younger than this (seconds) may belong to a record "
        "being written and is not reported as orphaned",
        ge=0,
    )
    session_secret: str | None = setting(
        None,
        "key that signs curator session cookies (default: a random key kept in DATA/session.key)",
    )
    session_max_age_s: int = setting(
        8 * 3600, "how long a curator stays logged in however busy, seconds", gt=0
    )
    session_idle_s: int = setting(
        3600, "a curator session unused for this long ends, seconds", gt=0
    )
    secure_cookies: bool = setting(
        True,
        "send the session cookie only over HTTPS (browsers also allow localhost); "
        "set false only when curators reach the app over plain HTTP on a trusted network",
    )

    def __post_init__(self) -> None:
        check_bounds(self)
