"""Regenerate the spoken test dreams in tests/speech/data/ with espeak-ng and sox.

Run from anywhere: `python tests/speech/make_wavs.py [--out DIR]`. Needs the Debian packages
espeak-ng and sox (tests/system-packages.sh installs them). Writes one 16 kHz mono
16-bit WAV per dream and `dreams.json`, the manifest the tests read the reference
text, language, voice and speed from.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# (file stem, language, espeak-ng voice, words per minute, text)
DREAMS: list[tuple[str, str, str, int, str]] = [
    ("whale_city", "en", "en-us", 150, "I dreamed of a whale flying over a sleeping city."),
    ("red_door", "en", "en-us", 140, "There was a red door in the middle of the sea."),
    (
        "teeth_falling",
        "en",
        "en-us+f3",
        150,
        "All my teeth were falling out and I could not speak.",
    ),
    (
        "flying_bicycle",
        "en",
        "en-gb",
        150,
        "I was riding a bicycle through the clouds above the mountains.",
    ),
    (
        "school_exam",
        "en",
        "en-us+m3",
        130,
        "I was late for an exam at my old school and the doors were locked.",
    ),
    (
        "forest_house",
        "en",
        "en-gb-scotland",
        145,
        "A small house in the forest was full of singing birds.",
    ),
    (
        "mother_garden",
        "en",
        "en-us+f2",
        175,
        "My mother was planting yellow flowers in a garden on the moon.",
    ),
    (
        "long_train",
        "en",
        "en-us",
        150,
        "I was on a long train at night. Outside the window the fields were covered in snow, "
        "and a white horse was running beside the train, faster and faster, until it flew away.",
    ),
    (
        "es_perro_azul",
        "es",
        "es",
        130,
        "Anoche soñé que volaba sobre la ciudad. Había un perro grande y azul que hablaba "
        "conmigo, y mi abuela cocinaba en la cocina.",
    ),
]


def synthesize(voice: str, speed: int, text: str, out: Path) -> None:
    """Speak text with espeak-ng, then resample to 16 kHz mono 16-bit with sox."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True
        )
        subprocess.run(
            ["sox", str(raw), "-D", "-r", "16000", "-c", "1", "-b", "16", str(out), "norm", "-1"],
            check=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write (default: data/)")
    out = parser.parse_args().out
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing; run tests/system-packages.sh")
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for stem, language, voice, speed, text in DREAMS:
        path = out / f"{stem}.wav"
        synthesize(voice, speed, text, path)
        manifest.append(
            {"file": path.name, "language": language, "voice": voice, "speed": speed, "text": text}
        )
    (out / "dreams.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(manifest)} dreams to {out}")


if __name__ == "__main__":
    main()
