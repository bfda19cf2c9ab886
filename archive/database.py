"""Engines for SQLite (WAL, foreign keys, busy timeout) and PostgreSQL, and schema migration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from dreamdraw.archive.errors import ArchiveError
from dreamdraw.archive.settings import ArchiveSettings
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = [
    "WRITE",
    "create_archive_engine",
    "database_errors",
    "database_problems",
    "describe",
    "migrate",
    "schema_revision",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Execution option that makes a SQLite transaction take the write lock at BEGIN, so two
# writers queue on the busy timeout instead of failing on a lock upgrade.
WRITE = {"archive_write": True}

# Any constant: concurrent migrations on PostgreSQL wait for one another on this lock.
_PG_MIGRATION_LOCK = 7_305_011


def create_archive_engine(url: str, settings: ArchiveSettings) -> Engine:
    """An engine for `url`; SQLite connections get WAL, foreign keys and the busy timeout."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(
                url,
                connect_args={"timeout": settings.busy_timeout_s, "check_same_thread": False},
            )
            _configure_sqlite(engine, settings)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise ArchiveError(
            f"cannot use database URL {url!r}: {exc}; use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    return engine


def _configure_sqlite(engine: Engine, settings: ArchiveSettings) -> None:
    busy_ms = int(settings.busy_timeout_s * 1000)
    synchronous = settings.sqlite_synchronous

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _entry: ConnectionPoolEntry) -> None:
        # We emit BEGIN ourselves (below): pysqlite's implicit transactions would not
        # cover DDL and could not take the write lock up front.
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("archive_write") else ""
        connection.exec_driver_sql(f"BEGIN {mode}")


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: empty database)."""
    # Read directly: Alembic's MigrationContext logs at INFO on every call.
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def describe(engine: Engine) -> str:
    """The database for people: the SQLite file, or the URL without its password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return engine.url.database
    return engine.url.render_as_string(hide_password=True)


def database_error_message(where: str, exc: DBAPIError) -> str:
    """One line for a failed database operation on `where`, saying what to do."""
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__
    if isinstance(exc, OperationalError):
        return (
            f"cannot use the archive database {where} ({reason}): check that it exists, is "
            "reachable and writable, and that no other program holds it locked"
        )
    return (
        f"the archive database {where} is damaged ({reason}): restore it from a backup "
        "(the drawings in the blob folder are kept apart from it)"
    )


@contextmanager
def database_errors(where: str) -> Iterator[None]:
    """Turn a failed database operation on `where` into a one-line ArchiveError."""
    try:
        yield
    except DBAPIError as exc:
        raise ArchiveError(database_error_message(where, exc)) from None


def database_problems(engine: Engine, limit: int = 50) -> list[str]:
    """What the database's own integrity check finds, one line per problem ([]: none).

    SQLite runs `PRAGMA quick_check` (every page and record, without comparing indexes to
    their tables). PostgreSQL checks its pages itself as it reads them; nothing to run here.
    """
    if engine.dialect.name != "sqlite":
        return []
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(f"PRAGMA quick_check({int(limit)})").scalars()
            # A row may hold several problems, one a line, under a "*** in database" title.
            found = [
                line.strip()
                for row in rows
                for line in str(row).splitlines()
                if line.strip() and not line.startswith("*** in database")
            ]
    except DBAPIError as exc:
        return [(str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]]
    return [] if found == ["ok"] else found


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes open at once."""
    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with database_errors(describe(engine)):
        if schema_revision(engine) == head:
            return
        with engine.connect() as connection:
            connection.execution_options(**WRITE)
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
