"""Drawing settings as they appear in the `[drawing]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dreamdraw.drawing.errors import DrawingError
from dreamdraw.drawing.model import DEFAULT_PENS, Pen
from dreamdraw.paper import Paper, PaperError, parse_paper
from dreamdraw.settings import setting

# The CLIP a drawing uses unless told otherwise: OpenAI's ViT-B/32, as CLIPDraw published.
DEFAULT_CLIP = "ViT-B-32:openai"

__all__ = ["DrawSettings"]


@dataclass
class DrawSettings:
    """How dreams are drawn."""

    mode: Literal["plotter", "classic"] = setting(
        "plotter",
        "plotter: only what the pens can draw (the default); classic: CLIPDraw as published",
    )
    clip: str = setting(
        DEFAULT_CLIP,
        "open_clip model as NAME:TAG (pretrained weights), or test:tiny (random, offline tests only)",
    )
    clip_checkpoint: str | None = setting(
        None, "a local CLIP checkpoint file, used instead of downloading the tag"
    )
    clip_cache_dir: str | None = setting(
        None, "where downloaded CLIP weights are kept (default: open_clip's cache)"
    )
    device: str = setting("auto", "auto, cpu, cuda or cuda:N")
    strokes: int = setting(256, "number of strokes")
    iterations: int = setting(1000, "optimisation steps")
    augmentations: int = setting(
        4, "augmented copies CLIP sees per step (0: the plain canvas only)"
    )
    seed: int | None = setting(None, "random seed (unset: a new one per dream, recorded)")
    negative_prompts: list[str] = setting(
        doc='captions to steer away from, e.g. ["A badly drawn sketch.", "Many ugly, messy drawings."]',
        factory=list,
    )
    paper: str = field(
        default="A4",
        metadata={
            "doc": "A6 ... A0, letter, legal, executive, tabloid, or WxHmm",
            "from": "paper.size",
        },
    )
    orientation: Literal["landscape", "portrait"] = field(
        default="landscape",
        metadata={"doc": "for named paper sizes", "from": "paper.orientation"},
    )
    canvas_px: int = setting(224, "the canvas's short side in px (plotter mode)")
    min_stroke_mm: float = setting(
        1.0, "strokes shorter than this on paper are dropped (plotter mode)"
    )
    plain_view: bool = setting(
        True,
        "plotter mode: CLIP also sees the whole canvas, unaugmented, at every step (where things lie on the page counts)",
    )
    prune: bool = setting(
        True,
        "plotter mode: after optimising, drop the strokes CLIP sees the dream better without (fewer to plot)",
    )
    progress_every: int = setting(10, "report progress every N iterations")
    early_stop_patience: int = setting(0, "stop after N iterations without improvement (0: never)")
    pens: list[Pen] = setting(
        doc="the pens in the plotter: id (layer), colour, nib width in mm",
        factory=lambda: list(DEFAULT_PENS),
    )

    def sheet(self) -> Paper:
        """The paper the drawing is made for (mm), from `paper` and `orientation`."""
        try:
            return parse_paper(self.paper, self.orientation)
        except PaperError as exc:
            raise DrawingError(str(exc)) from None
