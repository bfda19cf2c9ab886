"""Hostile dream text is stored exactly and always rendered escaped."""

from __future__ import annotations

import pytest
from dreamdraw.archive import Archive, RecordFilter, create_app
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.archive.archive_samples import add_dream

HOSTILE = {
    "html": "<script>alert('x')</script><img src=x onerror=\"alert(1)\"><b>bold</b>&amp;",
    "sql": "Robert'); DROP TABLE records; -- \" OR 1=1; SELECT * FROM curators",
    "long": ("the sea climbed the stairs and sang " * 3000)[:100_000],
    "control": "bell\x07 nul\x00 esc\x1b[31m red tab\t cr\r lf\n del\x7f end",
    "emoji": "I rode a 🐋 over 🌊 with my family 👩‍👩‍👧 under the 🇪🇸 flag",
    "rtl": "حلمت بحوت يطير \u202ereversed\u202c שלום עולם",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_text_is_stored_exactly(any_archive: Archive, kind: str) -> None:
    text = HOSTILE[kind]
    record = add_dream(any_archive, text, english=text + " (en)")
    got = any_archive.get(record.id)
    assert got.dream == text
    assert got.english == text + " (en)"
    assert got.transcript["segments"][0]["text"] == text


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_text_is_rendered_escaped(sqlite_archive: Archive, kind: str) -> None:
    text = HOSTILE[kind]
    record = add_dream(sqlite_archive, text)
    client = TestClient(create_app(sqlite_archive), base_url="https://testserver")
    detail = client.get(f"/records/{record.id}").text
    assert str(escape(text)) in detail
    gallery = client.get("/").text
    for page in (detail, gallery):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b>bold" not in page
    assert client.get(f"/api/records/{record.id}").json()["dream"] == text


def test_search_with_hostile_text_finds_the_record(any_archive: Archive) -> None:
    record = add_dream(any_archive, HOSTILE["sql"])
    found = any_archive.list(RecordFilter(text="Robert DROP TABLE")).records
    assert [r.id for r in found] == [record.id]
    assert any_archive.list(RecordFilter(text="Robert'); DROP")).total == 1
