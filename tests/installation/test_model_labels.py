"""Honest labels: wherever a random or toy model drew or analysed, its output says so in words,
and a random model's cluster confidence is not shown as if it meant something."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from dreamdraw.archive import open_archive
from dreamdraw.archive.export import export_row
from dreamdraw.archive.web.app import create_app
from dreamdraw.drawing.clip import RANDOM_LABEL, TOY_LABEL
from dreamdraw.installation.cli import cli
from fastapi.testclient import TestClient

VENUE = """
[drawing]
strokes = 8
iterations = 3
augmentations = 0
[analysis]
fixlip = false
figures = false
[plot_queue]
simulator_speedup = 200.0
[show]
status_port = 0
"""


def demo(tmp_path: Path, *args: str) -> Path:
    """One demo dream into a fresh data folder; returns the folder."""
    venue = tmp_path / "venue.toml"
    venue.write_text(VENUE)
    data = tmp_path / "data"
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "demo", "--config", str(venue), *args, "a red house"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory) -> Path:
    return demo(tmp_path_factory.mktemp("toy"), "--rehearse")


@pytest.fixture(scope="module")
def random_data(tmp_path_factory) -> Path:
    return demo(tmp_path_factory.mktemp("random"), "--clip", "test:tiny")


def curator_page(data: Path) -> str:
    with open_archive(data) as archive:
        client = TestClient(
            create_app(archive, public=True, secret="test-secret"),
            base_url="https://testserver",
        )
        page = client.get("/records/1")
    assert page.status_code == 200
    return page.text


def test_a_toy_drawing_says_so_in_its_json_svg_and_png(toy_data):
    from PIL import Image

    folder = toy_data / "demo" / "000001"
    assert json.loads((folder / "drawing.json").read_text())["model_label"] == TOY_LABEL
    assert TOY_LABEL in (folder / "drawing.svg").read_text()
    assert TOY_LABEL in Image.open(folder / "drawing.png").text["Description"]


def test_a_toy_analysis_says_what_measured_it(toy_data):
    analysis = json.loads((toy_data / "demo" / "000001" / "analysis.json").read_text())
    assert analysis["model_label"] == TOY_LABEL
    assert analysis["rationale"].startswith(f"Measured with toy:clip, a {TOY_LABEL}.")


def test_the_curator_page_names_the_toy_model(toy_data):
    page = curator_page(toy_data)
    assert "toy:clip" in page and TOY_LABEL in page
    assert "% confidence" in page  # a trained toy measures something, within its toy world


def test_the_curator_page_shows_no_confidence_for_a_random_model(random_data):
    page = curator_page(random_data)
    assert RANDOM_LABEL in page and "no meaningful confidence: random-weight model" in page
    assert "% confidence" not in page


def test_a_random_analysis_says_its_cluster_means_nothing(random_data):
    analysis = json.loads((random_data / "demo" / "000001" / "analysis.json").read_text())
    assert analysis["model_label"] == RANDOM_LABEL
    assert "this cluster and its confidence mean nothing" in analysis["rationale"]


def test_exports_carry_the_model_in_words(toy_data, random_data):
    for data, note in ((toy_data, TOY_LABEL), (random_data, RANDOM_LABEL)):
        with open_archive(data) as archive:
            assert export_row(archive.get(1))["model_note"] == note


def test_the_kiosk_tells_visitors_the_model_is_not_real(tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import numpy as np
    import pygame
    from dreamdraw.drawing import load_clip
    from dreamdraw.installation.config import config_from_dict
    from dreamdraw.installation.kiosk import _MARGIN, Kiosk
    from dreamdraw.installation.orchestrator import Show

    config = config_from_dict(
        {"drawing": {"clip": "test:tiny"}, "show": {"status_port": 0, "keyboard_only": True}}
    )
    show = Show(config, tmp_path / "data", clip=load_clip("test:tiny"))
    pygame.display.init()
    try:
        surface = pygame.display.set_mode((1280, 720))
        kiosk = Kiosk(show)
        kiosk.render(surface)
        font = kiosk.fonts["small"]
        expected = font.render(f"drawn by test:tiny: {RANDOM_LABEL}", True, kiosk.accent)
        top = surface.get_height() - _MARGIN - font.get_linesize()
        region = surface.subsurface((_MARGIN, top, *expected.get_size()))
        wanted = pygame.Surface(expected.get_size())
        wanted.fill(kiosk.bg)
        wanted.blit(expected, (0, 0))
        shown = pygame.surfarray.array3d(region)
        assert np.abs(shown.astype(int) - pygame.surfarray.array3d(wanted)).max() <= 1
    finally:
        pygame.display.quit()
        show.stop()


def test_analysis_figures_of_a_toy_model_say_so(toy_data, tmp_path):
    from dreamdraw.analysis.pair import analyse_pair
    from dreamdraw.analysis.settings import AnalysisSettings
    from dreamdraw.drawing import Drawing, load_clip
    from PIL import Image

    drawing = Drawing.load(toy_data / "demo" / "000001" / "drawing.json")
    settings = AnalysisSettings(clip="toy:clip", fixlip=False, figures=True)
    result = analyse_pair("a red house", drawing, load_clip("toy:clip"), settings, out_dir=tmp_path)
    assert result.figures
    for name in result.figures:
        note = Image.open(tmp_path / name).text["Description"]
        assert note == f"measured with toy:clip, a {TOY_LABEL}"


def test_analyse_shows_no_confidence_for_a_random_model(random_data, tmp_path, capsys):
    from tests.cli_runner import run_cli

    drawing = random_data / "demo" / "000001" / "drawing.json"
    code, out, err = run_cli(
        capsys, "analyse", "pair", "a red house", str(drawing), "--out", str(tmp_path / "a"),
        "--clip", "test:tiny", "--no-fixlip", "--device", "cpu",
    )  # fmt: skip
    assert code == 0, err
    assert "(no meaningful confidence: random-weight model)" in out
    assert "(confidence " not in out
