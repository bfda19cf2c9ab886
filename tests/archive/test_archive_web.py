"""The curator web app over HTTP: pages, blobs, login, CSRF, curator actions, public mode, API."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dreamdraw.archive import (
    Archive,
    ArchiveSettings,
    Consent,
    Record,
    create_app,
    export_records,
    open_archive,
)
from fastapi.testclient import TestClient

from tests.archive.archive_samples import add_dream, drawing_png

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty archive with curator ann, made once and copied for every test."""
    folder = tmp_path_factory.mktemp("template") / "data"
    with open_archive(folder) as archive:
        archive.add_curator("ann", PASSWORD)
    return folder


@pytest.fixture
def archive(template_dir: Path, data_dir: Path) -> Iterator[Archive]:
    shutil.copytree(template_dir, data_dir)
    archive = open_archive(data_dir, settings=ArchiveSettings(page_size=3))
    yield archive
    archive.close()


@pytest.fixture
def record(archive: Archive) -> Record:
    record = add_dream(
        archive,
        "ein Wal flog über Berlin",
        seed=4,
        language="de",
        english="a whale flew over Berlin",
    )
    return archive.attach_analysis(
        record.id,
        {"alignment": {"cosine": 0.27}},
        cluster="lost_in_translation",
        confidence=0.64,
        rationale="the drawing scores higher for 'wall' than for 'whale'",
        evidence={"clip": 0.27, "homonym_gain": 0.05},
        clip_score=0.27,
        figures={"fixlip": drawing_png(40)},
    )


def _client(archive: Archive, public: bool = False) -> TestClient:
    return TestClient(
        create_app(archive, public=public, secret="test-secret"), base_url="https://testserver"
    )


@pytest.fixture
def client(archive: Archive) -> TestClient:
    return _client(archive)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "page has no CSRF token"
    return match.group(1)


def _login(client: TestClient) -> str:
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login",
        data={"name": "ann", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return _csrf(client.get("/").text)


def test_gallery_shows_thumbnails_newest_first(archive: Archive, client: TestClient) -> None:
    old = add_dream(archive, "an old dream", seed=1)
    new = add_dream(archive, "a new dream", seed=2)
    page = client.get("/").text
    assert page.index("a new dream") < page.index("an old dream")
    assert f'src="/blobs/{new.blobs["thumbnail"]}"' in page
    assert f'href="/records/{old.id}"' in page


def test_gallery_is_paginated_keeping_the_filters(archive: Archive, client: TestClient) -> None:
    for i in range(7):
        add_dream(archive, f"ocean dream {i}", seed=i)
    first = client.get("/?q=ocean").text
    assert "page 1 of 3" in first
    assert 'href="/?q=ocean&amp;page=2"' in first
    last = client.get("/?q=ocean&page=3").text
    assert "ocean dream 0" in last and "ocean dream 1" not in last


def test_search_box_filters_the_gallery(
    archive: Archive, client: TestClient, record: Record
) -> None:
    add_dream(archive, "a forest of glass", seed=9)
    page = client.get("/", params={"q": "whale"}).text
    assert "ein Wal flog" in page and "forest of glass" not in page
    assert "1 dream<" in page


def test_cluster_and_date_filters_apply(
    archive: Archive, client: TestClient, record: Record
) -> None:
    add_dream(archive, "a forest of glass", seed=9)
    page = client.get("/", params={"cluster": "lost_in_translation"}).text
    assert "ein Wal flog" in page and "forest of glass" not in page
    assert "No dreams match" in client.get("/", params={"until": "2000-01-01"}).text
    assert client.get("/", params={"cluster": "bogus"}).status_code == 400


def test_detail_page_shows_drawing_dream_and_analysis(client: TestClient, record: Record) -> None:
    page = client.get(f"/records/{record.id}").text
    assert f'id="drawing" src="/blobs/{record.blobs["svg"]}"' in page
    assert "ein Wal flog über Berlin" in page
    assert "a whale flew over Berlin" in page
    assert "<dd>de</dd>" in page and "<dd>Tabakalera</dd>" in page
    assert "<dd>0.270</dd>" in page
    assert "lost in translation (64 % confidence)" in page
    assert "the drawing scores higher for &#39;wall&#39; than for &#39;whale&#39;" in page
    assert f'src="/blobs/{record.blobs["figure:fixlip"]}"' in page
    assert "<dd>pending</dd>" in page


def test_missing_record_is_404(client: TestClient) -> None:
    assert client.get("/records/999").status_code == 404


def test_blob_route_serves_files_as_sandboxed_images(client: TestClient, record: Record) -> None:
    response = client.get(f"/blobs/{record.blobs['svg']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/blobs/{record.blobs['png']}").content == drawing_png(4)


@pytest.mark.parametrize(
    "path",
    [
        "/blobs/..%2F..%2Farchive.db",
        "/blobs/..%2Farchive.db",
        "/blobs/%2e%2e%2f%2e%2e%2fsession.key",
        "/blobs/....%2F%2F....%2F%2Fetc%2Fpasswd",
        "/blobs/" + "A" * 64,
        "/blobs/" + "a" * 63,
        "/blobs/%00" + "a" * 63,
    ],
)
def test_blob_route_refuses_path_traversal(client: TestClient, record: Record, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert b"SQLite" not in response.content


def test_blob_not_used_by_any_record_is_not_served(archive: Archive, client: TestClient) -> None:
    sha = archive.put_blob(b"secret bytes that no record names")
    assert client.get(f"/blobs/{sha}").status_code == 404


MUTATIONS = [
    ("/records/{id}/label", {"label": "clear_concept"}),
    ("/records/{id}/hide", {"hidden": "1"}),
    ("/records/{id}/delete", {"confirm": "yes"}),
    ("/export", {"format": "csv"}),
    ("/logout", {}),
]


@pytest.mark.parametrize(("path", "data"), MUTATIONS)
def test_mutating_routes_answer_401_without_login(
    archive: Archive, client: TestClient, record: Record, path: str, data: dict[str, str]
) -> None:
    token = _csrf(client.get("/login").text)
    response = client.post(path.format(id=record.id), data={**data, "csrf_token": token})
    assert response.status_code == 401
    assert archive.get(record.id) == record


@pytest.mark.parametrize(("path", "data"), MUTATIONS)
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_mutating_routes_answer_403_without_a_valid_csrf_token(
    archive: Archive,
    client: TestClient,
    record: Record,
    path: str,
    data: dict[str, str],
    token: str | None,
) -> None:
    _login(client)
    form = dict(data) if token is None else {**data, "csrf_token": token}
    response = client.post(path.format(id=record.id), data=form)
    assert response.status_code == 403
    assert archive.get(record.id) == record


def test_login_without_csrf_token_is_403(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"name": "ann", "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_is_refused(client: TestClient) -> None:
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"name": "ann", "password": "nope nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "wrong name or password" in response.text
    assert "Log out" not in client.get("/").text


def test_session_cookie_is_httponly_secure_and_samesite_strict(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie


def test_a_forged_session_cookie_is_ignored(client: TestClient, record: Record) -> None:
    client.cookies.set(
        "dreamdraw_session", "eyJjdXJhdG9yIjoiYW5uIn0.forged.sig", domain="testserver"
    )
    response = client.post(f"/records/{record.id}/hide", data={"hidden": "1", "csrf_token": "x"})
    assert response.status_code == 401


def test_curator_relabels_and_the_audit_log_names_them(
    archive: Archive, client: TestClient, record: Record
) -> None:
    token = _login(client)
    response = client.post(
        f"/records/{record.id}/label", data={"label": "indeterminacy", "csrf_token": token}
    )
    assert response.status_code == 200
    assert archive.get(record.id).label == "indeterminacy"
    assert archive.audit_log(record.id)[0].actor == "ann"
    assert "ann: relabel" in response.text


def test_curator_hides_and_shows_again(
    archive: Archive, client: TestClient, record: Record
) -> None:
    token = _login(client)
    client.post(f"/records/{record.id}/hide", data={"hidden": "1", "csrf_token": token})
    assert archive.get(record.id).hidden
    client.post(f"/records/{record.id}/hide", data={"hidden": "0", "csrf_token": token})
    assert not archive.get(record.id).hidden


def test_delete_needs_the_confirmation_form(
    archive: Archive, client: TestClient, record: Record
) -> None:
    token = _login(client)
    unconfirmed = client.post(f"/records/{record.id}/delete", data={"csrf_token": token})
    assert "Delete dream" in unconfirmed.text
    assert archive.get(record.id)
    client.post(f"/records/{record.id}/delete", data={"confirm": "yes", "csrf_token": token})
    assert archive.count() == 0


def test_login_gives_a_new_csrf_token(client: TestClient) -> None:
    before = _csrf(client.get("/login").text)
    after = _login(client)
    assert before != after


def test_hidden_records_show_only_to_curators(
    archive: Archive, client: TestClient, record: Record
) -> None:
    archive.hide(record.id, actor="ann")
    assert "ein Wal" not in client.get("/").text
    assert client.get(f"/records/{record.id}").status_code == 404
    _login(client)
    assert "ein Wal" in client.get("/").text
    assert client.get(f"/records/{record.id}").status_code == 200


def test_public_mode_never_shows_hidden_records(archive: Archive, record: Record) -> None:
    visible = add_dream(archive, "a visible dream", seed=11)
    archive.hide(record.id, actor="ann")
    public = _client(archive, public=True)
    assert "ein Wal" not in public.get("/").text and "a visible dream" in public.get("/").text
    assert public.get(f"/records/{record.id}").status_code == 404
    assert public.get(f"/api/records/{record.id}").status_code == 404
    assert [r["id"] for r in public.get("/api/records").json()["records"]] == [visible.id]
    assert public.get(f"/blobs/{record.blobs['figure:fixlip']}").status_code == 404


def test_public_mode_leaves_out_records_without_public_consent(archive: Archive) -> None:
    private = add_dream(archive, "a private dream", seed=12, consent=Consent(public=False))
    public = _client(archive, public=True)
    assert "a private dream" not in public.get("/").text
    assert public.get(f"/records/{private.id}").status_code == 404


@pytest.mark.parametrize(
    ("path", "data"), [*MUTATIONS, ("/login", {"name": "ann", "password": PASSWORD})]
)
def test_public_mode_is_read_only(
    archive: Archive, record: Record, path: str, data: dict[str, str]
) -> None:
    public = _client(archive, public=True)
    assert public.post(path.format(id=record.id), data=data).status_code == 403
    assert public.get("/login").status_code == 403
    assert "set-cookie" not in public.get("/").headers
    assert archive.get(record.id) == record


def test_api_lists_records_with_filters_and_pagination(
    archive: Archive, client: TestClient, record: Record
) -> None:
    for i in range(4):
        add_dream(archive, f"api dream {i}", seed=20 + i)
    body = client.get("/api/records", params={"q": "api", "per_page": 3, "page": 2}).json()
    assert body["total"] == 4 and body["page"] == 2
    assert [r["dream"] for r in body["records"]] == ["api dream 0"]
    by_cluster = client.get("/api/records", params={"cluster": "lost_in_translation"}).json()
    assert [r["id"] for r in by_cluster["records"]] == [record.id]


def test_api_record_has_texts_analysis_and_image_urls(client: TestClient, record: Record) -> None:
    body = client.get(f"/api/records/{record.id}").json()
    assert body["dream"] == "ein Wal flog über Berlin"
    assert body["english"] == "a whale flew over Berlin"
    assert body["cluster"] == "lost_in_translation"
    assert body["cluster_confidence"] == pytest.approx(0.64)
    assert body["analysis"] == {"alignment": {"cosine": 0.27}}
    assert body["images"]["png"] == f"/blobs/{record.blobs['png']}"
    assert client.get("/api/records/999").status_code == 404


def test_openapi_documents_the_json_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/records", "/api/records/{record_id}"} <= set(schema["paths"])
    assert "RecordOut" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_curator_exports_the_current_filter_as_csv(
    archive: Archive, client: TestClient, record: Record
) -> None:
    add_dream(archive, "not in the export", seed=30)
    token = _login(client)
    response = client.post("/export", data={"format": "csv", "q": "whale", "csrf_token": token})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["dream"] for row in rows] == ["ein Wal flog über Berlin"]


@pytest.mark.parametrize("format", ["csv", "jsonl", "parquet"])
def test_the_web_export_holds_the_same_records_as_the_cli_export(
    archive: Archive, client: TestClient, tmp_path: Path, format: str
) -> None:
    add_dream(archive, "for research, not for the gallery", seed=31,
              consent=Consent(public=False, research=True))  # fmt: skip
    add_dream(archive, "for the gallery, not for research", seed=32,
              consent=Consent(public=True, research=False))  # fmt: skip
    hidden = add_dream(archive, "hidden by a curator", seed=33)
    archive.hide(hidden.id, actor="ann")
    add_dream(archive, "an ordinary dream", seed=34)
    token = _login(client)
    response = client.post("/export", data={"format": format, "csrf_token": token})
    if format == "parquet":
        web = pq.read_table(io.BytesIO(response.content)).column("dream").to_pylist()
    elif format == "csv":
        web = [row["dream"] for row in csv.DictReader(io.StringIO(response.text))]
    else:
        web = [json.loads(line)["dream"] for line in response.text.splitlines()]
    cli = [row["dream"] for row in csv.DictReader(io.StringIO(_cli_export(archive, tmp_path)))]
    assert web == cli == ["for research, not for the gallery", "an ordinary dream"]


def _cli_export(archive: Archive, tmp_path: Path) -> str:
    export_records(archive, "csv", tmp_path / "cli")
    return (tmp_path / "cli" / "records.csv").read_text(encoding="utf-8")


def test_curator_exports_parquet(archive: Archive, client: TestClient, record: Record) -> None:
    token = _login(client)
    response = client.post("/export", data={"format": "parquet", "csrf_token": token})
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("cluster").to_pylist() == ["lost_in_translation"]


def test_pages_and_api_work_on_postgresql_too(any_archive: Archive) -> None:
    record = add_dream(any_archive, "a lighthouse in the desert", seed=5, language="es")
    any_archive.attach_analysis(record.id, {}, cluster="indeterminacy", confidence=0.5)
    client = _client(any_archive)
    assert "a lighthouse in the desert" in client.get("/", params={"q": "lighthouse des"}).text
    assert (
        "indeterminacy and confusion (50 % confidence)" in client.get(f"/records/{record.id}").text
    )
    body = client.get("/api/records", params={"language": "es", "since": "2000-01-01"}).json()
    assert [r["id"] for r in body["records"]] == [record.id]


def test_login_over_plain_http_explains_the_secure_cookie(archive: Archive) -> None:
    client = TestClient(create_app(archive, secret="s"), base_url="http://archive.example")
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert "archive.secure_cookies = false" in response.text


def test_secure_cookies_can_be_turned_off_for_plain_http(
    template_dir: Path, data_dir: Path
) -> None:
    shutil.copytree(template_dir, data_dir)
    archive = open_archive(data_dir, settings=ArchiveSettings(secure_cookies=False))
    client = TestClient(create_app(archive, secret="s"), base_url="http://archive.example")
    _login(client)
    assert "curator: <strong>ann</strong>" in client.get("/").text
