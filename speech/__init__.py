"""Listening and transcription (Whisper): capture a dream, transcribe it, guard against hallucinations.

From Python::

    engine = load_engine(settings)                       # once; loading takes seconds
    transcript = listen(ArraySource(samples), engine, settings)
    transcript = transcribe("dream.wav", engine, settings)
    if transcript.nothing_heard: ...
"""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "audio": ["SAMPLE_RATE", "load_audio"],
        "capture": ["Capture", "LevelCallback", "PushToTalk", "capture_dream"],
        "engine": ["Decoded", "DecodeOptions", "Engine", "Word", "load_engine"],
        "errors": ["SpeechError"],
        "faster_whisper_engine": ["FasterWhisperEngine"],
        "guards": [
            "ADVICE_NO_VOICE",
            "ADVICE_OVER_ROOM",
            "ADVICE_UNCLEAR",
            "SILENCE_PHRASES",
            "is_silence_phrase",
        ],
        "mixing": ["mix_at_snr"],
        "room": ["Calibration", "RoomProfile", "RoomTracker", "calibrate", "measure_room"],
        "wer": ["word_error_rate"],
        "models": ["packaged_model_dir"],
        "openai_whisper_engine": ["OpenAIWhisperEngine"],
        "pipeline": ["listen", "transcribe"],
        "settings": ["SpeechSettings"],
        "sources": [
            "ArraySource",
            "AudioSource",
            "FileSource",
            "InputDevice",
            "MicrophoneSource",
            "PushSource",
            "list_input_devices",
        ],
        "transcript": ["Segment", "Transcript"],
        "vad": ["VoiceActivity"],
    },
)
