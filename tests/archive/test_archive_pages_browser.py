"""The archive's pages in Chromium at desktop (1280 px) and phone (390 px) width: screenshots
under test-artifacts/, no sideways scrolling, figures at full width, one designed look."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dreamdraw.archive import Archive, Record, create_app
from playwright.sync_api import Browser, Page

from tests.archive.archive_samples import LiveServer, add_dream, drawing_png, evidence, fixlip

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(params=list(WIDTHS))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTHS[request.param], "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def whale(sqlite_archive: Archive) -> Record:
    """An analysed dream whose FIXLIP surrogate fits badly (R² −1.43), beside two others."""
    add_dream(sqlite_archive, "a forest of glass trees where every leaf rings", seed=2)
    record = add_dream(
        sqlite_archive,
        "ein Wal flog über Berlin und sang die Namen aller Straßen",
        seed=1,
        language="de",
        english="a whale flew over Berlin and sang the names of all the streets",
    )
    record = sqlite_archive.attach_analysis(
        record.id,
        {"model_id": "ViT-B-32", "model_is_random": False, "fixlip": fixlip(-1.43, 32768)},
        cluster="lost_in_translation",
        confidence=0.64,
        rationale="The drawing scores higher for 'wall' than for 'whale': a homophone.",
        evidence=evidence(main_word="whale", speech_logprob=-0.31),
        clip_score=0.27,
        figures={
            "fixlip_words": drawing_png(40, size=(1500, 600)),
            "concepts": drawing_png(41, size=(1200, 600)),
        },
    )
    add_dream(sqlite_archive, "I was late for an exam in a building without doors", seed=3)
    return record


@pytest.fixture
def server(sqlite_archive: Archive, whale: Record) -> Iterator[LiveServer]:
    with LiveServer(create_app(sqlite_archive, secret="browser-test")) as live:
        yield live


def _viewport_name(page: Page) -> str:
    return "desktop" if page.viewport_size["width"] >= 1000 else "phone"


def _assert_no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"page is {overflow[0]} px wide in a {overflow[1]} px window"


def _content_width(page: Page, selector: str) -> float:
    """The width inside the padding of the first element matching selector (CSS px)."""
    return page.locator(selector).first.evaluate(
        """e => { const s = getComputedStyle(e);
                 return e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }"""
    )


def test_gallery_fits_the_screen(page: Page, server: LiveServer, artifacts: Path) -> None:
    page.goto(server.url + "/")
    assert page.locator("li.card").count() == 3
    assert page.locator("li.card img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    _assert_no_sideways_scrolling(page)
    page.screenshot(path=artifacts / f"gallery-{_viewport_name(page)}.png", full_page=True)


def test_detail_figures_span_the_page(
    page: Page, server: LiveServer, whale: Record, artifacts: Path
) -> None:
    page.goto(f"{server.url}/records/{whale.id}")
    main_width = _content_width(page, "main")
    figures = page.locator(".analysis-figure")
    assert figures.count() == 2
    for k in range(figures.count()):
        figure = figures.nth(k)
        image = figure.locator("img")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        width = image.evaluate("img => img.getBoundingClientRect().width")
        inner = figure.evaluate(
            """e => { const s = getComputedStyle(e);
                     return e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }"""
        )
        assert width >= 0.9 * inner, f"figure image {width:.0f} px in a {inner:.0f} px figure"
        assert width >= 0.8 * main_width, (
            f"figure image {width:.0f} px on a {main_width:.0f} px page"
        )
    warning = page.locator("#figure-fixlip_words .warning")
    assert warning.is_visible() and "R² −1.43" in warning.inner_text()
    _assert_no_sideways_scrolling(page)
    page.screenshot(path=artifacts / f"detail-{_viewport_name(page)}.png", full_page=True)


def test_a_figure_opens_its_full_resolution_file(
    page: Page, server: LiveServer, whale: Record
) -> None:
    page.goto(f"{server.url}/records/{whale.id}")
    with page.expect_navigation() as navigation:
        page.click("#figure-fixlip_words a.open")
    response = navigation.value
    assert response is not None and response.headers["content-type"] == "image/png"
    assert response.body() == drawing_png(40, size=(1500, 600))


def test_phone_width_stacks_the_drawing_above_the_facts(
    page: Page, server: LiveServer, whale: Record
) -> None:
    page.goto(f"{server.url}/records/{whale.id}")
    drawing = page.locator("figure.drawing").bounding_box()
    facts = page.locator("section.facts").bounding_box()
    assert drawing is not None and facts is not None
    if _viewport_name(page) == "phone":
        assert facts["y"] >= drawing["y"] + drawing["height"]
    else:
        assert facts["x"] >= drawing["x"] + drawing["width"]


def test_login_is_a_styled_card_in_the_middle(
    page: Page, server: LiveServer, artifacts: Path
) -> None:
    page.goto(server.url + "/login")
    form = page.locator("form.login").bounding_box()
    assert form is not None
    middle = form["x"] + form["width"] / 2
    assert abs(middle - page.viewport_size["width"] / 2) <= 2
    button = page.locator("form.login button")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(47, 75, 143)"
    assert page.locator("form.login").evaluate("f => getComputedStyle(f).borderRadius") == "10px"
    _assert_no_sideways_scrolling(page)
    page.screenshot(path=artifacts / f"login-{_viewport_name(page)}.png", full_page=True)
