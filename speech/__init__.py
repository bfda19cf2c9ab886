"""Listening and transcription (Whisper): capture a dream, transcribe it, guard against hallucinations.

From Python::

    engine = load_engine(settings)                       # once; loading takes seconds
    transcript = listen(ArraySource(samples), engine, settings)
    transcript = transcribe("dream.wav", engine, settings)
    if transcript.nothing_heard: ...
"""

from dreamdraw.speech.audio import SAMPLE_RATE, load_audio
from dreamdraw.speech.capture import Capture, LevelCallback, PushToTalk, capture_dream
from dreamdraw.speech.engine import Decoded, DecodeOptions, Engine, load_engine
from dreamdraw.speech.errors import SpeechError
from dreamdraw.speech.faster_whisper_engine import FasterWhisperEngine
from dreamdraw.speech.guards import SILENCE_PHRASES, is_silence_phrase
from dreamdraw.speech.models import packaged_model_dir
from dreamdraw.speech.openai_whisper_engine import OpenAIWhisperEngine
from dreamdraw.speech.pipeline import listen, transcribe
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.sources import (
    ArraySource,
    AudioSource,
    FileSource,
    InputDevice,
    MicrophoneSource,
    PushSource,
    list_input_devices,
)
from dreamdraw.speech.transcript import Segment, Transcript
from dreamdraw.speech.vad import VoiceActivity

__all__ = [
    "SAMPLE_RATE",
    "SILENCE_PHRASES",
    "ArraySource",
    "AudioSource",
    "Capture",
    "DecodeOptions",
    "Decoded",
    "Engine",
    "FasterWhisperEngine",
    "FileSource",
    "InputDevice",
    "LevelCallback",
    "MicrophoneSource",
    "OpenAIWhisperEngine",
    "PushSource",
    "PushToTalk",
    "Segment",
    "SpeechError",
    "SpeechSettings",
    "Transcript",
    "VoiceActivity",
    "capture_dream",
    "is_silence_phrase",
    "list_input_devices",
    "listen",
    "load_audio",
    "load_engine",
    "packaged_model_dir",
    "transcribe",
]
