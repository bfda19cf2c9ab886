"""Guards against hallucinated dreams, judged segment by segment (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest
from dreamdraw.speech import Segment, SpeechSettings, is_silence_phrase
from dreamdraw.speech.engine import Word
from dreamdraw.speech.guards import (
    SpeechPresence,
    drop_reason,
    is_non_speech_annotation,
    repetition,
    transcript_rejection,
    unsure_tail,
    voice_over_room_db,
    words_after_voice,
)

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


LOOP = "I am not a leader. " * 6


@pytest.mark.parametrize(
    "text",
    [
        LOOP,
        "I was at the highest-est-est-est point of the tower.",
        "and the the the the door opened",
        "I walked into the kitchen and I walked into the kitchen and I walked into the kitchen",
    ],
)
def test_whispers_loops_are_repetition(text: str):
    assert repetition(text)


@pytest.mark.parametrize(
    "text",
    [
        "The horse ran faster and faster, until it flew away.",
        "I was running, running, running through a forest.",
        "My mother was planting yellow flowers. My father was planting red ones.",
    ],
)
def test_a_dream_that_repeats_itself_a_little_is_not_a_loop(text: str):
    assert repetition(text) == ""


def _presence(voiced: list[tuple[float, float]], seconds: float = 10.0) -> SpeechPresence:
    """Voice (visitor's and any) in the given (start, end) stretches of a clip, in seconds."""
    frames = np.zeros(int(seconds / 0.032), dtype=bool)
    for start, end in voiced:
        frames[int(start / 0.032) : int(end / 0.032)] = True
    voiced_at = np.flatnonzero(frames)
    return SpeechPresence(
        voiced_s=frames.sum() * 0.032,
        first_sample=int(voiced_at[0]) * 512,
        end_sample=int(voiced_at[-1] + 1) * 512,
        heard_s=frames.sum() * 0.032,
        frames=frames,
        voice=frames,
    )


def test_a_segment_claiming_more_words_than_its_voice_can_hold_is_dropped():
    presence = _presence([(0.5, 4.0)])
    tail = Segment(9.96, 10.0, "and then we all went home together", -0.5, 0.3, 1.1)
    assert "words on" in drop_reason(tail, presence, SETTINGS)


def test_a_segment_over_its_voice_is_kept():
    presence = _presence([(0.5, 4.0)])
    segment = Segment(0.5, 4.0, "I dreamed of a whale flying over a sleeping city.", -0.3, 0.1, 1.1)
    assert drop_reason(segment, presence, SETTINGS) == ""


def test_an_unsure_segment_after_a_dream_is_the_tail():
    dream = Segment(0.0, 58.0, "a long dream", -0.3, 0.05, 1.2)
    thanks = Segment(59.96, 60.0, "Thank you.", -0.94, 0.80, 1.0)
    assert unsure_tail([dream, thanks], SETTINGS) == 1
    assert unsure_tail([dream], SETTINGS) == 0


def test_a_lone_segment_is_never_a_tail():
    assert unsure_tail([Segment(0.0, 2.0, "a whale", -1.2, 0.7, 1.0)], SETTINGS) == 0


def test_words_where_no_voice_was_reject_the_transcript():
    presence = _presence([(0.5, 3.0)])
    text = "we should get coffee after this the cafe"
    words = [Word(4.0 + i * 0.4, 4.3 + i * 0.4, w, 0.5) for i, w in enumerate(text.split())]
    assert "0 of 8 words" in transcript_rejection(text, words, presence, SETTINGS)


def test_words_over_the_voice_pass():
    presence = _presence([(0.5, 4.0)])
    words = [Word(0.5 + i * 0.4, 0.8 + i * 0.4, "word", 0.9) for i in range(8)]
    assert transcript_rejection("a whale in the sky over the city", words, presence, SETTINGS) == ""


def test_too_many_words_for_the_voice_reject_the_transcript():
    presence = _presence([(0.5, 1.5)])
    text = "one two three four five six seven eight nine ten eleven twelve thirteen"
    assert "words on" in transcript_rejection(text, [], presence, SETTINGS)


def test_words_after_the_visitors_voice_ended_are_counted_from_the_end():
    presence = _presence([(0.5, 3.0)])
    said = [Word(0.6 + i * 0.5, 0.9 + i * 0.5, w, 0.9) for i, w in enumerate(["a", "whale"])]
    invented = [Word(4.0 + i * 0.2, 4.1 + i * 0.2, w, 0.3) for i, w in enumerate(["see", "you"])]
    assert words_after_voice(said + invented, presence) == 2
    assert words_after_voice(said, presence) == 0


def test_words_whisper_is_unsure_of_reject_the_transcript():
    presence = _presence([(0.5, 4.0)])
    words = [Word(0.5 + i * 0.4, 0.8 + i * 0.4, "word", 0.3) for i in range(8)]
    reason = transcript_rejection("I think that we are all over", words, presence, SETTINGS)
    assert "unsure of its words" in reason


def test_a_voice_as_loud_as_the_room_stands_0_db_above_it():
    # Voice and room of equal power measure 3 dB over the room together; the room is taken out.
    together = np.full(10, -30.0 + 10 * np.log10(2.0))
    assert voice_over_room_db(together, -30.0) == pytest.approx(0.0, abs=0.01)
    assert voice_over_room_db(np.full(10, -30.0 + 10 * np.log10(11.0)), -30.0) == pytest.approx(
        10.0, abs=0.01
    )
    assert voice_over_room_db(np.full(10, -30.0), -30.0) < -60.0
