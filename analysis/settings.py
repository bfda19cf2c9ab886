"""Analysis settings as they appear in the `[analysis]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dreamdraw.settings import check_bounds, setting

__all__ = ["AnalysisSettings"]


@dataclass
class AnalysisSettings:
    """The explainability suite and cluster assignment."""

    clip: str = setting(
        "ViT-B-32:openai", "open_clip model as NAME:TAG, or test:tiny (random, offline tests only)"
    )
    clip_checkpoint: str | None = setting(None, "a local CLIP checkpoint file instead of the tag")
    device: str = setting("auto", "auto, cpu, cuda or cuda:N")
    fixlip: bool = setting(True, "explain each pair with FIXLIP")
    fixlip_budget: int = setting(
        4096, "FIXLIP coalitions per pair (2^17 on a GPU; ~4096 on a CPU)", ge=16
    )
    fixlip_p: float = setting(
        0.5,
        "inclusion probability p of each player (0.5: Banzhaf; 0.3 and 0.7 also common)",
        gt=0,
        lt=1,
    )
    fixlip_order: int = setting(
        2, "1: weighted Banzhaf values only; 2: also pairwise interactions", ge=1, le=2
    )
    fixlip_heldout: int = setting(1000, "held-out coalitions for the p-faithfulness R^2")
    mask_fill: Literal["white", "mean"] = setting(
        "white", "masked patches become white paper, or CLIP's mean colour as in FIXLIP"
    )
    seed: int = setting(0, "random seed of the coalition sampling")
    stroke_ablation: bool = setting(
        True, "remove each stroke in turn to see which concepts it carries"
    )
    max_ablation_strokes: int = setting(
        512, "drawings with more strokes skip the per-stroke ablation"
    )
    figures: bool = setting(True, "write heatmap figures (PNG)")
    batch_size: int = setting(64, "images per CLIP forward pass", ge=1)
    writing_share_min: float = setting(
        0.35, "text as image: share of the caption softmax on writing captions at least this"
    )
    typography_min: float = setting(
        0.8, "text as image: cosine of the drawing and the dream typeset as text at least this"
    )
    abstract_share_min: float = setting(
        0.5,
        "indeterminacy: share of the caption softmax on abstract captions "
        "('abstract scribbles') at least this",
    )
    clear_margin_min: float = setting(
        0.01, "clear concept: the dream beats the best distractor caption by at least this cosine"
    )
    clear_entropy_max: float = setting(
        0.85, "clear concept: normalised entropy of the caption softmax at most this (0..1)"
    )
    coherent_entropy_max: float = setting(
        0.75, "lost in translation: the drawing is coherent (entropy at most this)"
    )
    lost_margin_min: float = setting(
        0.0, "lost in translation: the best non-dream caption beats the dream by at least this"
    )
    low_speech_logprob: float = setting(
        -0.8, "speech below this average log-probability counts as uncertain transcription"
    )
    missing_evidence_factor: float = setting(
        0.85, "confidence multiplier for each missing piece of optional evidence"
    )

    def __post_init__(self) -> None:
        check_bounds(self)
