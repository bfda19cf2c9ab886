"""The real microphone path (sounddevice, PortAudio, ALSA) with a virtual input device.

ALSA's `file` plugin makes a capture device that plays a raw file into PortAudio, so the
sounddevice stream, its callback and the queue run for real without a sound card. Each test
runs in a fresh process whose $HOME holds the .asoundrc naming that device.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dreamdraw.speech import Transcript
from dreamdraw.speech.wer import word_error_rate

from tests.speech.speech_helpers import dream_audio, silence

ASOUNDRC = """
pcm.dreamfile {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{infile}"
    format "raw"
    hint {{
        show on
        description "a dream played from a file"
    }}
}}
"""


@pytest.fixture
def virtual_microphone(tmp_path: Path) -> dict[str, str]:
    """The environment for a process whose only input device, "dreamfile", says a dream."""
    audio = np.concatenate([silence(0.5), dream_audio("whale_city.wav")])
    infile = tmp_path / "dream.f32"
    audio.astype("<f4").tofile(infile)  # the stream reads float32 frames, as we open it
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(infile=infile), encoding="utf-8")
    return {**os.environ, "HOME": str(tmp_path)}


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_input_devices_list_the_virtual_microphone(virtual_microphone):
    code = "from speech import list_input_devices; print([d.name for d in list_input_devices()])"
    result = _python(virtual_microphone, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['dreamfile']"


LISTEN = """
from dreamdraw.speech import MicrophoneSource, listen, load_engine
engine = load_engine(model="tiny.en", device="cpu", cpu_threads=2)
with MicrophoneSource("dreamfile") as microphone:
    print(listen(microphone, engine, on_capture=lambda _: microphone.stop()).to_json())
"""


def test_listen_hears_a_dream_through_the_microphone_stream(virtual_microphone):
    result = _python(virtual_microphone, "-c", LISTEN)
    assert result.returncode == 0, result.stderr
    transcript = Transcript.from_json(result.stdout)
    assert (
        word_error_rate("I dreamed of a whale flying over a sleeping city.", transcript.text)
        <= 0.25
    )


def test_unknown_microphone_name_lists_the_real_ones(virtual_microphone):
    code = "from speech import MicrophoneSource; MicrophoneSource('studio')"
    result = _python(virtual_microphone, "-c", code)
    assert (
        "SpeechError: no audio input device 'studio'; input devices: 0: dreamfile" in result.stderr
    )
