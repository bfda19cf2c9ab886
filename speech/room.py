"""Knowing the room: its level and spectrum, so that a dream is speech that stands out from it.

Levels here are speech-band levels: the audio band-passed to 300-3400 Hz (where voices carry
their words) before the RMS level is taken, so ventilation rumble or hiss that does not
mask a voice does not raise the room's level. Other people talking nearby are part of the room.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

import numpy as np
from dreamdraw.speech.audio import SAMPLE_RATE, level_dbfs
from dreamdraw.speech.errors import SpeechError
from dreamdraw.speech.settings import SpeechSettings
from dreamdraw.speech.sources import AudioSource
from dreamdraw.speech.vad import FRAME_SAMPLES, voiced_frames

__all__ = [
    "OCTAVE_BANDS_HZ",
    "SPEECH_BAND_HZ",
    "Calibration",
    "RoomProfile",
    "RoomTracker",
    "SpeechBandMeter",
    "calibrate",
    "duck_room",
    "energy_mean_dbfs",
    "measure_room",
    "record_seconds",
    "speech_band_levels",
    "subtract_room",
]

SPEECH_BAND_HZ = (300.0, 3400.0)
OCTAVE_BANDS_HZ: tuple[float, ...] = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)
_MIN_ROOM_S = 1.0  # a room heard for less than this is not known yet
_DUCK_HOLD_FRAMES = 5  # the room stays up this many frames (160 ms) around the visitor's voice
_DUCK_SMOOTH_FRAMES = 5  # and the gain glides over this many frames, so no clicks
_MIN_SENTENCE_VOICE_S = 0.8  # a calibration sentence needs this much voice
_STFT_SAMPLES, _STFT_HOP = 512, 128  # spectral subtraction: 32 ms Hann windows, 8 ms apart
_MIN_ROOM_SUBTRACT_S = 0.25  # a clip with less of the room than this keeps its spectrum


class SpeechBandMeter:
    """Speech-band level (dBFS) of consecutive 512-sample frames (32 ms at 16 kHz), streaming.

    The band-pass filter keeps its state between calls, so a stream fed frame by frame gives
    the same levels as the whole clip at once.
    """

    def __init__(self) -> None:
        from scipy.signal import butter, sosfilt_zi

        self._sos = butter(4, SPEECH_BAND_HZ, btype="band", fs=SAMPLE_RATE, output="sos")
        self._initial = sosfilt_zi(self._sos) * 0.0
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far."""
        self._state = self._initial.copy()

    def levels(self, samples: np.ndarray) -> np.ndarray:
        """(n,) float32 samples, n a multiple of 512 -> (n // 512,) speech-band levels in dBFS."""
        from scipy.signal import sosfilt

        filtered, self._state = sosfilt(
            self._sos, np.asarray(samples, dtype=np.float64), zi=self._state
        )
        frames = filtered.reshape(-1, FRAME_SAMPLES)
        return np.array([level_dbfs(frame) for frame in frames])


def speech_band_levels(audio: np.ndarray) -> np.ndarray:
    """Speech-band level (dBFS) of every 32 ms frame of a clip (16 kHz), the last one zero-padded."""
    padded = np.pad(np.asarray(audio, dtype=np.float32), (0, (-len(audio)) % FRAME_SAMPLES))
    return SpeechBandMeter().levels(padded)


def energy_mean_dbfs(levels_dbfs: np.ndarray) -> float:
    """The level (dBFS) of frames taken together: the mean of their powers, not of their dB."""
    if levels_dbfs.size == 0:
        raise SpeechError("no audio to measure a level from")
    return float(10.0 * np.log10(np.mean(10.0 ** (np.asarray(levels_dbfs) / 10.0))))


@dataclass(frozen=True)
class RoomProfile:
    """What the room sounds like: speech-band level, octave-band spectrum (dBFS), seconds heard.

    spectrum_dbfs holds one level per OCTAVE_BANDS_HZ centre (125 Hz .. 4 kHz).
    """

    level_dbfs: float
    spectrum_dbfs: tuple[float, ...]
    seconds: float

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return asdict(self)


def measure_room(audio: np.ndarray) -> RoomProfile:
    """Measure a room from (n,) float32 audio at 16 kHz recorded while nobody spoke to the kiosk."""
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) < _MIN_ROOM_S * SAMPLE_RATE:
        raise SpeechError(
            f"the room recording is {len(audio) / SAMPLE_RATE:.2f} s; "
            f"give at least {_MIN_ROOM_S:g} s of the room"
        )
    return RoomProfile(
        level_dbfs=round(energy_mean_dbfs(speech_band_levels(audio)), 2),
        spectrum_dbfs=tuple(round(level, 2) for level in _octave_levels(audio)),
        seconds=round(len(audio) / SAMPLE_RATE, 3),
    )


def _octave_levels(audio: np.ndarray) -> list[float]:
    """Level (dBFS) in each octave band around OCTAVE_BANDS_HZ, from the power spectrum."""
    from scipy.signal import welch

    frequencies, power = welch(audio, fs=SAMPLE_RATE, nperseg=2048)
    step = frequencies[1] - frequencies[0]
    levels = []
    for centre in OCTAVE_BANDS_HZ:
        band = (frequencies >= centre / np.sqrt(2)) & (frequencies < centre * np.sqrt(2))
        # The density summed over the band is the band's share of the mean square.
        levels.append(float(10.0 * np.log10(np.sum(power[band]) * step + 1e-12)))
    return levels


def duck_room(audio: np.ndarray, visitor: np.ndarray, floor_db: float = -20.0) -> np.ndarray:
    """The room turned down by floor_db (dB, negative) where the visitor is not speaking.

    audio: (n,) float32 at 16 kHz; visitor: (frames,) bool, the visitor's voice per 512-sample
    frame of audio. Whisper given chatter between a visitor's words fills the gaps with the
    chatter's words; turned down, the gaps stay gaps. The visitor's voice keeps its level (it
    is held 160 ms either side of each voiced frame) and the gain glides between the two.
    """
    hold = np.ones(2 * _DUCK_HOLD_FRAMES + 1)
    near = np.convolve(visitor.astype(float), hold, mode="same") > 0
    gain = np.where(near, 1.0, 10.0 ** (floor_db / 20.0))
    edge = _DUCK_SMOOTH_FRAMES // 2
    smooth = np.ones(_DUCK_SMOOTH_FRAMES) / _DUCK_SMOOTH_FRAMES
    gain = np.convolve(np.pad(gain, edge, mode="edge"), smooth, mode="valid")
    per_sample = np.repeat(gain, FRAME_SAMPLES)[: len(audio)]
    per_sample = np.pad(per_sample, (0, len(audio) - len(per_sample)), mode="edge")
    return (audio * per_sample).astype(np.float32)


def subtract_room(
    audio: np.ndarray,
    visitor: np.ndarray,
    heard: np.ndarray | None = None,
    over_db: float = 10.0,
    floor_db: float = -12.0,
) -> np.ndarray:
    """The room's long-term spectrum taken out of a clip (spectral subtraction, over-subtracted).

    audio: (n,) float32 at 16 kHz; visitor: (frames,) bool, the visitor's voice per 512-sample
    frame; heard: (frames,) bool, any voice (the room's chatter included), or None. The room's
    power spectrum is the mean over the clip's own frames away from the visitor (160 ms or
    more from the voice): the same room, microphone and level as under the dream. Each
    time-frequency bin keeps the share of its power above that spectrum raised by over_db (dB)
    times the share of the room's frames that are voice (all of over_db when heard is None):
    chatter peaks well above its own mean, so plain subtraction leaves most of it, while the
    visitor, close to the microphone, stands that far above the room; steady noise does not
    peak, and over-subtracting it would take the visitor's quiet consonants too. No bin
    is turned down by more than floor_db (dB, negative), so none drops to silence (musical
    noise). A clip with under 0.25 s of room is returned as it is.
    """
    from scipy.signal import istft, stft

    audio = np.asarray(audio, dtype=np.float32)
    overlap = _STFT_SAMPLES - _STFT_HOP
    _, times, spectrum = stft(audio, fs=SAMPLE_RATE, nperseg=_STFT_SAMPLES, noverlap=overlap)
    hold = np.ones(2 * _DUCK_HOLD_FRAMES + 1)
    near = np.convolve(visitor.astype(float), hold, mode="same") > 0
    frame = np.minimum(np.rint(times * SAMPLE_RATE).astype(int) // FRAME_SAMPLES, len(near) - 1)
    room = ~near[frame]
    if room.sum() * _STFT_HOP < _MIN_ROOM_SUBTRACT_S * SAMPLE_RATE:
        return audio
    power = np.abs(spectrum) ** 2
    room_power = power[:, room].mean(axis=1, keepdims=True)
    if heard is not None:
        over_db = over_db * float(heard[frame][room].mean())
    over, floor = 10.0 ** (over_db / 10.0), 10.0 ** (floor_db / 10.0)
    gain = np.sqrt(np.maximum(1.0 - over * room_power / np.maximum(power, 1e-20), floor))
    _, cleaned = istft(spectrum * gain, fs=SAMPLE_RATE, nperseg=_STFT_SAMPLES, noverlap=overlap)
    return cleaned[: len(audio)].astype(np.float32)


class RoomTracker:
    """The room's speech-band level (dBFS) over the last window_s seconds nobody spoke to the kiosk.

    Fed the level of every frame heard between visitors; until min_s seconds have been heard it
    answers the calibrated level it started with (or None when there is none).
    """

    def __init__(
        self, calibrated_dbfs: float | None = None, window_s: float = 5.0, min_s: float = 1.0
    ) -> None:
        frame_s = FRAME_SAMPLES / SAMPLE_RATE
        self.calibrated_dbfs = calibrated_dbfs
        self._levels: deque[float] = deque(maxlen=max(1, round(window_s / frame_s)))
        self._min_frames = max(1, round(min_s / frame_s))

    def add(self, frame_level_dbfs: float) -> None:
        """Add one frame's speech-band level (dBFS) heard while no dream was being told."""
        self._levels.append(frame_level_dbfs)

    @property
    def level_dbfs(self) -> float | None:
        """The room's level now (dBFS), or None when it is not known."""
        if len(self._levels) < self._min_frames:
            return self.calibrated_dbfs
        return energy_mean_dbfs(np.array(self._levels))


@dataclass(frozen=True)
class Calibration:
    """One calibration: the empty room, one spoken sentence, and the settings they suggest.

    speech_dbfs is the speech-band level (dBFS) of the sentence's voiced frames; stand_out_db
    how far it is above the room; the proposal puts the margin halfway, between 3 and 20 dB.
    """

    room: RoomProfile
    speech_dbfs: float
    voiced_s: float
    room_margin_db: float
    energy_gate_dbfs: float
    advice: str

    @property
    def stand_out_db(self) -> float:
        return round(self.speech_dbfs - self.room.level_dbfs, 2)

    def proposed_settings(self) -> dict[str, float]:
        """The [speech] keys to put in the venue config."""
        return {
            "room_dbfs": self.room.level_dbfs,
            "room_margin_db": self.room_margin_db,
            "energy_gate_dbfs": self.energy_gate_dbfs,
        }


def calibrate(
    room_audio: np.ndarray, sentence_audio: np.ndarray, settings: SpeechSettings | None = None
) -> Calibration:
    """Propose room settings from the empty room and one sentence spoken as a visitor would.

    Both (n,) float32 at 16 kHz, from the venue's own microphone where it will stand. Raises
    SpeechError when the sentence has too little voice to measure.
    """
    settings = settings or SpeechSettings()
    room = measure_room(room_audio)
    sentence = np.asarray(sentence_audio, dtype=np.float32)
    voiced = voiced_frames(sentence, settings.vad_threshold, -120.0)
    levels = speech_band_levels(sentence)[: len(voiced)]
    voiced_s = float(voiced.sum()) * FRAME_SAMPLES / SAMPLE_RATE
    if voiced_s < _MIN_SENTENCE_VOICE_S:
        raise SpeechError(
            f"the spoken sentence has {voiced_s:.2f} s of voice; speak one whole sentence "
            "into the microphone as a visitor would"
        )
    speech = energy_mean_dbfs(levels[voiced])
    stand_out = speech - room.level_dbfs
    margin = round(float(np.clip(stand_out / 2.0, 3.0, 20.0)), 1)
    # A little under the room itself: quieter frames are never a visitor's voice.
    broadband_room = level_dbfs(np.asarray(room_audio, dtype=np.float32))
    gate = round(float(np.clip(broadband_room - 6.0, -70.0, -30.0)), 1)
    if stand_out < 6.0:
        advice = (
            f"the voice is only {stand_out:.1f} dB above the room: bring the microphone closer "
            "to the visitor (a handheld or gooseneck mic), or the room will drown dreams"
        )
    elif stand_out < 12.0:
        advice = (
            f"the voice is {stand_out:.1f} dB above the room, as with a boundary mic on a table: "
            "visitors should lean in and speak up"
        )
    else:
        advice = f"the voice is {stand_out:.1f} dB above the room: good"
    return Calibration(room, round(speech, 2), round(voiced_s, 2), margin, gate, advice)


def record_seconds(source: AudioSource, seconds: float) -> np.ndarray:
    """Read up to `seconds` of audio from a started source: (n,) float32 at 16 kHz.

    Stops early when the stream ends (a file shorter than asked for).
    """
    wanted = round(seconds * SAMPLE_RATE)
    blocks: list[np.ndarray] = []
    total = 0
    while total < wanted:
        block = source.read(timeout=0.5)
        if block is None:
            break
        blocks.append(block)
        total += len(block)
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks)[:wanted].astype(np.float32, copy=False)
