"""Knowing the room: its speech-band level and spectrum, the rolling tracker and calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from dreamdraw.installation.config import config_from_dict
from dreamdraw.speech import SAMPLE_RATE, ArraySource, SpeechError
from dreamdraw.speech.audio import level_dbfs
from dreamdraw.speech.mixing import mix_at_snr, scale_to_dbfs
from dreamdraw.speech.room import (
    OCTAVE_BANDS_HZ,
    RoomTracker,
    calibrate,
    duck_room,
    measure_room,
    record_seconds,
    speech_band_levels,
    subtract_room,
)

from tests.cli_runner import run_cli
from tests.speech.babble import babble, pink_noise, white_noise
from tests.speech.speech_helpers import dream_audio, silence


def test_white_noise_room_level_is_its_share_in_the_speech_band():
    room = measure_room(white_noise(4.0, level_dbfs=-40.0))
    assert room.level_dbfs == pytest.approx(-40.0 + 10 * np.log10(3100 / 8000), abs=0.5)
    assert room.seconds == 4.0


def test_mains_hum_does_not_raise_the_rooms_speech_band_level():
    t = np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE
    hum = (0.1 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    assert measure_room(hum).level_dbfs < -60.0


def test_pink_noise_spectrum_is_flat_per_octave_and_white_rises_3_db_per_octave():
    pink = measure_room(pink_noise(4.0)).spectrum_dbfs
    white = measure_room(white_noise(4.0)).spectrum_dbfs
    assert len(pink) == len(OCTAVE_BANDS_HZ)
    assert max(pink) - min(pink) < 1.5
    assert np.diff(white) == pytest.approx([3.0] * (len(white) - 1), abs=0.6)


def test_a_room_recording_under_a_second_is_refused():
    with pytest.raises(SpeechError, match="at least 1 s"):
        measure_room(white_noise(0.5))


def test_frame_levels_stream_the_same_as_the_whole_clip():
    noise = white_noise(1.0, level_dbfs=-30.0)[: 30 * 512]
    whole = speech_band_levels(noise)
    from dreamdraw.speech.room import SpeechBandMeter

    meter = SpeechBandMeter()
    streamed = np.concatenate([meter.levels(noise[i : i + 512]) for i in range(0, len(noise), 512)])
    assert streamed == pytest.approx(whole)


def test_tracker_answers_the_calibrated_level_until_a_second_of_room_was_heard():
    tracker = RoomTracker(calibrated_dbfs=-50.0)
    for _ in range(20):
        tracker.add(-30.0)
    assert tracker.level_dbfs == -50.0
    for _ in range(20):
        tracker.add(-30.0)
    assert tracker.level_dbfs == pytest.approx(-30.0)
    assert RoomTracker().level_dbfs is None


def _sentence_over(room: np.ndarray, level_dbfs: float) -> np.ndarray:
    speech = scale_to_dbfs(dream_audio("red_door.wav"), level_dbfs)
    snr = level_dbfs - 20 * np.log10(np.sqrt(np.mean(room[: len(speech)] ** 2)))
    return mix_at_snr(speech, room[: len(speech)], snr)


def test_close_microphone_calibration_proposes_a_wide_margin(babble_cache: Path):
    room = babble(4.0, seed=11, level_dbfs=-45.0, cache=babble_cache)
    result = calibrate(room, _sentence_over(room, -22.0))
    assert result.stand_out_db > 15.0
    assert 8.0 <= result.room_margin_db <= 20.0
    assert result.advice.endswith("good")
    assert result.proposed_settings()["room_dbfs"] == result.room.level_dbfs


def test_far_microphone_calibration_asks_for_the_microphone_to_come_closer(babble_cache: Path):
    room = babble(4.0, seed=11, level_dbfs=-40.0, cache=babble_cache)
    result = calibrate(room, _sentence_over(room, -38.0))
    assert result.stand_out_db < 6.0
    assert result.room_margin_db == 3.0
    assert "closer" in result.advice


def test_a_calibration_sentence_without_voice_is_refused():
    with pytest.raises(SpeechError, match="speak one whole sentence"):
        calibrate(white_noise(3.0, level_dbfs=-50.0), silence(3.0))


def test_recording_stops_at_the_seconds_asked_or_the_end_of_the_stream():
    source = ArraySource(white_noise(3.0), block_s=0.5)
    source.start()
    assert len(record_seconds(source, 1.0)) == SAMPLE_RATE
    assert len(record_seconds(source, 5.0)) == 2 * SAMPLE_RATE


def test_calibrate_command_proposes_settings_the_venue_config_accepts(
    capsys, tmp_path: Path, babble_cache: Path
):
    room = babble(4.0, seed=12, level_dbfs=-42.0, cache=babble_cache)
    soundfile.write(str(tmp_path / "room.wav"), room, SAMPLE_RATE)
    soundfile.write(str(tmp_path / "sentence.wav"), _sentence_over(room, -24.0), SAMPLE_RATE)
    code, out, _ = run_cli(
        capsys,
        "speech",
        "calibrate",
        "--room-file",
        str(tmp_path / "room.wav"),
        "--sentence-file",
        str(tmp_path / "sentence.wav"),
        "--json",
    )
    assert code == 0
    proposed = json.loads(out)["proposed"]
    assert set(proposed) == {"room_dbfs", "room_margin_db", "energy_gate_dbfs"}
    speech = config_from_dict({"speech": proposed}).speech
    assert speech.room_margin_db == proposed["room_margin_db"]
    assert speech.room_dbfs == proposed["room_dbfs"]


def test_calibrate_command_with_a_silent_sentence_is_one_line(capsys, tmp_path: Path):
    soundfile.write(str(tmp_path / "room.wav"), white_noise(2.0, level_dbfs=-50), SAMPLE_RATE)
    soundfile.write(str(tmp_path / "quiet.wav"), silence(2.0), SAMPLE_RATE)
    code, _, err = run_cli(
        capsys,
        "speech",
        "calibrate",
        "--room-file",
        str(tmp_path / "room.wav"),
        "--sentence-file",
        str(tmp_path / "quiet.wav"),
    )
    assert code == 2
    assert err.startswith("error:") and "Traceback" not in err


def test_the_room_is_turned_down_away_from_the_visitor_and_the_voice_keeps_its_level():
    noise = white_noise(4.0, level_dbfs=-30.0)
    visitor = np.zeros(len(noise) // 512, dtype=bool)
    visitor[40:80] = True  # 1.28 s .. 2.56 s
    ducked = duck_room(noise, visitor, floor_db=-20.0)
    assert np.array_equal(ducked[45 * 512 : 75 * 512], noise[45 * 512 : 75 * 512])
    for away in (slice(0, 30 * 512), slice(95 * 512, None)):
        turned_down = level_dbfs(ducked[away]) - level_dbfs(noise[away])
        assert turned_down == pytest.approx(-20.0, abs=0.01)


def test_the_rooms_spectrum_is_taken_out_and_a_voice_standing_above_it_keeps_its_level():
    room = white_noise(4.0, level_dbfs=-40.0)
    t = np.arange(len(room)) / SAMPLE_RATE
    voice = np.where((t >= 1.28) & (t < 2.56), 0.1 * np.sin(2 * np.pi * 1000 * t), 0.0)
    visitor = np.zeros(len(room) // 512, dtype=bool)
    visitor[40:80] = True  # 1.28 s .. 2.56 s
    cleaned = subtract_room((room + voice).astype(np.float32), visitor)
    for away in (slice(0, 30 * 512), slice(95 * 512, None)):
        turned_down = level_dbfs(cleaned[away]) - level_dbfs(room[away])
        assert turned_down == pytest.approx(-12.0, abs=0.5)
    during = slice(45 * 512, 75 * 512)
    assert level_dbfs(cleaned[during]) == pytest.approx(level_dbfs(voice[during]), abs=0.2)


def test_a_clip_with_too_little_room_keeps_its_spectrum():
    noise = white_noise(2.0, level_dbfs=-30.0)
    visitor = np.ones(len(noise) // 512, dtype=bool)
    visitor[:3] = False  # 96 ms away from the voice is too little to know the room by
    assert np.array_equal(subtract_room(noise, visitor), noise)


def test_a_room_full_of_voices_is_taken_out_harder_than_a_room_of_noise():
    room = white_noise(4.0, level_dbfs=-40.0)
    visitor = np.zeros(len(room) // 512, dtype=bool)
    visitor[40:80] = True
    away = slice(0, 30 * 512)
    levels = {}
    for label, heard in (("noise", np.zeros_like(visitor)), ("chatter", np.ones_like(visitor))):
        cleaned = subtract_room(room, visitor, heard)
        levels[label] = level_dbfs(cleaned[away]) - level_dbfs(room[away])
    assert levels["chatter"] == pytest.approx(-12.0, abs=0.5)  # over-subtracted to the floor
    assert -6.0 < levels["noise"] < -2.0  # plain subtraction: the noise's peaks stay
