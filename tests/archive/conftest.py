"""Archive test fixtures: sample pairs, SQLite and real PostgreSQL archives, a live web server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dreamdraw.archive import Archive, open_archive
from playwright.sync_api import Browser, sync_playwright

from tests.archive.archive_samples import free_port

CHROMIUM = Path("/usr/bin/chromium")

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def sqlite_archive(data_dir: Path) -> Iterator[Archive]:
    archive = open_archive(data_dir)
    yield archive
    archive.close()


def _run_as_postgres(args: list[str], **kw: Any) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL 15 server in a temp dir on a free port; yields its admin URL."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 binaries are not installed (Debian package postgresql-15)")
    root = Path(tempfile.mkdtemp(prefix="dreamdraw-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    pgdata = root / "data"
    port = free_port()
    _run_as_postgres([str(PG_BIN / "initdb"), "-D", str(pgdata), "-A", "trust", "-U", "postgres"])
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run_as_postgres(
        [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(pgdata),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ]
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        _run_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the test server (SQLAlchemy URL with psycopg 3)."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return postgres_server.replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """The same tests on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        archive = open_archive(tmp_path / "data")
    else:
        url = request.getfixturevalue("postgres_url")
        archive = open_archive(url, blob_dir=tmp_path / "blobs")
    yield archive
    archive.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a browser Playwright fetched)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
