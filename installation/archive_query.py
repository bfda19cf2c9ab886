"""A query on an archive in the words of `dreamdraw archive list` (venue, cluster, label,
language, since, until, search, include_hidden), plus public_only and a limit: one
vocabulary for the command line and for study files."""

from __future__ import annotations

import tempfile
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dreamdraw.installation.config import ConfigError

if TYPE_CHECKING:
    from dreamdraw.archive import Record, RecordFilter

__all__ = ["FILTERS", "ArchiveQuery", "record_filter"]

# Filter name -> what its value must be; the names are those of `dreamdraw archive list`.
FILTERS: dict[str, type] = {
    "venue": str,
    "cluster": str,
    "label": str,
    "language": str,
    "since": date,
    "until": date,
    "search": str,
    "include_hidden": bool,
    "public_only": bool,
}


def record_filter(
    *,
    venue: str | None = None,
    cluster: str | None = None,
    label: str | None = None,
    language: str | None = None,
    since: date | None = None,
    until: date | None = None,
    search: str | None = None,
    include_hidden: bool = False,
    public_only: bool = False,
    research_only: bool = False,
) -> RecordFilter:
    """The archive filter these options name: `since` is the first UTC day, `until` the last
    (included); `search` is full-text search over the dream."""
    from dreamdraw.archive import RecordFilter

    return RecordFilter(
        cluster=cluster,
        label=label,
        venue=venue,
        language=language,
        since=_day_start(since) if since else None,
        until=_day_start(until) + timedelta(days=1) if until else None,
        text=search,
        include_hidden=include_hidden,
        public_only=public_only,
        research_only=research_only,
    )


def _day_start(day: date) -> datetime:
    day = day.date() if isinstance(day, datetime) else day
    return datetime.combine(day, time(), UTC)


@dataclass
class ArchiveQuery:
    """Records of an archive chosen by filters, at most `limit` of them, oldest first.

    `archive` is as the user wrote it: a data folder (relative to `base`) or a database URL.
    Only records whose visitors allowed research use are ever chosen.
    """

    archive: str
    filters: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    base: Path = Path()

    @classmethod
    def from_table(cls, table: dict[str, Any], source: str, base: Path) -> ArchiveQuery:
        """A query from a TOML table (`archive`, `limit` and the FILTERS); a missing archive,
        an unknown key or a value of the wrong kind is a ConfigError naming `source`."""
        table = dict(table)
        archive = table.pop("archive", None)
        if not isinstance(archive, str) or not archive.strip():
            raise ConfigError(f"{source}: `archive` must name an archive folder or database URL")
        limit = table.pop("limit", None)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise ConfigError(f"{source}: `limit` must be a whole number of records, at least 1")
        for key, value in table.items():
            if key not in FILTERS:
                raise ConfigError(
                    f"{source}: unknown filter {key!r}; use archive, limit, {', '.join(FILTERS)}"
                )
            table[key] = _filter_value(key, value, source)
        if "cluster" in table or "label" in table:
            from dreamdraw.archive import CLUSTERS

            for key in ("cluster", "label"):
                if key in table and table[key] not in CLUSTERS:
                    raise ConfigError(
                        f"{source}: unknown {key} {table[key]!r}; use one of {', '.join(CLUSTERS)}"
                    )
        return cls(archive.strip(), table, limit, base)

    def describe(self) -> dict[str, Any]:
        """The query as JSON-ready values (a URL without its password), to record and compare."""
        return {
            "archive": _without_password(self.archive),
            "filters": {
                k: v.isoformat() if isinstance(v, date) else v for k, v in self.filters.items()
            },
            "limit": self.limit,
            "research_only": True,
        }

    def records(self) -> list[Record]:
        """The records the query chooses now; an archive that does not exist is an ArchiveError."""
        from dreamdraw.archive import open_archive

        chosen = record_filter(**self.filters, research_only=True)
        if "://" in self.archive:
            # Only the dreams' words are read; the blob folder an archive by URL needs is
            # never touched.
            with (
                tempfile.TemporaryDirectory(prefix="dreamdraw-query-") as blobs,
                open_archive(self.archive, blob_dir=blobs, create=False) as archive,
            ):
                return self._first(archive, chosen)
        with open_archive(self.base / self.archive, create=False) as archive:
            return self._first(archive, chosen)

    def _first(self, archive: Any, chosen: RecordFilter) -> list[Record]:
        found = []
        with archive.database_errors(), closing(archive.iter_records(chosen)) as matching:
            for record in matching:
                found.append(record)
                if len(found) == self.limit:
                    break
        return found


def _filter_value(key: str, value: Any, source: str) -> Any:
    kind = FILTERS[key]
    if kind is date:
        if isinstance(value, str):
            with suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ConfigError(f"{source}: `{key}` must be a day, e.g. {key} = 2025-06-01")
        return value
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        what = "true or false" if kind is bool else "a non-empty string"
        raise ConfigError(f"{source}: `{key}` must be {what}")
    return value


def _without_password(location: str) -> str:
    if "://" not in location:
        return location
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        return location
