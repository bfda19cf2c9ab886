"""A writer process and the web server on the same SQLite archive at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import httpx
from dreamdraw.archive import Archive, check_archive, create_app, open_archive

from tests.archive.archive_samples import LiveServer, add_dream

RECORDS = 25


def _writer(data_dir: str) -> None:
    with open_archive(data_dir) as archive:
        for i in range(RECORDS):
            add_dream(archive, f"concurrent dream {i}", seed=i)


def test_pages_stay_consistent_while_another_process_writes(
    sqlite_archive: Archive, data_dir: Path
) -> None:
    writer = multiprocessing.get_context("fork").Process(target=_writer, args=(str(data_dir),))
    totals: list[int] = []
    with (
        LiveServer(create_app(sqlite_archive)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        writer.start()
        while True:
            done = not writer.is_alive()
            api = http.get("/api/records", params={"per_page": 5})
            gallery = http.get("/", params={"q": "concurrent"})
            assert api.status_code == 200 and gallery.status_code == 200
            body = api.json()
            totals.append(body["total"])
            for record in body["records"]:
                assert http.get(record["images"]["thumbnail"]).status_code == 200
            if done:
                break
        writer.join()
    assert writer.exitcode == 0
    assert totals == sorted(totals)
    assert totals[-1] == RECORDS
    assert len(set(totals)) > 2
    assert check_archive(sqlite_archive).ok
