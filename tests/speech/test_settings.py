"""The [speech] table of the venue config and settings overrides."""

from __future__ import annotations

import pytest
from dreamdraw.installation.config import ConfigError, config_from_dict
from dreamdraw.speech import SpeechError, SpeechSettings


def test_speech_table_is_read_from_the_venue_config():
    config = config_from_dict(
        {"speech": {"model": "base", "language": "es", "mode": "push-to-talk", "max_length_s": 30}}
    )
    assert config.speech.model == "base"
    assert config.speech.mode == "push-to-talk"
    assert config.speech.max_length_s == 30.0


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"mode": "whisper"}, "speech.mode"),
        ({"beam_size": 0}, "beam_size"),
        ({"min_length_s": 90.0}, "min_length_s"),
        ({"vad_threshold": 1.5}, "vad_threshold"),
        ({"room_margin_db": 50.0}, "room_margin_db"),
        ({"room_dbfs": 3.0}, "room_dbfs"),
        ({"max_words_per_s": 0.5}, "max_words_per_s"),
        ({"min_aligned_words": 1.5}, "min_aligned_words"),
        ({"min_word_probability": -0.1}, "min_word_probability"),
    ],
)
def test_bad_speech_settings_name_the_key(table: dict, key: str):
    with pytest.raises(ConfigError, match=key):
        config_from_dict({"speech": table})


def test_overrides_replace_given_fields_and_ignore_none():
    settings = SpeechSettings().with_overrides(model="base", language=None, translate=False)
    assert settings.model == "base"
    assert settings.language == "auto"
    assert settings.translate is False


def test_bad_override_is_a_speech_error():
    with pytest.raises(SpeechError, match="max_length_s"):
        SpeechSettings().with_overrides(max_length_s=-1.0)


def test_decoding_is_deterministic_by_default():
    assert SpeechSettings().temperatures == [0.0]
