"""The shared words: one set of clusters for every part, one JSON format tag."""

from __future__ import annotations

import pytest
from dreamdraw import vocabulary
from dreamdraw.analysis import CLUSTERS as ANALYSIS_CLUSTERS
from dreamdraw.archive import CLUSTERS as ARCHIVE_CLUSTERS
from dreamdraw.archive import ArchiveError, Record
from dreamdraw.drawing import Drawing, DrawingError
from dreamdraw.speech import SpeechError, Transcript
from dreamdraw.vocabulary import CLUSTERS, load_tagged, parse_cluster


def test_analysis_and_archive_share_the_one_cluster_table() -> None:
    assert ANALYSIS_CLUSTERS is CLUSTERS and ARCHIVE_CLUSTERS is CLUSTERS


def test_the_four_clusters_are_the_studys_in_order() -> None:
    assert [c.name for c in CLUSTERS.values()] == [
        "clear concept",
        "text-to-text as image",
        "indeterminacy and confusion",
        "lost in translation",
    ]
    assert all(c.definition.endswith(".") for c in CLUSTERS.values())


@pytest.mark.parametrize(
    "label", ["Lost in Translation", "lost_in_translation", " LOST IN TRANSLATION "]
)
def test_parse_cluster_takes_an_id_or_a_name_in_any_case(label: str) -> None:
    assert parse_cluster(label) == "lost_in_translation"


def test_parse_cluster_names_the_known_ids_on_an_unknown_label() -> None:
    with pytest.raises(ValueError, match="unknown cluster 'sunset'; known: clear_concept"):
        parse_cluster("sunset")


@pytest.mark.parametrize(
    ("kind", "error", "cls"),
    [
        ("drawing", DrawingError, Drawing),
        ("transcript", SpeechError, Transcript),
        ("record", ArchiveError, Record),
    ],
)
def test_every_document_refuses_another_kinds_tag_in_one_line(kind, error, cls) -> None:
    other = vocabulary.dump_tagged({"text": "x"}, "toolpath")
    with pytest.raises(
        error, match=rf"^not a dreamdraw {kind} \(missing format 'dreamdraw.{kind}/1'\)$"
    ):
        cls.from_json(other)
    with pytest.raises(error, match=rf"^{kind} JSON is malformed"):
        cls.from_json("{not json")


def test_load_tagged_returns_the_fields_without_the_tag() -> None:
    text = vocabulary.dump_tagged({"text": "ünïcode"}, "drawing")
    assert "ünïcode" in text
    assert load_tagged(text, "drawing", ValueError) == {"text": "ünïcode"}
