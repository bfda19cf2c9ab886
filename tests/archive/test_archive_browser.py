"""The web app in a real browser: Debian's Chromium driven by Playwright (no JavaScript needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dreamdraw.archive import Archive, Record, create_app
from playwright.sync_api import Browser, Page

from tests.archive.archive_samples import LiveServer, add_dream

PASSWORD = "correct horse battery"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def seeded(sqlite_archive: Archive) -> dict[str, Record]:
    sqlite_archive.add_curator("ann", PASSWORD)
    whale = add_dream(
        sqlite_archive,
        "ein Wal flog über Berlin",
        seed=1,
        language="de",
        english="a whale flew over Berlin",
    )
    sqlite_archive.attach_analysis(
        whale.id,
        {},
        cluster="lost_in_translation",
        confidence=0.64,
        rationale="the drawing scores higher for 'wall' than for 'whale'",
        clip_score=0.27,
    )
    forest = add_dream(sqlite_archive, "a forest of glass trees <script>alert(1)</script>", seed=2)
    secret = add_dream(sqlite_archive, "a dream the curator hid", seed=3)
    sqlite_archive.hide(secret.id, actor="ann")
    return {"whale": whale, "forest": forest, "secret": secret}


@pytest.fixture
def server(sqlite_archive: Archive, seeded: dict[str, Record]) -> Iterator[LiveServer]:
    with LiveServer(create_app(sqlite_archive, secret="browser-test")) as live:
        yield live


def test_gallery_loads_with_thumbnails(page: Page, server: LiveServer, artifacts: Path) -> None:
    page.goto(server.url + "/")
    cards = page.locator("li.card")
    assert cards.count() == 2
    assert page.locator("li.card img").first.evaluate("img => img.naturalWidth") > 0
    assert page.locator("li.card").first.inner_text().startswith("a forest of glass trees <script>")
    page.screenshot(path=artifacts / "gallery.png", full_page=True)


def test_search_filters_the_gallery(page: Page, server: LiveServer, artifacts: Path) -> None:
    page.goto(server.url + "/")
    page.fill("input[name=q]", "whale")
    page.click("button:has-text('Search')")
    page.wait_for_url("**/?q=whale*")
    assert page.locator("li.card").count() == 1
    assert "ein Wal flog" in page.locator("li.card").inner_text()
    page.screenshot(path=artifacts / "search.png", full_page=True)


def test_detail_page_shows_the_drawing(
    page: Page, server: LiveServer, seeded: dict[str, Record], artifacts: Path
) -> None:
    page.goto(server.url + "/")
    page.click(f"a[href='/records/{seeded['whale'].id}']")
    page.wait_for_url(f"**/records/{seeded['whale'].id}")
    drawing = page.locator("img#drawing")
    assert drawing.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#dream").inner_text() == "ein Wal flog über Berlin"
    assert "lost in translation (64 % confidence)" in page.locator("#cluster").inner_text()
    page.screenshot(path=artifacts / "detail.png", full_page=True)


def test_curator_logs_in_and_relabels(
    page: Page,
    server: LiveServer,
    sqlite_archive: Archive,
    seeded: dict[str, Record],
    artifacts: Path,
) -> None:
    whale = seeded["whale"]
    page.goto(server.url + "/")
    page.click("#login-link")
    page.fill("input[name=name]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("text=curator: ann")
    assert page.locator("li.card").count() == 3
    page.goto(f"{server.url}/records/{whale.id}")
    page.select_option("#label-select", "indeterminacy")
    page.click("#relabel")
    page.wait_for_selector("#label:has-text('indeterminacy and confusion')")
    assert sqlite_archive.get(whale.id).label == "indeterminacy"
    assert sqlite_archive.audit_log(whale.id)[0].actor == "ann"
    page.screenshot(path=artifacts / "relabelled.png", full_page=True)


def test_public_mode_hides_hidden_records(
    page: Page, sqlite_archive: Archive, seeded: dict[str, Record], artifacts: Path
) -> None:
    with LiveServer(create_app(sqlite_archive, public=True)) as public:
        page.goto(public.url + "/")
        text = page.locator("ul.gallery").inner_text()
        assert "ein Wal flog" in text
        assert "the curator hid" not in text
        assert page.locator("#login-link").count() == 0
        response = page.goto(f"{public.url}/records/{seeded['secret'].id}")
        assert response is not None and response.status == 404
        page.goto(public.url + "/")
        page.screenshot(path=artifacts / "public.png", full_page=True)
