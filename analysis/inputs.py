"""Turning what is analysed into tensors: a dream's words and a drawing's pixels."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from dreamdraw.analysis.errors import AnalysisError
from dreamdraw.drawing import Drawing, DrawingError, letterbox
from torch import Tensor
from torch.nn import functional as F

__all__ = ["load_picture", "square_image", "dream_words", "check_not_blank", "RASTER_PX"]

RASTER_PX = 448  # render width (px) of drawings and foreign SVGs before CLIP's resize
_WORD = re.compile(r"\S+")


def dream_words(text: str) -> list[str]:
    """The dream's words as spoken (whitespace-separated, punctuation kept on its word)."""
    words = _WORD.findall(text)
    if not words:
        raise AnalysisError("the dream text is empty; give the words the visitor said")
    return words


def load_picture(source: str | Path | Drawing | Tensor) -> tuple[Tensor, Drawing | None]:
    """An RGB image [3, H, W] in [0, 1] and, when there is one, the Drawing it came from.

    source: a Drawing, an image tensor [3, H, W], or a path to a dreamdraw drawing
    (.json), a raster image (.png, .jpg, ...) or an SVG (our own or any line art).
    """
    if isinstance(source, Drawing):
        return source.render(RASTER_PX), source
    if isinstance(source, Tensor):
        if source.ndim != 3 or source.shape[0] != 3:
            raise AnalysisError(f"an image tensor must be [3, H, W], got {tuple(source.shape)}")
        return source.float().clamp(0, 1), None
    path = Path(source)
    if not path.is_file():
        raise AnalysisError(f"drawing file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            drawing = Drawing.load(path)
        except DrawingError as exc:
            raise AnalysisError(f"cannot read drawing {path}: {exc}") from None
        return drawing.render(RASTER_PX), drawing
    if suffix == ".svg":
        return _rasterise_svg(path), None
    return _read_raster(path), None


def _read_raster(path: Path) -> Tensor:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("RGBA", "LA", "P"):
                img = img.convert("RGBA")
                paper = Image.new("RGBA", img.size, (255, 255, 255, 255))
                img = Image.alpha_composite(paper, img)
            rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise AnalysisError(
            f"cannot read image {path} ({exc}); give a PNG or JPEG, an SVG, or a dreamdraw .json"
        ) from None
    return torch.from_numpy(rgb).permute(2, 0, 1).contiguous()


def _rasterise_svg(path: Path) -> Tensor:
    """Line art of any SVG (paths and shapes, 2 px lines) on white; a layer with a vpype
    colour keeps it, everything else is drawn black."""
    import vpype
    from PIL import Image, ImageDraw

    try:
        document = vpype.read_multilayer_svg(str(path), quantization=0.5)
    except Exception as exc:  # vpype and svgelements raise many types for a bad file
        raise AnalysisError(f"cannot read SVG {path} ({type(exc).__name__}: {exc})") from None
    bounds = document.bounds()
    if bounds is None:
        raise AnalysisError(f"SVG {path} has no lines to analyse (the drawing is blank)")
    x0, y0, x1, y1 = bounds
    span = max(x1 - x0, y1 - y0, 1e-9)
    scale = (RASTER_PX - 8) / span
    width, height = max(1, round((x1 - x0) * scale) + 8), max(1, round((y1 - y0) * scale) + 8)
    canvas = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(canvas)
    for layer_id, layer in document.layers.items():
        colour = document.layers[layer_id].property("vp_color")
        fill = colour.as_hex()[:7] if colour is not None else "#000000"
        for line in layer:
            xy = [((p.real - x0) * scale + 4, (p.imag - y0) * scale + 4) for p in line]
            if len(xy) > 1:
                pen.line(xy, fill=fill, width=2, joint="curve")
    return torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255.0).permute(2, 0, 1)


def check_not_blank(image: Tensor, tolerance: float = 0.02) -> None:
    """Refuse an image [3, H, W] whose every pixel is within `tolerance` of one colour."""
    flat = image.reshape(3, -1)
    if float((flat.max(dim=1).values - flat.min(dim=1).values).max()) <= tolerance:
        raise AnalysisError("the drawing is blank (one flat colour); there is nothing to analyse")


def square_image(image: Tensor, size: int) -> Tensor:
    """Letterbox on white and resize (antialiased) to [3, size, size]."""
    square = letterbox(image)
    if square.shape[-1] != size:
        square = F.interpolate(square[None], size=(size, size), mode="bilinear", antialias=True)[
            0
        ].clamp(0, 1)
    return square
