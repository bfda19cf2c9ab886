"""Rehearsals without downloaded weights: the toy CLIP shipped with dreamdraw, the packaged
tiny.en, a simulated plotter; and choosing the show's CLIP on the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dreamdraw.drawing.clip
import pytest
from click.testing import CliRunner
from dreamdraw.drawing import DrawSettings, draw, load_clip
from dreamdraw.drawing.clip import TOY_LABEL, TOY_MODEL
from dreamdraw.installation.cli import cli
from dreamdraw.installation.config import Config
from dreamdraw.installation.show_models import rehearsal_config, use_clip
from dreamdraw.installation.status import read_status
from dreamdraw.speech import SpeechSettings

REHEARSAL_VENUE = """
[venue]
name = "rehearsal venue"
[drawing]
strokes = 12
iterations = 20
augmentations = 1
[analysis]
fixlip = false
figures = false
[plot_queue]
simulator_speedup = 200.0
[show]
status_port = 0
"""


@pytest.fixture
def venue(tmp_path: Path) -> Path:
    path = tmp_path / "venue.toml"
    path.write_text(REHEARSAL_VENUE)
    return path


def test_toy_clip_ships_with_dreamdraw_and_is_labelled_as_a_toy():
    clip = load_clip(TOY_MODEL)
    assert clip.is_toy and not clip.is_random and clip.label == TOY_LABEL
    package = Path(dreamdraw.drawing.clip.__file__).parent
    assert clip.weights_path == package / "toy_clip"  # package data, installed with dreamdraw


@pytest.mark.parametrize(("prompt", "pen"), [("a red house", "red"), ("two blue fish", "blue")])
def test_a_rehearsal_drawing_takes_the_colour_the_prompt_names(prompt, pen):
    settings = DrawSettings(
        clip=TOY_MODEL,
        device="cpu",
        seed=0,
        canvas_px=64,
        strokes=8,
        iterations=30,
        augmentations=2,
        prune=False,
    )
    drawing = draw(prompt, settings)
    names = {p.id: p.name for p in drawing.pens}
    used = Counter(names[s.pen] for s in drawing.strokes)
    assert used.most_common(1)[0][0] == pen, used


def test_rehearsal_config_needs_no_downloaded_model():
    venue = Config(speech=SpeechSettings(model="small"))
    config = rehearsal_config(venue)
    assert config.drawing.clip == config.analysis.clip == TOY_MODEL
    assert config.speech.model == "tiny.en" and config.speech.engine == "faster-whisper"
    assert config.plot_queue.enabled and config.plot_queue.simulate


def test_run_and_demo_clip_options_set_drawing_and_analysis_alike():
    config = use_clip(Config(), "ViT-B-32", "/models/ViT-B-32.pt")
    for section in (config.drawing, config.analysis):
        assert (section.clip, section.clip_checkpoint) == ("ViT-B-32", "/models/ViT-B-32.pt")
    assert use_clip(Config(), None, None) == Config()


def test_demo_rehearse_runs_a_dream_end_to_end_without_downloaded_weights(
    tmp_path, venue, hub_cache_at
):
    hub_cache_at(tmp_path / "empty-hub-cache")
    data = tmp_path / "data"
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "demo", "--config", str(venue), "--rehearse", "a red house"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"rehearsal: drawing with toy:clip ({TOY_LABEL})" in result.output
    assert "archived as record 1 (plot status plotted)" in result.output
    drawing = json.loads((data / "demo" / "000001" / "drawing.json").read_text())
    assert drawing["model_id"] == TOY_MODEL


def test_run_rehearse_starts_the_show_without_downloaded_weights(tmp_path, venue):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
        "DREAMDRAW_DATA_DIR": str(data),
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(tmp_path / "empty-hub-cache"),
    }
    show = subprocess.Popen(
        [sys.executable, "-m", "dreamdraw", "run", "--config", str(venue), "--rehearse"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (read_status(data) or {}).get("running"):
            assert show.poll() is None, show.communicate()
            time.sleep(0.5)
        status = read_status(data) or {}
        assert status.get("running"), f"the rehearsal was not running after 180 s: {status}"
        assert status["state"] == "attract" and status["plotter"]["state"] == "idle"
    finally:
        show.send_signal(signal.SIGTERM)
        out, err = show.communicate(timeout=60)
    assert show.returncode == 130, err
    assert out.startswith(f"rehearsal: drawing with toy:clip ({TOY_LABEL}), simulated plotter")
    assert "Traceback" not in err


def test_the_wheel_carries_the_toy_clip(tmp_path):
    """The wheel `pip install .` builds (setuptools, from a copy of the sources) holds the toy
    CLIP's config and weights, so an installed dreamdraw rehearses without the repository."""
    import shutil
    import zipfile

    root = Path(__file__).resolve().parents[2]
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    for folder in ("common", "installation", "drawing", "plotter", "speech", "analysis", "archive"):
        shutil.copytree(
            root / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    script = "import sys, setuptools.build_meta as b; print(b.build_wheel(sys.argv[1]))"
    built = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "dist")],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = tmp_path / "dist" / built.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("open_clip_config.json", "open_clip_pytorch_model.bin"):
        assert f"dreamdraw/drawing/toy_clip/{name}" in names
