"""The speech commands: `dreamdraw transcribe`, `dreamdraw listen`, `dreamdraw speech devices`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile
from dreamdraw.speech import Transcript
from dreamdraw.speech.guards import ADVICE_NO_VOICE
from dreamdraw.speech.wer import word_error_rate

from tests.cli_runner import run_cli as _run
from tests.speech.speech_helpers import DATA, silence


def test_transcribe_prints_one_transcript_json_line_per_file_in_order(capsys, tmp_path: Path):
    quiet = tmp_path / "quiet.wav"
    soundfile.write(str(quiet), silence(2.0), 16_000)
    code, out, _ = _run(
        capsys, "transcribe", str(DATA / "red_door.wav"), str(quiet), "--beam-size", "1"
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2
    door, nothing = (Transcript.from_json(line) for line in lines)
    assert word_error_rate("There was a red door in the middle of the sea.", door.text) <= 0.25
    assert nothing.nothing_heard


def test_listen_to_a_file_prints_the_dream_and_says_when_it_was_cut(capsys):
    code, out, _ = _run(
        capsys, "listen", "--file", str(DATA / "long_train.wav"), "--max-length", "4"
    )
    assert code == 0
    assert "train" in out.lower()
    assert "(cut at 4 s)" in out


def test_listen_json_is_a_transcript(capsys):
    code, out, _ = _run(capsys, "listen", "--file", str(DATA / "whale_city.wav"), "--json")
    assert code == 0
    assert "whale" in Transcript.from_json(out).text.lower()


def test_listen_to_silence_says_nothing_heard(capsys, tmp_path: Path):
    quiet = tmp_path / "quiet.wav"
    soundfile.write(str(quiet), np.zeros(32_000, dtype=np.float32), 16_000)
    code, out, _ = _run(capsys, "listen", "--file", str(quiet))
    assert code == 0
    assert out.startswith("(nothing heard:")
    assert out.splitlines()[1] == ADVICE_NO_VOICE


def test_speech_options_come_from_the_venue_config(capsys, tmp_path: Path):
    config = tmp_path / "venue.toml"
    config.write_text('[speech]\nlanguage = "es"\n', encoding="utf-8")
    code, _, err = _run(capsys, "--config", str(config), "transcribe", str(DATA / "whale_city.wav"))
    assert code == 2
    assert "English-only" in err


def test_bad_option_value_is_one_line_not_a_traceback(capsys):
    code, _, err = _run(capsys, "transcribe", str(DATA / "whale_city.wav"), "--beam-size", "0")
    assert code == 2
    assert err.strip() == (
        "error: Invalid value for '--beam-size': must be at least 1, not 0; "
        "see `dreamdraw transcribe --help`"
    )


def test_missing_file_is_one_line_not_a_traceback(capsys, tmp_path: Path):
    code, _, err = _run(capsys, "transcribe", str(tmp_path / "gone.wav"))
    assert code == 2
    assert "does not exist" in err and "Traceback" not in err


def test_speech_devices_lists_input_devices(capsys):
    code, out, _ = _run(capsys, "speech", "devices", "--json")
    assert code == 0
    for line in out.strip().splitlines():
        assert json.loads(line)["channels"] > 0
