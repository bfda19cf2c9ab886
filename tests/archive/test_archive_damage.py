"""A damaged or emptied database is refused or reported in one line, never a traceback."""

from __future__ import annotations

import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from dreamdraw.archive import ArchiveError, ArchiveSettings, check_archive, open_archive

from tests.archive.archive_samples import add_dream
from tests.cli_runner import run_cli

PAGE = 4096
DAMAGE = ["zero bytes", "garbage header", "truncated", "garbage pages", "garbage in pages"]


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of 30 long dreams (many database pages), made once per module."""
    folder = tmp_path_factory.mktemp("template") / "data"
    with open_archive(folder) as archive:
        for n in range(30):
            add_dream(archive, f"dream {n}: " + "the sea climbed the stairs " * 40, seed=n)
    return folder


def _pages(db: Path, table: str = "records") -> list[int]:
    """The leaf pages of `table` in the SQLite file `db`."""
    with closing(sqlite3.connect(db)) as connection:
        query = "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'"
        return sorted(page for (page,) in connection.execute(query, (table,)))


def damage(db: Path, kind: str) -> None:
    """Damage the SQLite file `db` the way a bad disk, copy or program would."""
    size = db.stat().st_size
    pages = _pages(db)[1:3]
    rnd = random.Random(kind)
    with db.open("r+b") as handle:
        if kind == "zero bytes":
            handle.truncate(0)
        elif kind == "garbage header":
            handle.write(rnd.randbytes(100))
        elif kind == "truncated":
            handle.truncate(size // 2)
        else:
            keep = 0 if kind == "garbage pages" else PAGE // 2
            for page in pages:
                handle.seek((page - 1) * PAGE + keep)
                handle.write(rnd.randbytes(PAGE - keep))


@pytest.fixture
def copy_dir(template_dir: Path, data_dir: Path) -> Path:
    shutil.copytree(template_dir, data_dir)
    return data_dir


def test_an_empty_database_beside_the_drawings_is_refused_not_started_afresh(
    copy_dir: Path,
) -> None:
    damage(copy_dir / "archive.db", "zero bytes")
    for _ in range(2):
        with pytest.raises(ArchiveError, match="is empty but the blob folder .* holds drawings"):
            open_archive(copy_dir)
    with closing(sqlite3.connect(copy_dir / "archive.db")) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_a_missing_database_beside_the_drawings_is_refused(copy_dir: Path) -> None:
    (copy_dir / "archive.db").unlink()
    with pytest.raises(ArchiveError, match="restore the database from a backup"):
        open_archive(copy_dir)


def test_a_new_archive_beside_an_empty_blob_folder_opens(tmp_path: Path) -> None:
    (tmp_path / "data" / "blobs" / ".tmp").mkdir(parents=True)
    with open_archive(tmp_path / "data") as archive:
        assert archive.count() == 0


# `serve` reads only the schema before it starts; damaged record pages answer per request.
ONE_LINE_CASES = [(kind, command) for kind in DAMAGE for command in ("list", "export")] + [
    (kind, "serve") for kind in ("zero bytes", "garbage header", "truncated")
]


@pytest.mark.parametrize(("kind", "command"), ONE_LINE_CASES)
def test_every_command_on_a_damaged_database_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], copy_dir: Path, kind: str, command: str
) -> None:
    damage(copy_dir / "archive.db", kind)
    args = {"list": ["list"], "serve": ["serve"]}.get(
        command, ["export", "--format", "csv", "--out", str(copy_dir.parent / "export")]
    )
    code, out, err = run_cli(capsys, "--data-dir", str(copy_dir), "archive", *args)
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: the archive database ")
    assert "restore" in err and "Traceback" not in out + err


@pytest.mark.parametrize("kind", ["zero bytes", "garbage header", "truncated"])
def test_check_refuses_a_database_it_cannot_open_in_one_line(
    capsys: pytest.CaptureFixture[str], copy_dir: Path, kind: str
) -> None:
    damage(copy_dir / "archive.db", kind)
    code, _, err = run_cli(capsys, "--data-dir", str(copy_dir), "archive", "check", "--repair")
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: ")
    assert not (copy_dir / "blobs-orphans").exists()


@pytest.mark.parametrize("kind", ["garbage pages", "garbage in pages"])
def test_check_reports_damaged_pages_one_line_per_problem(
    capsys: pytest.CaptureFixture[str], copy_dir: Path, kind: str
) -> None:
    damage(copy_dir / "archive.db", kind)
    code, out, err = run_cli(capsys, "--data-dir", str(copy_dir), "archive", "check", "--repair")
    assert code == 1 and err == ""
    problems = [line for line in out.splitlines() if line.startswith("database damage: ")]
    assert problems and all(len(line) < 200 for line in problems)
    assert "restore it from a backup" in out
    assert not (copy_dir / "blobs-orphans").exists()


def test_check_finds_the_page_problems_sqlite_names(copy_dir: Path) -> None:
    damage(copy_dir / "archive.db", "garbage in pages")
    with open_archive(copy_dir) as archive:
        report = check_archive(archive)
    assert not report.ok and report.unresolved
    assert any("invalid page number" in problem for problem in report.database)


def test_a_healthy_database_has_no_database_problems(copy_dir: Path) -> None:
    with open_archive(copy_dir) as archive:
        report = check_archive(archive)
    assert report.database == [] and report.ok


def test_the_web_app_answers_503_over_damaged_pages_naming_no_path(copy_dir: Path) -> None:
    from dreamdraw.archive import create_app
    from fastapi.testclient import TestClient

    damage(copy_dir / "archive.db", "garbage pages")
    with open_archive(copy_dir, settings=ArchiveSettings(page_size=100)) as archive:
        client = TestClient(create_app(archive), raise_server_exceptions=False)
        for path in ("/", "/api/records?per_page=100"):
            response = client.get(path)
            assert response.status_code == 503
            assert str(copy_dir) not in response.text


def test_a_session_the_damaged_database_cannot_read_counts_as_logged_out(
    copy_dir: Path,
) -> None:
    from dreamdraw.archive import create_app
    from dreamdraw.archive.web.session import COOKIE_NAME, SessionCodec
    from fastapi.testclient import TestClient

    with open_archive(copy_dir) as archive:
        archive.add_curator("ann", "correct horse battery")
        token = archive.start_session("ann")
    db = copy_dir / "archive.db"
    (root,) = _pages(db, "curator_sessions") or [0]
    with db.open("r+b") as handle:
        handle.seek((root - 1) * PAGE)
        handle.write(random.Random(3).randbytes(PAGE))
    with open_archive(copy_dir) as archive:
        client = TestClient(
            create_app(archive, secret="s"),
            base_url="https://testserver",
            raise_server_exceptions=False,
        )
        client.cookies.set(COOKIE_NAME, SessionCodec("s", 3600).dumps({"csrf": "c", "sid": token}))
        response = client.get("/api/records")
        assert response.status_code == 200
        assert response.json()["total"] == 30  # public view: the session did not count
