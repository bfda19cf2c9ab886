"""Numbers from the web are bounded (404/422, never 500); blob answers never leak or lie."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dreamdraw.archive import (
    Archive,
    Record,
    RecordFilter,
    RecordNotFound,
    create_app,
    open_archive,
)
from fastapi.testclient import TestClient

from tests.archive.archive_samples import add_dream

PASSWORD = "correct horse battery"
HUGE = "99999999999999999999"


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    if request.param == "sqlite":
        archive = open_archive(tmp_path / "data")
    else:
        archive = open_archive(request.getfixturevalue("postgres_url"), blob_dir=tmp_path / "b")
    archive.add_curator("ann", PASSWORD)
    yield archive
    archive.close()


@pytest.fixture
def record(archive: Archive) -> Record:
    return add_dream(archive, "a whale over Berlin", seed=2)


def _client(archive: Archive) -> TestClient:
    return TestClient(
        create_app(archive, secret="s"),
        base_url="https://testserver",
        raise_server_exceptions=False,
    )


def _logged_in(archive: Archive) -> tuple[TestClient, str]:
    client = _client(archive)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    client.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token})
    return client, re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)[1]


OUT_OF_RANGE_GETS = [
    f"/records/{HUGE}",
    f"/api/records/{HUGE}",
    "/records/-1",
    "/api/records/0",
    f"/records/{2**31}",
    f"/api/records/{2**63}",
    f"/records/{HUGE}/delete",
    "/?page=" + str(10**20),
    "/?page=-5",
    "/api/records?page=" + str(10**20),
    "/api/records?per_page=" + str(10**20),
]


@pytest.mark.parametrize("path", OUT_OF_RANGE_GETS)
def test_an_out_of_range_number_in_a_get_is_404_or_422(
    archive: Archive, record: Record, path: str
) -> None:
    client, _ = _logged_in(archive)
    assert client.get(path).status_code in (404, 422)


@pytest.mark.parametrize("action", ["label", "hide", "delete"])
def test_an_out_of_range_id_in_a_curator_action_is_404_or_422(
    archive: Archive, record: Record, action: str
) -> None:
    client, token = _logged_in(archive)
    for record_id in (HUGE, str(2**31), "-1"):
        response = client.post(
            f"/records/{record_id}/{action}",
            data={"label": "clear_concept", "confirm": "yes", "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code in (404, 422)
    assert archive.get(record.id) == record


def test_a_page_past_the_end_is_an_empty_page_not_an_error(
    archive: Archive, record: Record
) -> None:
    response = _client(archive).get("/api/records", params={"page": 1_000_000})
    assert response.status_code == 200
    assert response.json()["records"] == [] and response.json()["total"] == 1


@pytest.mark.parametrize(
    "params", [{"until": "9999-12-31"}, {"since": "0001-01-01"}, {"until": "0001-01-01"}]
)
def test_dates_at_the_ends_of_the_calendar_filter_without_error(
    archive: Archive, record: Record, params: dict[str, str]
) -> None:
    response = _client(archive).get("/api/records", params=params)
    assert response.status_code == 200
    expected = 0 if params.get("until") == "0001-01-01" else 1
    assert response.json()["total"] == expected
    assert _client(archive).get("/", params=params).status_code == 200


def test_a_bounds_error_on_a_page_is_an_html_page(archive: Archive, record: Record) -> None:
    response = _client(archive).get(f"/records/{HUGE}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "record id" in response.text


def test_the_store_answers_an_id_out_of_range_as_not_found(archive: Archive) -> None:
    for record_id in (0, -1, 2**31, 10**20):
        with pytest.raises(RecordNotFound):
            archive.get(record_id)
        with pytest.raises(RecordNotFound):
            archive.relabel(record_id, "clear_concept", actor="ann")


def test_the_store_answers_a_page_past_the_end_with_no_records(
    archive: Archive, record: Record
) -> None:
    page = archive.list(RecordFilter(), page=10**20)
    assert page.records == [] and page.total == 1


def test_a_missing_blob_is_404_and_names_no_server_path(archive: Archive, record: Record) -> None:
    sha = record.blobs["thumbnail"]
    archive.blobs.path(sha).unlink()
    for client in (_client(archive), _logged_in(archive)[0]):
        response = client.get(f"/blobs/{sha}")
        assert response.status_code == 404
        assert str(archive.blobs.root) not in response.text
        assert "/" + archive.blobs.root.name not in response.text


def test_a_blob_whose_bytes_fail_their_hash_is_not_served(archive: Archive, record: Record) -> None:
    sha = record.blobs["png"]
    archive.blobs.path(sha).write_bytes(b"\x89PNG tampered bytes")
    response = _client(archive).get(f"/blobs/{sha}")
    assert response.status_code == 404
    assert b"tampered" not in response.content
    assert str(archive.blobs.root) not in response.text
