"""The curator pages read well: figures open full size with their numbers, evidence in words."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from dreamdraw.archive import Archive, Record, create_app
from dreamdraw.archive.web.presentation import FIXLIP_MIN_R2, evidence_rows, format_value
from fastapi.testclient import TestClient

from tests.archive.archive_samples import add_dream, drawing_png, evidence, fixlip

PASSWORD = "correct horse battery"


def analysed(
    archive: Archive, *, r2: float | None = 0.73, stored_evidence: dict | None = None
) -> Record:
    record = add_dream(archive, "ein Wal flog über Berlin", seed=4, language="de")
    return archive.attach_analysis(
        record.id,
        {"model_id": "ViT-B-32", "model_is_random": False, "fixlip": fixlip(r2)},
        cluster="lost_in_translation",
        confidence=0.64,
        rationale="the drawing scores higher for 'wall' than for 'whale'",
        evidence=evidence() if stored_evidence is None else stored_evidence,
        clip_score=0.27,
        figures={"fixlip_words": drawing_png(40), "concepts": drawing_png(41)},
    )


def client(archive: Archive, *, public: bool = False) -> TestClient:
    return TestClient(
        create_app(archive, public=public, secret="test-secret"), base_url="https://testserver"
    )


def text_of(page: str, element_id: str) -> str:
    """The visible text inside the element with this id (tags dropped, spaces collapsed)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(figure|table|section)>', page, re.S)
    assert match, f"no element {element_id!r} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_every_figure_links_to_its_full_resolution_file(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive)
    page = client(sqlite_archive).get(f"/records/{record.id}").text
    for role in ("figure:fixlip_words", "figure:concepts"):
        sha = record.blobs[role]
        assert re.search(rf'<a href="/blobs/{sha}"[^>]*>\s*<img src="/blobs/{sha}"', page)
    full = client(sqlite_archive).get(f"/blobs/{record.blobs['figure:fixlip_words']}")
    assert full.content == drawing_png(40)


def test_the_drawing_links_to_its_full_size_file(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive)
    page = client(sqlite_archive).get(f"/records/{record.id}").text
    svg = record.blobs["svg"]
    assert re.search(rf'<a href="/blobs/{svg}"[^>]*>\s*<img id="drawing" src="/blobs/{svg}"', page)


def test_fixlip_figure_states_budget_p_and_r2(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive, r2=0.73)
    figure = text_of(
        client(sqlite_archive).get(f"/records/{record.id}").text, "figure-fixlip_words"
    )
    assert "Budget 4,096 coalitions" in figure
    assert "p 0.50" in figure
    assert "R² (held-out) 0.73" in figure
    assert "Do not read this map" not in figure


def test_fixlip_map_with_negative_r2_carries_a_plain_warning(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive, r2=-1.43)
    figure = text_of(
        client(sqlite_archive).get(f"/records/{record.id}").text, "figure-fixlip_words"
    )
    assert "R² (held-out) −1.43" in figure
    assert "Do not read this map" in figure and "R² −1.43, below 0.3" in figure


def test_fixlip_map_just_below_the_threshold_is_warned_about(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive, r2=FIXLIP_MIN_R2 - 0.01)
    page = client(sqlite_archive).get(f"/records/{record.id}").text
    assert "Do not read this map" in text_of(page, "figure-fixlip_words")


def test_fixlip_map_without_its_numbers_says_they_are_unknown(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a lighthouse", seed=5)
    sqlite_archive.attach_analysis(
        record.id, {}, cluster="clear_concept", figures={"fixlip": drawing_png(42)}
    )
    figure = text_of(client(sqlite_archive).get(f"/records/{record.id}").text, "figure-fixlip")
    assert "were not stored with it" in figure


def test_figures_of_a_random_model_say_they_mean_nothing(sqlite_archive: Archive) -> None:
    record = add_dream(sqlite_archive, "a lighthouse", seed=5)
    sqlite_archive.attach_analysis(
        record.id,
        {"model_id": "ViT-B-32", "model_is_random": True, "fixlip": fixlip(0.8)},
        cluster="clear_concept",
        figures={"concepts": drawing_png(43)},
    )
    figure = text_of(client(sqlite_archive).get(f"/records/{record.id}").text, "figure-concepts")
    assert "random-weight test model" in figure


def test_evidence_is_shown_in_words_with_units(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive)
    table = text_of(client(sqlite_archive).get(f"/records/{record.id}").text, "evidence")
    assert "Likeness of drawing and dream CLIP cosine, −1 to 1 0.271" in table
    assert "Reads as writing share of caption probability 7 %" in table
    for field in ("n_distractors", "writing_share", "best_other_margin", "speech_logprob"):
        assert field not in table


def test_evidence_integers_are_shown_as_integers(sqlite_archive: Archive) -> None:
    # JSON from older runs (and some databases) can give back 4.0 for the rank.
    record = analysed(sqlite_archive, stored_evidence=evidence(rank=4.0, n_distractors=30.0))
    table = text_of(client(sqlite_archive).get(f"/records/{record.id}").text, "evidence")
    assert "Rank of the dream among the texts compared 1 = the dream fits best 4 " in table
    assert "Other texts compared texts 30 " in table
    assert "4.000" not in table and "30.000" not in table


def test_absent_evidence_reads_not_measured_and_booleans_yes_or_no(
    sqlite_archive: Archive,
) -> None:
    record = analysed(sqlite_archive)
    table = text_of(client(sqlite_archive).get(f"/records/{record.id}").text, "evidence")
    assert "Main word of the dream not measured" in table
    assert "mean log-probability per token, 0 = certain not measured" in table
    assert "Main word carries the most attribution (FIXLIP) no" in table
    assert "Translated into English yes" in table
    for python_word in ("None", "False", "True"):
        assert python_word not in table


def test_unknown_evidence_fields_are_labelled_readably(sqlite_archive: Archive) -> None:
    rows = evidence_rows({"homonym_gain": 0.05, "rank": 2})
    assert [(r.label, r.value) for r in rows] == [
        ("Rank of the dream among the texts compared", "2"),
        ("Homonym gain", "0.050"),
    ]


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (4.0, "integer", "4"),
        (32768, "integer", "32,768"),
        (None, "cosine", "not measured"),
        (float("nan"), "cosine", "not measured"),
        ("", "text", "not measured"),
        (True, "yes/no", "yes"),
        (False, None, "no"),
        (-0.0123, "difference", "−0.012"),
        (0.456, "share", "46 %"),
    ],
)
def test_values_read_as_a_curator_expects(value: Any, kind: Any, shown: str) -> None:
    assert format_value(value, kind) == shown


def test_public_gallery_has_no_curator_label_filter(sqlite_archive: Archive) -> None:
    analysed(sqlite_archive)
    assert 'name="label"' in client(sqlite_archive).get("/").text
    public = client(sqlite_archive, public=True).get("/").text
    assert 'name="cluster"' in public
    assert 'name="label"' not in public and "curator label" not in public


def test_public_detail_page_has_no_evidence_table(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive)
    sqlite_archive.relabel(record.id, "indeterminacy", actor="ann")
    page = client(sqlite_archive, public=True).get(f"/records/{record.id}").text
    assert 'id="evidence"' not in page and "Likeness of drawing and dream" not in page
    assert "Curator label" not in page
    assert "R² (held-out)" in page  # the figures keep the numbers that qualify them


@pytest.mark.parametrize("path", ["/", "/records/{id}", "/login", "/records/999999"])
def test_every_page_wears_the_site_header_and_footer(sqlite_archive: Archive, path: str) -> None:
    record = analysed(sqlite_archive)
    response = client(sqlite_archive).get(path.format(id=record.id))
    assert '<link rel="stylesheet" href="/static/style.css">' in response.text
    assert '<header class="top">' in response.text and '<footer class="bottom">' in response.text


def test_confirm_delete_and_login_pages_are_panels(sqlite_archive: Archive) -> None:
    record = analysed(sqlite_archive)
    sqlite_archive.add_curator("ann", PASSWORD)
    curator = client(sqlite_archive)
    token = re.search(r'name="csrf_token" value="([^"]+)"', curator.get("/login").text)[1]
    assert 'class="panel login"' in curator.get("/login").text
    curator.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token})
    page = curator.get(f"/records/{record.id}/delete").text
    assert 'class="panel confirm"' in page and 'class="danger"' in page
