"""Curator sessions live in the database: logout, a new password and removal end them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dreamdraw.archive import (
    Archive,
    ArchiveError,
    ArchiveSettings,
    Record,
    create_app,
    open_archive,
)
from dreamdraw.archive.schema import curator_sessions
from dreamdraw.archive.web.session import COOKIE_NAME
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.archive.archive_samples import add_dream
from tests.cli_runner import run_cli

PASSWORD = "correct horse battery"
T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def archive(data_dir: Path) -> Iterator[Archive]:
    settings = ArchiveSettings(session_max_age_s=8 * 3600, session_idle_s=1800)
    archive = open_archive(data_dir, settings=settings)
    archive.add_curator("ann", PASSWORD)
    yield archive
    archive.close()


@pytest.fixture
def hidden(archive: Archive) -> Record:
    record = add_dream(archive, "a dream the curators hid", seed=3)
    return archive.hide(record.id, actor="ann")


def _client(archive: Archive, cookie: str | None = None) -> TestClient:
    client = TestClient(create_app(archive, secret="s"), base_url="https://testserver")
    if cookie is not None:
        client.cookies.set(COOKIE_NAME, cookie)
    return client


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def _logged_in(archive: Archive, password: str = PASSWORD) -> tuple[TestClient, str, str]:
    """A client logged in as ann: (client, its cookie, its CSRF token)."""
    client = _client(archive)
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login",
        data={"name": "ann", "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    token = _csrf(client.get("/").text)
    return client, client.cookies[COOKIE_NAME], token


def _relabel(client: TestClient, record: Record, token: str) -> int:
    return client.post(
        f"/records/{record.id}/label",
        data={"label": "indeterminacy", "csrf_token": token},
        follow_redirects=False,
    ).status_code


def test_a_logged_in_curator_reads_hidden_records_and_relabels(
    archive: Archive, hidden: Record
) -> None:
    client, _, token = _logged_in(archive)
    assert client.get(f"/api/records/{hidden.id}").status_code == 200
    assert _relabel(client, hidden, token) == 303


def test_the_cookie_of_a_logged_out_session_can_no_longer_relabel(
    archive: Archive, hidden: Record
) -> None:
    client, cookie, token = _logged_in(archive)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    replay = _client(archive, cookie)
    assert _relabel(replay, hidden, token) == 401
    assert replay.get(f"/api/records/{hidden.id}").status_code == 404
    assert archive.get(hidden.id).label is None


def test_a_new_password_ends_every_open_session(archive: Archive, hidden: Record) -> None:
    first, _, first_token = _logged_in(archive)
    second, _, second_token = _logged_in(archive)
    archive.add_curator("ann", "a brand new password")
    assert _relabel(first, hidden, first_token) == 401
    assert _relabel(second, hidden, second_token) == 401
    _, _, token = _logged_in(archive, "a brand new password")
    assert token


def test_a_removed_curator_can_neither_hide_nor_read_hidden_records(
    archive: Archive, hidden: Record
) -> None:
    visible = add_dream(archive, "still public", seed=4)
    client, _, token = _logged_in(archive)
    assert archive.remove_curator("ann") == 1
    hide = client.post(
        f"/records/{visible.id}/hide", data={"csrf_token": token}, follow_redirects=False
    )
    assert hide.status_code == 401
    assert client.get(f"/api/records/{hidden.id}").status_code == 404
    assert not archive.get(visible.id).hidden


def test_a_session_unused_for_its_idle_lifetime_ends(archive: Archive) -> None:
    token = archive.start_session("ann", now=T0)
    assert archive.session_curator(token, now=T0 + timedelta(seconds=1799)) == "ann"
    assert archive.session_curator(token, now=T0 + timedelta(seconds=1799 + 1800)) is None


def test_a_session_in_use_outlives_the_idle_lifetime(archive: Archive) -> None:
    token = archive.start_session("ann", now=T0)
    for minutes in range(0, 240, 20):
        assert archive.session_curator(token, now=T0 + timedelta(minutes=minutes)) == "ann"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(archive: Archive) -> None:
    token = archive.start_session("ann", now=T0)
    for minutes in range(0, 8 * 60, 20):
        assert archive.session_curator(token, now=T0 + timedelta(minutes=minutes)) == "ann"
    assert archive.session_curator(token, now=T0 + timedelta(hours=8)) is None


def test_an_ended_session_does_not_come_back(archive: Archive) -> None:
    token = archive.start_session("ann", now=T0)
    assert archive.session_curator(token, now=T0 + timedelta(hours=9)) is None
    assert archive.session_curator(token, now=T0) is None


def test_the_database_keeps_only_a_hash_of_the_session_token(archive: Archive) -> None:
    token = archive.start_session("ann")
    with archive.engine.connect() as connection:
        stored = connection.execute(select(curator_sessions.c.token_sha256)).scalars().all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_list_curators_counts_open_sessions(archive: Archive) -> None:
    archive.add_curator("bob", "another password")
    archive.start_session("ann")
    archive.start_session("ann")
    assert [(c.name, c.sessions) for c in archive.list_curators()] == [("ann", 2), ("bob", 0)]


def test_removing_an_unknown_curator_says_who_exists(archive: Archive) -> None:
    with pytest.raises(ArchiveError, match="no curator 'zoe'.*list-curators"):
        archive.remove_curator("zoe")


def test_cli_remove_curator_ends_its_sessions_and_list_curators_shows_who_is_left(
    capsys: pytest.CaptureFixture[str], archive: Archive, data_dir: Path
) -> None:
    archive.add_curator("bob", "another password")
    token = archive.start_session("ann")
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "archive", "remove-curator", "ann")
    assert code == 0 and out.strip() == "removed curator ann (1 session ended)"
    assert archive.session_curator(token) is None
    code, out, _ = run_cli(capsys, "--data-dir", str(data_dir), "archive", "list-curators")
    assert code == 0
    assert re.fullmatch(r"bob\tsince \d{4}-\d\d-\d\d \d\d:\d\d UTC\t0 sessions\n", out)


def test_cli_remove_unknown_curator_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], archive: Archive, data_dir: Path
) -> None:
    code, _, err = run_cli(capsys, "--data-dir", str(data_dir), "archive", "remove-curator", "zoe")
    assert code == 2
    assert err == "error: no curator 'zoe'; `dreamdraw archive list-curators` shows them\n"


def test_an_archive_of_the_first_schema_gains_sessions_and_keeps_its_curators(
    tmp_path: Path,
) -> None:
    from alembic import command
    from dreamdraw.archive.database import _alembic_config, create_archive_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_archive_engine(url, ArchiveSettings())
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "INSERT INTO curators VALUES ('ann', 'x', '2026-11-30 10:00:00.000000')"
        )
    engine.dispose()
    with open_archive(tmp_path, settings=ArchiveSettings(url=url)) as archive:
        assert [c.name for c in archive.list_curators()] == ["ann"]
        assert archive.session_curator(archive.start_session("ann")) == "ann"
