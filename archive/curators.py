"""Curator accounts (argon2 password hashes) and their server-side login sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from dreamdraw.archive.errors import ArchiveError
from dreamdraw.archive.record import as_utc
from dreamdraw.archive.schema import curator_sessions, curators
from sqlalchemy import Connection, delete, func, insert, select, update

__all__ = [
    "Curator",
    "SessionState",
    "check_password",
    "end_session",
    "list_curators",
    "purge_sessions",
    "remove_curator",
    "session_state",
    "set_password",
    "start_session",
    "touch_session",
]

# OWASP's argon2id baseline (19 MiB, 2 passes): a curator login stays well under 100 ms on a
# small venue computer while guessing stays expensive.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the curator does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


@dataclass
class Curator:
    """A curator account: name, when it was made (UTC), how many sessions are open."""

    name: str
    created_at: datetime
    sessions: int


@dataclass
class SessionState:
    """What a session token stands for: the curator, or None when it ended or never was.

    `touch`: the session is live but its last-seen time is old enough to be written again;
    `expired`: the row exists but is past its idle or absolute lifetime (to be deleted).
    """

    curator: str | None
    touch: bool = False
    expired: bool = False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(connection: Connection, name: str, password: str, now: datetime) -> bool:
    """Create curator `name` or give it a new password (ending its sessions); True if new."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ArchiveError("a curator name must be 1-100 characters")
    if len(password) < 8:
        raise ArchiveError("a curator password must be at least 8 characters")
    hashed = _HASHER.hash(password)
    exists = connection.execute(select(curators.c.name).where(curators.c.name == name)).first()
    if exists:
        connection.execute(
            update(curators).where(curators.c.name == name).values(password_hash=hashed)
        )
        connection.execute(delete(curator_sessions).where(curator_sessions.c.curator == name))
    else:
        connection.execute(insert(curators).values(name=name, password_hash=hashed, created_at=now))
    return not exists


def check_password(connection: Connection, name: str, password: str) -> bool:
    """True when `password` is curator `name`'s password (as slow when `name` is unknown)."""
    hashed = connection.execute(
        select(curators.c.password_hash).where(curators.c.name == name)
    ).scalar()
    try:
        return _HASHER.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except VerificationError:
        return False


def remove_curator(connection: Connection, name: str) -> int:
    """Delete curator `name` and end its sessions; how many sessions were open."""
    if connection.execute(select(curators.c.name).where(curators.c.name == name)).first() is None:
        raise ArchiveError(f"no curator {name!r}; `dreamdraw archive list-curators` shows them")
    ended = connection.execute(
        delete(curator_sessions).where(curator_sessions.c.curator == name)
    ).rowcount
    connection.execute(delete(curators).where(curators.c.name == name))
    return ended


def list_curators(connection: Connection) -> list[Curator]:
    """Every curator by name, with the number of sessions not yet ended."""
    open_sessions = (
        select(curator_sessions.c.curator, func.count().label("n"))
        .group_by(curator_sessions.c.curator)
        .subquery()
    )
    rows = connection.execute(
        select(curators.c.name, curators.c.created_at, open_sessions.c.n)
        .outerjoin(open_sessions, open_sessions.c.curator == curators.c.name)
        .order_by(curators.c.name)
    )
    return [Curator(r.name, as_utc(r.created_at), r.n or 0) for r in rows]


def start_session(connection: Connection, name: str, now: datetime) -> str:
    """Open a session for curator `name`; the token to put in the (signed) cookie."""
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(curator_sessions).values(
            token_sha256=_digest(token), curator=name, created_at=now, seen_at=now
        )
    )
    return token


def session_state(
    connection: Connection, token: str, now: datetime, *, max_age_s: float, idle_s: float
) -> SessionState:
    """Who session `token` belongs to at `now`, given its absolute and idle lifetimes (s)."""
    row = connection.execute(
        select(curator_sessions).where(curator_sessions.c.token_sha256 == _digest(token))
    ).first()
    if row is None:
        return SessionState(None)
    age = now - as_utc(row.created_at)
    idle = now - as_utc(row.seen_at)
    if age >= timedelta(seconds=max_age_s) or idle >= timedelta(seconds=idle_s):
        return SessionState(None, expired=True)
    # Written at most every tenth of the idle lifetime (and at most once a minute): a busy
    # curator does not turn every page view into a database write.
    return SessionState(row.curator, touch=idle >= timedelta(seconds=min(60.0, idle_s / 10)))


def touch_session(connection: Connection, token: str, now: datetime) -> None:
    """Record that session `token` was used at `now` (restarts its idle time)."""
    connection.execute(
        update(curator_sessions)
        .where(curator_sessions.c.token_sha256 == _digest(token))
        .values(seen_at=now)
    )


def end_session(connection: Connection, token: str) -> None:
    """End session `token` (logout)."""
    connection.execute(
        delete(curator_sessions).where(curator_sessions.c.token_sha256 == _digest(token))
    )


def purge_sessions(
    connection: Connection, now: datetime, *, max_age_s: float, idle_s: float
) -> None:
    """Delete every session past its absolute or idle lifetime (s) at `now`."""
    connection.execute(
        delete(curator_sessions).where(
            (curator_sessions.c.created_at <= now - timedelta(seconds=max_age_s))
            | (curator_sessions.c.seen_at <= now - timedelta(seconds=idle_s))
        )
    )
