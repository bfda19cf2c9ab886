"""Guards against hallucinated dreams, judged segment by segment (no model needed)."""

from __future__ import annotations

import pytest
from dreamdraw.speech import Segment, SpeechSettings, is_silence_phrase
from dreamdraw.speech.guards import SpeechPresence, drop_reason, is_non_speech_annotation

SETTINGS = SpeechSettings()
NEAR_SILENT = SpeechPresence(voiced_s=0.6, first_sample=0, end_sample=9600)
TALKATIVE = SpeechPresence(voiced_s=4.0, first_sample=0, end_sample=64000)


def _segment(text: str, avg_logprob: float = -0.3, no_speech_prob: float = 0.1, ratio: float = 1.2):
    return Segment(0.0, 1.0, text, avg_logprob, no_speech_prob, ratio)


@pytest.mark.parametrize(
    "text",
    [
        "Thank you.",
        "Thanks for watching!",
        "Subtitles by the Amara.org community",
        "Subtítulos realizados por la comunidad de Amara.org",
        "Please subscribe to my channel.",
        "Gracias.",
    ],
)
def test_known_silence_phrases_are_recognised(text: str):
    assert is_silence_phrase(text)


def test_a_dream_is_not_a_silence_phrase():
    assert not is_silence_phrase("Thank you for the flying whale over the city.")
    assert not is_silence_phrase("I dreamed of a whale.")


def test_silence_phrase_on_near_silent_audio_is_dropped():
    assert "silence phrase" in drop_reason(_segment("Thank you."), NEAR_SILENT, SETTINGS)


def test_silence_phrase_with_plenty_of_voice_is_kept():
    assert drop_reason(_segment("Thank you."), TALKATIVE, SETTINGS) == ""


def test_high_no_speech_probability_with_low_confidence_is_dropped():
    segment = _segment("a whale", avg_logprob=-1.2, no_speech_prob=0.8)
    assert "no speech" in drop_reason(segment, TALKATIVE, SETTINGS)


def test_high_no_speech_probability_with_confident_words_is_kept():
    segment = _segment("a whale", avg_logprob=-0.4, no_speech_prob=0.8)
    assert drop_reason(segment, TALKATIVE, SETTINGS) == ""


def test_mumbling_is_dropped():
    assert "mumbling" in drop_reason(_segment("uh wha", avg_logprob=-2.5), TALKATIVE, SETTINGS)
    assert "mumbling" in drop_reason(_segment("x", avg_logprob=float("nan")), TALKATIVE, SETTINGS)


def test_repetition_loops_are_dropped():
    segment = _segment("the the the the the the the", ratio=4.0)
    assert "repetition" in drop_reason(segment, TALKATIVE, SETTINGS)


@pytest.mark.parametrize("text", ["[Music]", "(silence)", "♪♪", "", "..."])
def test_sound_annotations_are_not_words(text: str):
    assert is_non_speech_annotation(text)
    assert drop_reason(_segment(text), TALKATIVE, SETTINGS) == "no words"


def test_a_clear_dream_segment_is_kept():
    assert drop_reason(_segment("I dreamed of a whale."), TALKATIVE, SETTINGS) == ""
