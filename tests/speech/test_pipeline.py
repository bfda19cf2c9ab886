"""The transcription pipeline's decisions, with a scripted engine standing in for Whisper.

Whisper hallucinates at will only on real silence, so these tests script what it says.
"""

from __future__ import annotations

import numpy as np
from dreamdraw.speech import SAMPLE_RATE, Decoded, Segment, SpeechSettings, transcribe
from dreamdraw.speech.engine import Word
from dreamdraw.speech.guards import ADVICE_NO_VOICE, ADVICE_OVER_ROOM, ADVICE_UNCLEAR
from dreamdraw.speech.room import measure_room

from tests.speech.babble import babble
from tests.speech.speech_helpers import ScriptedEngine, dream_audio, silence


def _said(text: str, language: str = "en", start: float = 0.0) -> Decoded:
    return Decoded([Segment(start, start + 1.0, text, -0.3, 0.2, 1.1)], language, 0.9)


def _blip() -> np.ndarray:
    """About 0.8 s of voice in silence: more than the voice gate, less than a sentence."""
    voice = dream_audio("whale_city.wav")[: int(0.9 * SAMPLE_RATE)]
    return np.concatenate([silence(1.0), voice, silence(1.0)])


def test_thank_you_on_near_silent_audio_is_nothing_heard():
    transcript = transcribe(_blip(), ScriptedEngine(_said("Thank you.")))
    assert transcript.nothing_heard
    assert "silence phrase" in transcript.reason
    assert transcript.segments[0].text == "Thank you."  # kept as evidence


def test_subtitle_credit_on_near_silent_audio_is_nothing_heard():
    engine = ScriptedEngine(_said("Subtitles by the Amara.org community"))
    assert transcribe(_blip(), engine).nothing_heard


def test_thank_you_in_a_long_stretch_of_speech_is_kept():
    engine = ScriptedEngine(_said("Thank you."))
    transcript = transcribe(dream_audio("whale_city.wav"), engine)
    assert not transcript.nothing_heard
    assert transcript.text == "Thank you."


def test_silence_never_reaches_the_engine():
    engine = ScriptedEngine(_said("Thanks for watching!"))
    assert transcribe(silence(3.0), engine).nothing_heard
    assert engine.calls == []


def test_the_engine_hears_only_the_voiced_part_and_times_refer_to_the_whole_clip():
    audio = np.concatenate([silence(3.0), dream_audio("red_door.wav"), silence(3.0)])
    engine = ScriptedEngine(_said("There was a red door.", start=0.2))
    transcript = transcribe(audio, engine)
    handed, _ = engine.calls[0]
    assert handed < len(audio) - 4 * SAMPLE_RATE
    assert 2.5 < transcript.segments[0].start < 3.5


def test_segments_beyond_the_audio_are_dropped():
    invented = Decoded(
        [
            Segment(0.0, 2.0, "There was a red door.", -0.3, 0.1, 1.1),
            Segment(25.0, 28.0, "And the sea.", -0.3, 0.1, 1.1),
        ],
        "en",
        1.0,
    )
    transcript = transcribe(dream_audio("red_door.wav"), ScriptedEngine(invented))
    assert transcript.text == "There was a red door."


def test_foreign_dream_is_translated_with_its_language_fixed_and_original_kept():
    engine = ScriptedEngine(
        _said("Soñé con un perro azul.", "es"),
        _said("I dreamed of a blue dog.", "es"),
        multilingual=True,
    )
    transcript = transcribe(dream_audio("es_perro_azul.wav"), engine)
    assert transcript.text == "Soñé con un perro azul."
    assert transcript.english == "I dreamed of a blue dog."
    assert transcript.language == "es"
    (_, first), (_, second) = engine.calls
    assert (first.task, first.language) == ("transcribe", None)
    assert (second.task, second.language) == ("translate", "es")


def test_translation_off_keeps_only_the_text_as_spoken():
    engine = ScriptedEngine(_said("Soñé con un perro azul.", "es"), multilingual=True)
    settings = SpeechSettings(translate=False)
    transcript = transcribe(dream_audio("es_perro_azul.wav"), engine, settings)
    assert transcript.english is None
    assert transcript.prompt == "Soñé con un perro azul."
    assert len(engine.calls) == 1


def test_a_looping_translation_is_not_used():
    engine = ScriptedEngine(
        _said("Soñé con un perro azul.", "es"),
        Decoded([Segment(0.0, 2.0, "I went to the door, " * 8, -0.4, 0.1, 3.1)], "es"),
        multilingual=True,
    )
    transcript = transcribe(dream_audio("es_perro_azul.wav"), engine)
    assert transcript.english is None
    assert transcript.prompt == "Soñé con un perro azul."


def test_english_dream_is_not_translated():
    engine = ScriptedEngine(_said("A blue dog."), multilingual=True)
    transcript = transcribe(dream_audio("whale_city.wav"), engine)
    assert transcript.english == "A blue dog."
    assert len(engine.calls) == 1


def test_decoding_options_come_from_the_settings():
    settings = SpeechSettings(
        language="fr", initial_prompt="Un rêve.", beam_size=3, temperatures=[0.0, 0.5]
    )
    engine = ScriptedEngine(_said("Un chien bleu.", "fr"), multilingual=True)
    transcribe(dream_audio("whale_city.wav"), engine, settings.with_overrides(translate=False))
    _, options = engine.calls[0]
    assert options.language == "fr"
    assert options.initial_prompt == "Un rêve."
    assert options.beam_size == 3
    assert options.temperatures == (0.0, 0.5)


def test_a_loop_split_into_segments_is_nothing_heard_with_advice():
    loop = Decoded(
        [Segment(i * 0.5, i * 0.5 + 0.5, "I am not a leader.", -0.4, 0.2, 1.4) for i in range(6)],
        "en",
        0.9,
    )
    transcript = transcribe(dream_audio("long_train.wav"), ScriptedEngine(loop))
    assert transcript.nothing_heard
    assert "repetition loop" in transcript.reason
    assert transcript.advice == ADVICE_UNCLEAR


def test_an_unsure_thank_you_after_a_long_dream_is_dropped_and_the_dream_kept():
    audio = dream_audio("long_train.wav")
    end = len(audio) / SAMPLE_RATE
    decoded = Decoded(
        [
            Segment(0.0, end - 1.0, "I was on a long train at night.", -0.3, 0.05, 1.2),
            Segment(end - 0.04, end, "Thank you.", -0.94, 0.80, 1.0),
        ],
        "en",
        0.9,
    )
    transcript = transcribe(audio, ScriptedEngine(decoded))
    assert transcript.text == "I was on a long train at night."


def test_chatter_that_does_not_stand_out_from_the_room_never_reaches_the_engine(babble_cache):
    room = measure_room(babble(4.0, seed=21, level_dbfs=-30.0, cache=babble_cache))
    engine = ScriptedEngine(_said("We should get coffee after this."))
    chatter = babble(6.0, seed=22, level_dbfs=-30.0, cache=babble_cache)
    transcript = transcribe(chatter, engine, room_dbfs=room.level_dbfs)
    assert transcript.nothing_heard
    assert transcript.advice == ADVICE_OVER_ROOM
    assert engine.calls == []


def test_the_calibrated_room_applies_when_no_room_is_given(babble_cache):
    chatter = babble(6.0, seed=22, level_dbfs=-30.0, cache=babble_cache)
    calibrated = SpeechSettings(room_dbfs=measure_room(chatter).level_dbfs)
    engine = ScriptedEngine(_said("We should get coffee after this."))
    assert transcribe(chatter, engine, calibrated).advice == ADVICE_OVER_ROOM
    assert not transcribe(chatter, engine).nothing_heard  # without a room, chatter is voice


def test_words_placed_where_no_voice_was_are_nothing_heard():
    door = dream_audio("red_door.wav")
    audio = np.concatenate([door, silence(4.0), door])
    gap = len(door) / SAMPLE_RATE + 0.6  # well inside the silence, in the clip's time
    said = "we should get coffee after this the cafe closes"
    words = [Word(gap + i * 0.3, gap + i * 0.3 + 0.2, w, 0.6) for i, w in enumerate(said.split())]
    segment = Segment(0.0, 2 * gap + 2.0, said, -0.5, 0.2, 1.1)  # over both voices
    engine = ScriptedEngine(Decoded([segment], "en", 0.9, words))
    transcript = transcribe(audio, engine)
    assert transcript.nothing_heard
    assert "words fall where" in transcript.reason


def test_silence_is_nothing_heard_with_advice_to_speak():
    assert transcribe(silence(3.0), ScriptedEngine(_said("Hi."))).advice == ADVICE_NO_VOICE
