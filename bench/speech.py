"""Speech benchmark: real-time factor and end-of-speech-to-text latency for a ~10 s dream.

    python -m bench.speech [--model ENGINE:MODEL ...] [--device cpu] [--threads 2]

Prints one JSON line. Per engine and model: load time, decode time and real-time factor
(decode time / audio length, median of --runs), the push-to-talk latency (button released ->
text: one decode), and the automatic-mode latency measured live (the dream streamed in real
time, visitor stops speaking -> text, trailing silence included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from dreamdraw.speech import (
    SAMPLE_RATE,
    ArraySource,
    SpeechSettings,
    listen,
    load_audio,
    load_engine,
    transcribe,
)
from dreamdraw.speech.guards import measure_speech
from dreamdraw.speech.wer import word_error_rate

DATA = Path(__file__).resolve().parent.parent / "tests" / "speech" / "data"
DREAM = "long_train.wav"


def bench_model(spec: str, args: argparse.Namespace, audio: np.ndarray, reference: str) -> dict:
    engine_name, _, model = spec.partition(":")
    settings = SpeechSettings(
        engine=engine_name,
        model=model,
        device=args.device,
        cpu_threads=args.threads,
        beam_size=args.beam_size,
        trailing_silence_s=args.trailing_silence,
    )
    started = time.perf_counter()
    engine = load_engine(settings)
    load_s = time.perf_counter() - started

    transcribe(audio, engine, settings)  # warm-up
    decode_times, text = [], ""
    for _ in range(args.runs):
        started = time.perf_counter()
        text = transcribe(audio, engine, settings).text
        decode_times.append(time.perf_counter() - started)
    decode_s = statistics.median(decode_times)

    lead_s, tail_s = 0.5, 3.0
    stream = np.concatenate(
        [np.zeros(int(lead_s * SAMPLE_RATE)), audio, np.zeros(int(tail_s * SAMPLE_RATE))]
    ).astype(np.float32)
    speech_end_s = lead_s + measure_speech(audio, settings).end_sample / SAMPLE_RATE
    source = ArraySource(stream, realtime=True)
    source.start()
    started = time.monotonic()
    live = listen(source, engine, settings)
    auto_latency_s = time.monotonic() - started - speech_end_s

    return {
        "engine": engine.name,
        "model": engine.model_id,
        "compute_type": getattr(engine, "compute_type", "float32"),
        "load_s": round(load_s, 3),
        "decode_s": round(decode_s, 3),
        "real_time_factor": round(decode_s / (len(audio) / SAMPLE_RATE), 4),
        "push_to_talk_latency_s": round(decode_s, 3),
        "auto_latency_s": round(auto_latency_s, 3),
        "trailing_silence_s": settings.trailing_silence_s,
        "word_error_rate": round(word_error_rate(reference, text), 3),
        "live_word_error_rate": round(word_error_rate(reference, live.text), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        action="append",
        help="ENGINE:MODEL, e.g. faster-whisper:tiny.en or openai-whisper:/path/tiny.en.pt "
        "(repeatable; default faster-whisper:tiny.en)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for decoding")
    parser.add_argument("--runs", type=int, default=3, help="timed decodes per model")
    parser.add_argument("--beam-size", type=int, default=SpeechSettings().beam_size)
    parser.add_argument(
        "--trailing-silence", type=float, default=SpeechSettings().trailing_silence_s
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    manifest = json.loads((DATA / "dreams.json").read_text(encoding="utf-8"))
    reference = next(d["text"] for d in manifest if d["file"] == DREAM)
    audio = load_audio(DATA / DREAM)
    results = [
        bench_model(spec, args, audio, reference)
        for spec in args.model or ["faster-whisper:tiny.en"]
    ]
    print(
        json.dumps(
            {
                "bench": "speech",
                "device": args.device,
                "threads": args.threads,
                "beam_size": args.beam_size,
                "dream_s": round(len(audio) / SAMPLE_RATE, 2),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
