"""Dreams drawn as pen strokes: the stroke model, a differentiable rasterizer, CLIP, CLIPDraw."""

from drawing.errors import ClipModelMissing, DrawingError
from drawing.model import DEFAULT_PENS, Drawing, Pen, Stroke, parse_color
from drawing.paper import Paper, parse_paper
from drawing.settings import DrawSettings

__all__ = [
    "ClipModelMissing",
    "DEFAULT_PENS",
    "DrawSettings",
    "Drawing",
    "DrawingError",
    "Paper",
    "Pen",
    "Stroke",
    "parse_color",
    "parse_paper",
]
