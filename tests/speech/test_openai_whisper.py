"""openai-whisper's path, run with a tiny random-weight model (no download, no ffmpeg)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from dreamdraw.speech import (
    DecodeOptions,
    OpenAIWhisperEngine,
    SpeechError,
    SpeechSettings,
    Transcript,
    load_engine,
    transcribe,
)
from whisper.model import ModelDimensions, Whisper

from tests.speech.speech_helpers import dream_audio

FAST = SpeechSettings(beam_size=1, temperatures=[0.0])


@pytest.fixture(scope="module")
def random_whisper() -> Whisper:
    """A multilingual Whisper with one small layer each side and random weights."""
    torch.manual_seed(0)
    dims = ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=2,
        n_audio_layer=1,
        n_vocab=51865,
        n_text_ctx=64,
        n_text_state=64,
        n_text_head=2,
        n_text_layer=1,
    )
    model = Whisper(dims).eval()
    with torch.no_grad():
        for parameter in model.parameters():  # some are left uninitialised by Whisper
            torch.nn.init.normal_(parameter, std=0.02)
    return model


def test_random_model_decodes_to_segments_with_confidences(random_whisper):
    engine = OpenAIWhisperEngine(random_whisper, "random-tiny")
    decoded = engine.decode(
        dream_audio("whale_city.wav"), DecodeOptions(beam_size=1, temperatures=(0.0,))
    )
    assert decoded.language
    assert decoded.segments
    for segment in decoded.segments:
        assert isinstance(segment.text, str)
        assert segment.avg_logprob < 0 and 0 <= segment.no_speech_prob <= 1


def test_random_model_gives_a_transcript_and_its_mumbling_is_not_a_dream(random_whisper):
    engine = OpenAIWhisperEngine(random_whisper, "random-tiny")
    transcript = transcribe(dream_audio("whale_city.wav"), engine, FAST)
    assert isinstance(transcript, Transcript)
    assert transcript.engine == "openai-whisper" and transcript.model == "random-tiny"
    assert transcript.nothing_heard and "mumbling" in transcript.reason
    assert Transcript.from_json(transcript.to_json()) == transcript


def test_checkpoint_path_loads_through_the_factory(random_whisper, tmp_path: Path):
    path = tmp_path / "random-tiny.pt"
    torch.save(
        {"dims": asdict(random_whisper.dims), "model_state_dict": random_whisper.state_dict()}, path
    )
    engine = load_engine(FAST, engine="openai-whisper", model=str(path), device="cpu")
    assert engine.name == "openai-whisper" and engine.model_id == "random-tiny"
    assert engine.multilingual
    transcript = transcribe(dream_audio("red_door.wav"), engine, FAST)
    assert isinstance(transcript, Transcript)


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(SpeechError, match="neither a .pt file nor one of"):
        load_engine(engine="openai-whisper", model="gigantic", device="cpu")
