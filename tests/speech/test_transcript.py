"""The Transcript data model: JSON round trip and the "nothing heard" outcome."""

from __future__ import annotations

import json

import pytest
from dreamdraw.speech import Segment, SpeechError, Transcript


def _dream() -> Transcript:
    return Transcript(
        text="Soñé con un perro azul.",
        language="es",
        english="I dreamed of a blue dog.",
        segments=[Segment(0.0, 2.5, "Soñé con un perro azul.", -0.31, 0.02, 1.1)],
        duration_s=2.8,
        engine="faster-whisper",
        model="base",
        language_probability=0.93,
        truncated=True,
    )


def test_json_round_trip_keeps_every_field():
    transcript = _dream()
    assert Transcript.from_json(transcript.to_json()) == transcript


def test_json_keeps_non_ascii_text_readable():
    assert "Soñé" in _dream().to_json()


def test_json_names_its_format():
    assert json.loads(_dream().to_json())["format"] == "dreamdraw.transcript/1"


def test_nothing_heard_is_a_distinct_outcome_with_a_reason():
    nothing = Transcript.nothing("no voice", duration_s=3.0, engine="faster-whisper")
    assert nothing.nothing_heard
    assert nothing.text == "" and nothing.english is None
    assert nothing.reason == "no voice"
    assert not _dream().nothing_heard
    assert Transcript.from_json(nothing.to_json()).nothing_heard


def test_prompt_is_the_english_when_there_is_one():
    assert _dream().prompt == "I dreamed of a blue dog."
    untranslated = Transcript(text="Un perro azul.", language="es", english=None)
    assert untranslated.prompt == "Un perro azul."


@pytest.mark.parametrize(
    "text",
    ["not json", json.dumps({"text": "x"}), json.dumps({"format": "dreamdraw.transcript/1"})],
)
def test_from_json_rejects_what_is_not_a_transcript(text: str):
    with pytest.raises(SpeechError):
        Transcript.from_json(text)
