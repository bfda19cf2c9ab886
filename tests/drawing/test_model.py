"""The stroke model: JSON round trip, SVG in mm with a layer per pen, PNG at any size."""

from __future__ import annotations

import pytest
import vpype
from dreamdraw.drawing import Drawing, DrawingError, Pen, Stroke, parse_pens
from dreamdraw.paper import PaperError, parse_paper
from PIL import Image


def sample_drawing(prompt: str = "a fish <b>&</b> a boat") -> Drawing:
    pens = [Pen(1, "#000000", 0.8, "black"), Pen(2, "#c8102e", 0.5, "red")]
    strokes = [
        Stroke(1, [(10, 10), (40, 12), (60, 40), (90, 50)]),
        Stroke(
            2, [(100, 100), (120, 90), (140, 110), (160, 100), (180, 90), (200, 120), (220, 100)]
        ),
        Stroke(1, [(20, 200), (60, 180), (100, 210), (150, 190)]),
    ]
    return Drawing(
        317, 224, parse_paper("A4"), pens, strokes, prompt=prompt, seed=7, model_id="test:tiny"
    )


def test_json_round_trip_keeps_every_field():
    drawing = sample_drawing()
    drawing.scores = [(10, 0.2), (20, 0.25)]
    drawing.final_score = 0.3
    again = Drawing.from_json(drawing.to_json())
    assert again == drawing


def test_malformed_json_is_a_clear_error():
    with pytest.raises(DrawingError, match="malformed"):
        Drawing.from_json("{not json")
    with pytest.raises(DrawingError, match="not a dreamdraw drawing"):
        Drawing.from_json('{"strokes": []}')


def test_stroke_needs_3k_plus_1_points():
    with pytest.raises(DrawingError, match="3k\\+1"):
        Stroke(1, [(0, 0), (1, 1), (2, 2)])


def test_svg_is_in_mm_with_one_inkscape_layer_per_pen_and_escaped_text(tmp_path):
    drawing = sample_drawing()
    svg = drawing.to_svg()
    assert 'width="297mm" height="210mm"' in svg
    assert 'stroke-linecap="round"' in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    path = tmp_path / "d.svg"
    path.write_text(svg)
    document = vpype.read_multilayer_svg(str(path), quantization=0.1)
    assert sorted(document.layers) == [1, 2]
    assert len(document.layers[1]) == 2 and len(document.layers[2]) == 1
    # vpype works in CSS px (96 per inch): the drawing spans the paper's mm.
    xmin, ymin, xmax, ymax = document.bounds()
    mm = 96 / 25.4
    assert xmin == pytest.approx(10 * drawing.mm_per_px * mm, rel=0.02)
    assert xmax == pytest.approx(220 * drawing.mm_per_px * mm, rel=0.02)


def test_png_renders_at_any_resolution(tmp_path):
    drawing = sample_drawing()
    for width in (317, 1000):
        path = tmp_path / f"d{width}.png"
        drawing.to_png(path, width)
        image = Image.open(path)
        assert image.size == (width, round(224 * width / 317))
        assert min(image.convert("L").getextrema()) < 64  # ink is visible


def test_paper_sizes_parse_and_reject_unknown():
    assert parse_paper("A4").width_mm == 297 and parse_paper("A4").height_mm == 210
    assert parse_paper("A5-portrait").width_mm == 148
    assert parse_paper("300x200mm").width_mm == 300
    assert parse_paper("A4").canvas_size(224) == (317, 224)
    with pytest.raises(PaperError, match="unknown paper size"):
        parse_paper("B7")


def test_pens_parse_from_the_command_line_form():
    pens = parse_pens("#000000:0.8, #c8102e:0.5")
    assert [(p.id, p.color, p.width_mm) for p in pens] == [(1, "#000000", 0.8), (2, "#c8102e", 0.5)]
    with pytest.raises(DrawingError):
        parse_pens("#zzzzzz")
