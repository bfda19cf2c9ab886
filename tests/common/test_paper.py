"""One paper for drawing and plotter: vpype's sizes, one [paper] table in the venue config."""

from __future__ import annotations

import pytest
import vpype as vp
from dreamdraw.drawing import DrawingError, DrawSettings
from dreamdraw.installation.config import ConfigError, config_from_dict
from dreamdraw.paper import PAPER_SIZES_MM, PaperError, parse_paper
from dreamdraw.plotter import PlotterError, PlotterSettings


def test_named_sizes_are_vpypes_page_sizes_in_mm() -> None:
    mm = vp.convert_length("1mm")
    vpype_sizes = {
        name.upper(): (round(w / mm, 2), round(h / mm, 2))
        for name, (w, h) in vp.PAGE_SIZES.items()
        if name != "tight"
    }
    assert vpype_sizes == PAPER_SIZES_MM


def test_named_sizes_lie_landscape_unless_told_portrait() -> None:
    assert parse_paper("A4").width_mm == 297 and parse_paper("A4").height_mm == 210
    assert parse_paper("a4", "portrait").width_mm == 210
    assert parse_paper("A5-portrait").label() == "A5 portrait"


def test_custom_sizes_are_taken_as_given() -> None:
    paper = parse_paper("300x200mm", "portrait")
    assert (paper.width_mm, paper.height_mm) == (300, 200)


def test_unknown_size_names_every_known_one() -> None:
    with pytest.raises(PaperError, match="use one of A6, .*TABLOID, or WxHmm"):
        parse_paper("B9")


def test_drawing_and_plotter_get_the_one_sheet_of_the_config() -> None:
    config = config_from_dict({"paper": {"size": "A3", "orientation": "portrait"}})
    assert config.drawing.sheet() == config.plotter.sheet() == parse_paper("A3", "portrait")


@pytest.mark.parametrize("table", ["drawing", "plotter"])
def test_a_part_of_its_own_paper_key_is_refused_with_the_key_to_use(table: str) -> None:
    with pytest.raises(ConfigError, match=rf"{table}.paper is set once .* use size in \[paper\]"):
        config_from_dict({table: {"paper": "A3"}})


def test_a_bad_paper_in_the_config_names_the_table() -> None:
    with pytest.raises(ConfigError, match="paper: unknown paper size 'B9'"):
        config_from_dict({"paper": {"size": "B9"}})


def test_each_part_reports_a_bad_sheet_in_its_own_error_type() -> None:
    with pytest.raises(DrawingError, match="unknown paper size"):
        DrawSettings(paper="B9").sheet()
    with pytest.raises(PlotterError, match="unknown paper size"):
        PlotterSettings(paper="B9").sheet()
