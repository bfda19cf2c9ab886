"""The transcription pipeline's decisions, with a scripted engine standing in for Whisper.

Whisper hallucinates at will only on real silence, so these tests script what it says.
"""

from __future__ import annotations

import numpy as np
from dreamdraw.speech import SAMPLE_RATE, Decoded, Segment, SpeechSettings, transcribe

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
