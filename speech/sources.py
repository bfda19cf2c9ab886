"""Audio sources: microphone (sounddevice), WAV/FLAC file, and in-memory arrays or pushed blocks."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE, as_mono_16k, load_audio
from dreamdraw.speech.errors import SpeechError

__all__ = [
    "ArraySource",
    "AudioSource",
    "FileSource",
    "InputDevice",
    "MicrophoneSource",
    "PushSource",
    "list_input_devices",
]

DEFAULT_BLOCK_S = 0.032


class AudioSource:
    """A stream of (n,) float32 blocks at 16 kHz mono. Use as a context manager or start()/stop().

    read(timeout) returns the next block, an empty block when none came within timeout seconds,
    or None when the stream has ended.
    """

    sample_rate = SAMPLE_RATE

    def start(self) -> None:
        """Begin producing audio (open the device)."""

    def stop(self) -> None:
        """Stop producing audio and release the device."""

    def read(self, timeout: float = 0.5) -> np.ndarray | None:
        raise NotImplementedError

    def __enter__(self) -> AudioSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ArraySource(AudioSource):
    """Audio already in memory, handed out in blocks; realtime=True paces it like a microphone.

    samples: (n,) or (n, channels) at sample_rate Hz (resampled to 16 kHz); block_s: block length (s).
    """

    def __init__(
        self,
        samples: np.ndarray,
        sample_rate: int = SAMPLE_RATE,
        *,
        block_s: float = DEFAULT_BLOCK_S,
        realtime: bool = False,
    ) -> None:
        self.samples = as_mono_16k(samples, sample_rate)
        self.block = max(1, round(block_s * SAMPLE_RATE))
        self.realtime = realtime
        self.position = 0
        self._started_at: float | None = None

    def start(self) -> None:
        if self._started_at is None:  # pacing continues across captures from one source
            self._started_at = time.monotonic()

    def read(self, timeout: float = 0.5) -> np.ndarray | None:
        if self.position >= len(self.samples):
            return None
        end = min(len(self.samples), self.position + self.block)
        if self.realtime:
            if self._started_at is None:
                self._started_at = time.monotonic()
            due = self._started_at + end / SAMPLE_RATE
            wait = due - time.monotonic()
            if wait > timeout:
                time.sleep(timeout)
                return np.zeros(0, dtype=np.float32)
            if wait > 0:
                time.sleep(wait)
        block = self.samples[self.position : end]
        self.position = end
        return block


class FileSource(ArraySource):
    """A WAV or FLAC file as a source (mixed to mono, resampled to 16 kHz)."""

    def __init__(
        self, path: str | Path, *, block_s: float = DEFAULT_BLOCK_S, realtime: bool = False
    ) -> None:
        self.path = Path(path)
        super().__init__(load_audio(self.path), block_s=block_s, realtime=realtime)


class PushSource(AudioSource):
    """Blocks pushed in by another thread (a kiosk, a network stream, the microphone callback).

    push() only copies the block into a queue; end() marks the end of the stream. max_blocks
    bounds the queue (0: unbounded); push() then waits for room.
    """

    def __init__(self, max_blocks: int = 0) -> None:
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=max_blocks)

    def push(self, samples: np.ndarray) -> None:
        """Queue (n,) float32 samples at 16 kHz (copied)."""
        self._queue.put(np.array(samples, dtype=np.float32, copy=True).reshape(-1))

    def end(self) -> None:
        """No more audio will come: read() returns None once the queue is drained."""
        self._queue.put(None)

    def read(self, timeout: float = 0.5) -> np.ndarray | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return np.zeros(0, dtype=np.float32)
        if block is None:
            self._queue.put(None)  # later reads see the end too
        return block

    def drain(self) -> None:
        """Drop everything queued so far (stale audio from before a new capture)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


@dataclass(frozen=True)
class InputDevice:
    """A microphone as PortAudio lists it."""

    index: int
    name: str
    channels: int
    default_samplerate: float
    is_default: bool


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:
        raise SpeechError(
            f"PortAudio is missing ({exc}); install it (Debian: apt-get install libportaudio2) "
            "or use a file source"
        ) from None
    return sounddevice


def list_input_devices() -> list[InputDevice]:
    """The audio input devices PortAudio sees, default first marked."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default_input = sd.default.device[0]
    except sd.PortAudioError as exc:
        raise SpeechError(f"cannot list audio devices: {exc}") from None
    return [
        InputDevice(
            index=i,
            name=str(d["name"]),
            channels=int(d["max_input_channels"]),
            default_samplerate=float(d["default_samplerate"]),
            is_default=i == default_input,
        )
        for i, d in enumerate(devices)
        if d["max_input_channels"] > 0
    ]


def _find_input_device(wanted: str | int | None) -> InputDevice:
    devices = list_input_devices()
    if not devices:
        raise SpeechError(
            "no audio input device found; plug in a microphone (`dreamdraw speech devices` lists "
            "what PortAudio sees) or use a file source"
        )
    if wanted is None or wanted == "":
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(wanted, int) or str(wanted).isdigit():
        index = int(wanted)
        for device in devices:
            if device.index == index:
                return device
    else:
        matches = [d for d in devices if str(wanted).lower() in d.name.lower()]
        if matches:
            return matches[0]
    names = "; ".join(f"{d.index}: {d.name}" for d in devices)
    raise SpeechError(f"no audio input device {wanted!r}; input devices: {names}")


class MicrophoneSource(PushSource):
    """A sounddevice input stream (16 kHz mono float32); its callback only copies into the queue.

    device: index or (part of a) name, None for the default input. When the device refuses
    16 kHz, it is opened at its own rate and blocks are resampled as they are read. At most
    buffer_s seconds wait unread; past that, new blocks are dropped and counted in overflows.
    """

    def __init__(
        self,
        device: str | int | None = None,
        *,
        block_s: float = DEFAULT_BLOCK_S,
        buffer_s: float = 120.0,
    ) -> None:
        super().__init__(max_blocks=max(1, round(buffer_s / block_s)))
        self.device = _find_input_device(device)
        self.block_s = block_s
        self.overflows = 0
        self._stream: Any = None
        self._rate = SAMPLE_RATE

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:  # nobody is reading (a transcription is running): drop, never block
            self.overflows += 1

    def start(self) -> None:
        if self._stream is not None:
            return
        sd = _sounddevice()
        last_error: Exception | None = None
        for rate in (SAMPLE_RATE, int(self.device.default_samplerate)):
            try:
                stream = sd.InputStream(
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    blocksize=max(1, round(self.block_s * rate)),
                    device=self.device.index,
                    callback=self._callback,
                )
                stream.start()
            except sd.PortAudioError as exc:
                last_error = exc
                continue
            self._stream, self._rate = stream, rate
            return
        raise SpeechError(
            f"cannot open microphone {self.device.index}: {self.device.name} ({last_error})"
        )

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def read(self, timeout: float = 0.5) -> np.ndarray | None:
        block = super().read(timeout)
        if block is None or self._rate == SAMPLE_RATE or block.size == 0:
            return block
        return as_mono_16k(block, self._rate)
