"""Device names, parsed once for drawing and speech."""

from __future__ import annotations

import pytest
from dreamdraw.device import DeviceError, parse_device
from dreamdraw.drawing import DrawingError, resolve_device
from dreamdraw.speech.engine import resolve_device as speech_device
from dreamdraw.speech.errors import SpeechError


@pytest.mark.parametrize(
    ("name", "cuda", "expected"),
    [
        ("auto", True, ("cuda", 0)),
        ("auto", False, ("cpu", 0)),
        ("cpu", True, ("cpu", 0)),
        ("cuda", True, ("cuda", 0)),
        ("cuda:1", True, ("cuda", 1)),
    ],
)
def test_device_names_parse_to_kind_and_index(name, cuda, expected) -> None:
    assert parse_device(name, cuda) == expected


@pytest.mark.parametrize("name", ["tpu", "cuda:x", "cpu:0", "", "CUDA"])
def test_unknown_device_names_list_the_known_forms(name: str) -> None:
    with pytest.raises(DeviceError, match=r"unknown device .*; use auto, cpu, cuda or cuda:N"):
        parse_device(name, True)


def test_a_missing_gpu_is_named_with_what_to_use_instead() -> None:
    with pytest.raises(
        DeviceError, match="device cuda:0 was asked for, but no CUDA GPU is usable; use cpu"
    ):
        parse_device("cuda:0", False)


def test_drawing_and_speech_give_the_same_message_in_their_own_error_types() -> None:
    with pytest.raises(DrawingError) as drawing_error:
        resolve_device("tpu")
    with pytest.raises(SpeechError) as speech_error:
        speech_device("tpu", False)
    assert str(drawing_error.value) == str(speech_error.value)
