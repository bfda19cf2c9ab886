"""`dreamdraw listen`, `dreamdraw transcribe` and `dreamdraw speech devices`: the speech commands."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from dreamdraw.installation.commands.params import positive, setting_range
from dreamdraw.installation.context import AppContext, pass_app
from dreamdraw.speech.settings import SpeechSettings

if TYPE_CHECKING:
    from dreamdraw.speech import PushToTalk

__all__ = ["COMMANDS"]


def _engine_options(func: Callable) -> Callable:
    options = [
        click.option(
            "--engine",
            type=click.Choice(["faster-whisper", "openai-whisper"]),
            help="Whisper implementation. Default: [speech] engine (faster-whisper).",
        ),
        click.option(
            "--model",
            help="Model size or name (tiny.en, base, small), a CTranslate2 folder or a .pt file.",
        ),
        click.option("--language", help="Language code (en, es, ...) or auto. Default: auto."),
        click.option(
            "--translate/--no-translate",
            default=None,
            help="Translate dreams not in English to English (the text as spoken is kept).",
        ),
        click.option("--device", help="auto, cpu, cuda or cuda:N."),
        click.option(
            "--beam-size",
            type=setting_range(SpeechSettings, "beam_size", int),
            help="Beam search width.",
        ),
        click.option("--initial-prompt", help="Text that primes Whisper's vocabulary."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(app: AppContext, **overrides: Any) -> SpeechSettings:
    return app.config.speech.with_overrides(**overrides)


def _enter_key_button() -> PushToTalk:
    """Push-to-talk on a terminal: Enter starts talking, Enter again stops."""
    from dreamdraw.speech import PushToTalk

    button = PushToTalk()

    def wait_for_keys() -> None:
        click.echo("press Enter, tell your dream, press Enter again", err=True)
        sys.stdin.readline()
        button.press()
        click.echo("listening...", err=True)
        sys.stdin.readline()
        button.release()

    threading.Thread(target=wait_for_keys, daemon=True).start()
    return button


def _terminal_meter() -> Callable[[float, bool], None] | None:
    """A level meter on stderr, when it is a terminal: -60..0 dBFS as 40 characters."""
    if not sys.stderr.isatty():
        return None

    def show(level_dbfs: float, speaking: bool) -> None:
        bar = "#" * round(max(0.0, min(60.0, level_dbfs + 60.0)) * 40 / 60)
        click.echo(f"\r{bar:<40} {'speaking' if speaking else '        '}", nl=False, err=True)

    return show


@click.command("listen")
@_engine_options
@click.option("--input-device", help="Microphone index or part of its name.")
@click.option(
    "--push-to-talk/--auto",
    "push_to_talk",
    default=None,
    help="Enter starts and stops the dream / voice activity does. Default: [speech] mode.",
)
@click.option(
    "--max-length",
    "max_length_s",
    type=setting_range(SpeechSettings, "max_length_s", float),
    help="Cut a dream after this (s).",
)
@click.option(
    "--file",
    "audio_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Listen to a WAV/FLAC file instead of the microphone.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the Transcript as JSON.")
@pass_app
def listen_command(
    app: AppContext,
    input_device: str | None,
    push_to_talk: bool | None,
    audio_file: Path | None,
    as_json: bool,
    **overrides: Any,
) -> None:
    """Listen for one dream on the microphone and print what was heard."""
    from dreamdraw.speech import FileSource, MicrophoneSource, listen, load_engine

    mode = None if push_to_talk is None else ("push-to-talk" if push_to_talk else "auto")
    settings = _settings(app, input_device=input_device, mode=mode, **overrides)
    source = FileSource(audio_file) if audio_file else MicrophoneSource(settings.input_device)
    engine = load_engine(settings)
    button = _enter_key_button() if settings.mode == "push-to-talk" and not audio_file else None
    if button is None:
        click.echo("listening... tell your dream", err=True)
    meter = None if audio_file else _terminal_meter()
    with source:
        transcript = listen(
            source,
            engine,
            settings,
            push_to_talk=button,
            level_callback=meter,
            on_capture=lambda _: source.stop(),
        )
    if meter is not None:
        click.echo(err=True)
    if as_json:
        click.echo(transcript.to_json())
    elif transcript.nothing_heard:
        click.echo(f"(nothing heard: {transcript.reason})")
        if transcript.advice:
            click.echo(transcript.advice)
    else:
        click.echo(transcript.text)
        if transcript.english and transcript.english != transcript.text:
            click.echo(f"[{transcript.language} -> en] {transcript.english}")
        if transcript.truncated:
            click.echo(f"(cut at {settings.max_length_s:g} s)")


@click.command("transcribe")
@_engine_options
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@pass_app
def transcribe_command(app: AppContext, files: tuple[Path, ...], **overrides: Any) -> None:
    """Transcribe WAV/FLAC FILES: one Transcript JSON line per file, in the order given."""
    from dreamdraw.speech import load_engine, transcribe

    settings = _settings(app, **overrides)
    engine = load_engine(settings)
    for path in files:
        click.echo(transcribe(path, engine, settings).to_json())


@click.group("speech")
def speech_group() -> None:
    """Microphones and Whisper models."""


@speech_group.command("devices")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per device.")
def devices_command(as_json: bool) -> None:
    """List the audio input devices (use the index or name as [speech] input_device)."""
    from dataclasses import asdict

    from dreamdraw.speech import list_input_devices

    devices = list_input_devices()
    for device in devices:
        if as_json:
            click.echo(json.dumps(asdict(device)))
        else:
            default = " (default)" if device.is_default else ""
            click.echo(
                f"{device.index}: {device.name} - {device.channels} ch, "
                f"{device.default_samplerate:g} Hz{default}"
            )
    if not devices and not as_json:
        click.echo("no audio input devices found")


@speech_group.command("calibrate")
@click.option("--input-device", help="Microphone index or part of its name.")
@click.option(
    "--room-seconds",
    type=positive(float),
    default=5.0,
    show_default=True,
    help="Seconds of the room.",
)
@click.option(
    "--sentence-seconds",
    type=positive(float),
    default=5.0,
    show_default=True,
    help="Seconds recorded for the spoken sentence.",
)
@click.option(
    "--room-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A WAV/FLAC recording of the room instead of the microphone.",
)
@click.option(
    "--sentence-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A WAV/FLAC recording of the spoken sentence instead of the microphone.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
@pass_app
def calibrate_command(
    app: AppContext,
    input_device: str | None,
    room_seconds: float,
    sentence_seconds: float,
    room_file: Path | None,
    sentence_file: Path | None,
    as_json: bool,
) -> None:
    """Listen to the empty room, then to one spoken sentence, and propose the room settings."""
    from dreamdraw.speech import FileSource, MicrophoneSource
    from dreamdraw.speech.room import calibrate, record_seconds

    settings = _settings(app, input_device=input_device)

    def record(path: Path | None, seconds: float, prompt: str) -> Any:
        if path is None:
            click.echo(prompt, err=True)
        with FileSource(path) if path else MicrophoneSource(settings.input_device) as source:
            return record_seconds(source, seconds)

    room = record(room_file, room_seconds, f"recording the room for {room_seconds:g} s: be quiet")
    sentence = record(
        sentence_file,
        sentence_seconds,
        f"now say one sentence as a visitor would ({sentence_seconds:g} s)",
    )
    result = calibrate(room, sentence, settings)
    proposed = result.proposed_settings()
    if as_json:
        summary = {
            "room": result.room.to_dict(),
            "speech_dbfs": result.speech_dbfs,
            "stand_out_db": result.stand_out_db,
            "voiced_s": result.voiced_s,
            "advice": result.advice,
            "proposed": proposed,
        }
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"room {result.room.level_dbfs:.1f} dBFS, voice {result.speech_dbfs:.1f} dBFS "
        f"(speech band): {result.advice}"
    )
    click.echo("put these in the [speech] table of the venue config:")
    click.echo("[speech]")
    for key, value in proposed.items():
        click.echo(f"{key} = {value}")


COMMANDS: list[click.Command] = [listen_command, transcribe_command, speech_group]
