"""Dreams drawn as pen strokes: the stroke model, a differentiable rasterizer, CLIP, CLIPDraw."""

from dreamdraw.drawing.augment import augment, augment_grid, letterbox, through_views
from dreamdraw.drawing.clip import DEFAULT_CLIP, TEST_MODEL, ClipModel, load_clip, pull_clip
from dreamdraw.drawing.clipdraw import DrawProgress, draw, resolve_device, score_drawing
from dreamdraw.drawing.errors import ClipModelMissing, DrawingError
from dreamdraw.drawing.model import DEFAULT_PENS, Drawing, Pen, Stroke, parse_color, parse_pens
from dreamdraw.drawing.paper import Paper, parse_paper
from dreamdraw.drawing.raster import (
    StrokeBatch,
    ink_layers,
    rasterize,
    render_drawing,
    strokes_to_batch,
)
from dreamdraw.drawing.settings import DrawSettings

__all__ = [
    "DEFAULT_CLIP",
    "DEFAULT_PENS",
    "TEST_MODEL",
    "ClipModel",
    "ClipModelMissing",
    "DrawProgress",
    "DrawSettings",
    "Drawing",
    "DrawingError",
    "Paper",
    "Pen",
    "Stroke",
    "StrokeBatch",
    "augment",
    "augment_grid",
    "draw",
    "letterbox",
    "load_clip",
    "parse_color",
    "parse_paper",
    "parse_pens",
    "pull_clip",
    "rasterize",
    "ink_layers",
    "render_drawing",
    "resolve_device",
    "score_drawing",
    "strokes_to_batch",
    "through_views",
]
