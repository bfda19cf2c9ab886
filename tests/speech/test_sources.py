"""Audio sources: files, in-memory arrays and the microphone's error messages."""

from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np
import pytest
import soundfile
from dreamdraw.speech import SAMPLE_RATE, ArraySource, FileSource, MicrophoneSource, SpeechError
from dreamdraw.speech import sources as sources_module

from tests.speech.speech_helpers import DATA, dream_audio


def _read_all(source) -> np.ndarray:
    blocks = []
    with source:
        while (block := source.read()) is not None:
            blocks.append(block)
    return np.concatenate(blocks)


def test_wav_file_source_gives_the_whole_file_in_blocks():
    source = FileSource(DATA / "whale_city.wav", block_s=0.1)
    audio = _read_all(source)
    assert np.array_equal(audio, dream_audio("whale_city.wav"))


def test_flac_file_at_another_rate_is_resampled_to_16k(tmp_path: Path):
    audio = dream_audio("red_door.wav")
    path = tmp_path / "dream.flac"
    from scipy.signal import resample_poly

    soundfile.write(str(path), resample_poly(audio, 3, 1), 48_000)
    loaded = _read_all(FileSource(path))
    assert abs(len(loaded) - len(audio)) <= 2
    assert np.corrcoef(loaded[: len(audio)], audio[: len(loaded)])[0, 1] > 0.95


def test_missing_or_unreadable_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(SpeechError, match="does not exist"):
        FileSource(tmp_path / "nothing.wav")
    bad = tmp_path / "dream.wav"
    bad.write_text("not audio")
    with pytest.raises(SpeechError, match="WAV or FLAC"):
        FileSource(bad)


def test_array_source_ends_with_none():
    source = ArraySource(np.ones(1000, dtype=np.float32), block_s=0.032)
    assert len(source.read()) == 512
    assert len(source.read()) == 488
    assert source.read() is None


def test_realtime_array_source_is_paced_like_a_microphone():
    import time

    source = ArraySource(np.zeros(SAMPLE_RATE // 2, dtype=np.float32), realtime=True)
    started = time.monotonic()
    _read_all(source)
    assert time.monotonic() - started >= 0.45


def test_missing_portaudio_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    real_import = builtins.__import__

    def no_portaudio(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(SpeechError, match="PortAudio is missing.*libportaudio2"):
        MicrophoneSource()


def test_no_input_device_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources_module, "list_input_devices", lambda: [])
    with pytest.raises(SpeechError, match="no audio input device"):
        MicrophoneSource()


def _one_microphone() -> list[sources_module.InputDevice]:
    return [sources_module.InputDevice(3, "USB Gooseneck Mic", 1, 48_000.0, True)]


def test_unknown_device_name_lists_the_devices_there_are(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources_module, "list_input_devices", _one_microphone)
    with pytest.raises(SpeechError, match="3: USB Gooseneck Mic"):
        MicrophoneSource("Studio")


def test_device_is_found_by_part_of_its_name_or_its_index(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources_module, "list_input_devices", _one_microphone)
    assert MicrophoneSource("gooseneck").device.index == 3
    assert MicrophoneSource("3").device.index == 3
    assert MicrophoneSource().device.index == 3


def test_microphone_callback_only_copies_into_the_queue(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources_module, "list_input_devices", _one_microphone)
    microphone = MicrophoneSource()
    indata = np.full((512, 1), 0.25, dtype=np.float32)
    microphone._callback(indata, 512, None, None)
    indata[:] = 0.0  # PortAudio reuses its buffer
    block = microphone.read(timeout=0.1)
    assert block.shape == (512,) and np.all(block == 0.25)


def test_list_input_devices_answers_without_a_microphone():
    devices = sources_module.list_input_devices()
    assert all(d.channels > 0 for d in devices)


def test_microphone_drops_blocks_instead_of_blocking_when_nobody_reads(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(sources_module, "list_input_devices", _one_microphone)
    microphone = MicrophoneSource(block_s=0.032, buffer_s=0.1)  # room for 3 blocks
    block = np.zeros((512, 1), dtype=np.float32)
    for _ in range(5):
        microphone._callback(block, 512, None, None)
    assert microphone.overflows == 2
