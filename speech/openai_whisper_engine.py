"""The openai-whisper engine (PyTorch): model name or .pt checkpoint, numpy input (no ffmpeg)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from dreamdraw.speech.engine import Decoded, DecodeOptions, Word, resolve_device
from dreamdraw.speech.errors import SpeechError
from dreamdraw.speech.transcript import Segment

__all__ = ["OpenAIWhisperEngine"]


class OpenAIWhisperEngine:
    """An openai-whisper `Whisper` model behind the Engine interface; fp16 on CUDA."""

    name = "openai-whisper"

    def __init__(self, model: Any, model_id: str) -> None:
        self.model = model
        self.model_id = model_id
        self.multilingual = bool(model.is_multilingual)
        # Whisper installs its key/value caches on the model per decode: one decode at a time.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model: str = "tiny.en", *, device: str = "auto") -> OpenAIWhisperEngine:
        """Load a model name (from whisper's cache, or downloaded once online) or a .pt checkpoint."""
        import torch
        import whisper

        kind, index = resolve_device(device, torch.cuda.is_available())
        torch_device = f"cuda:{index}" if kind == "cuda" else "cpu"
        path = Path(model).expanduser()
        if not path.is_file() and model not in whisper.available_models():
            raise SpeechError(
                f"openai-whisper model {model!r} is neither a .pt file nor one of "
                f"{', '.join(whisper.available_models())}"
            )
        try:
            loaded = whisper.load_model(str(path) if path.is_file() else model, device=torch_device)
        except (OSError, RuntimeError) as exc:
            raise SpeechError(
                f"cannot load openai-whisper model {model!r} ({exc}). Give a .pt checkpoint, "
                "or a name that is in whisper's cache or can be downloaded once online"
            ) from None
        return cls(loaded, path.stem if path.is_file() else model)

    def decode(self, audio: np.ndarray, options: DecodeOptions) -> Decoded:
        import whisper

        if options.language not in (None, "en") and not self.multilingual:
            raise SpeechError(
                f"model {self.model_id} is English-only; use a multilingual model "
                f"(base, small, ...) for language {options.language!r}"
            )
        with self._lock:
            result = whisper.transcribe(
                self.model,
                np.asarray(audio, dtype=np.float32),
                verbose=None,
                language=options.language if self.multilingual else "en",
                task=options.task if self.multilingual else "transcribe",
                initial_prompt=options.initial_prompt,
                temperature=options.temperatures,
                beam_size=options.beam_size,
                best_of=options.beam_size,
                no_speech_threshold=options.no_speech_threshold,
                logprob_threshold=options.logprob_threshold,
                compression_ratio_threshold=options.compression_ratio_threshold,
                condition_on_previous_text=False,
                word_timestamps=True,
                fp16=self.model.device.type == "cuda",
            )
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=str(s["text"]).strip(),
                avg_logprob=float(s["avg_logprob"]),
                no_speech_prob=float(s["no_speech_prob"]),
                compression_ratio=float(s["compression_ratio"]),
            )
            for s in result["segments"]
        ]
        words = [
            Word(
                float(w["start"]), float(w["end"]), str(w["word"]).strip(), float(w["probability"])
            )
            for s in result["segments"]
            for w in s.get("words", [])
        ]
        return Decoded(segments, result.get("language"), None, words)
