"""Analysis settings as they appear in the `[analysis]` table of the venue config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["AnalysisSettings"]


@dataclass
class AnalysisSettings:
    """The explainability suite and cluster assignment."""

    clip: str = field(
        default="ViT-B-32:openai",
        metadata={"doc": "open_clip model as NAME:TAG, or test:tiny (random, offline tests only)"},
    )
    clip_checkpoint: str | None = field(
        default=None, metadata={"doc": "a local CLIP checkpoint file instead of the tag"}
    )
    device: str = field(default="auto", metadata={"doc": "auto, cpu, cuda or cuda:N"})
    fixlip: bool = field(default=True, metadata={"doc": "explain each pair with FIXLIP"})
    fixlip_budget: int = field(
        default=4096,
        metadata={"doc": "FIXLIP coalitions per pair (2^17 on a GPU; ~4096 on a CPU)"},
    )
    fixlip_p: float = field(
        default=0.5,
        metadata={
            "doc": "inclusion probability p of each player (0.5: Banzhaf; 0.3 and 0.7 also common)"
        },
    )
    fixlip_order: int = field(
        default=2,
        metadata={"doc": "1: weighted Banzhaf values only; 2: also pairwise interactions"},
    )
    fixlip_heldout: int = field(
        default=1000, metadata={"doc": "held-out coalitions for the p-faithfulness R^2"}
    )
    mask_fill: Literal["white", "mean"] = field(
        default="white",
        metadata={"doc": "masked patches become white paper, or CLIP's mean colour as in FIXLIP"},
    )
    seed: int = field(default=0, metadata={"doc": "random seed of the coalition sampling"})
    stroke_ablation: bool = field(
        default=True,
        metadata={"doc": "remove each stroke in turn to see which concepts it carries"},
    )
    max_ablation_strokes: int = field(
        default=512, metadata={"doc": "drawings with more strokes skip the per-stroke ablation"}
    )
    figures: bool = field(default=True, metadata={"doc": "write heatmap figures (PNG)"})
    batch_size: int = field(default=64, metadata={"doc": "images per CLIP forward pass"})
    writing_share_min: float = field(
        default=0.35,
        metadata={
            "doc": "text as image: share of the caption softmax on writing captions at least this"
        },
    )
    typography_min: float = field(
        default=0.8,
        metadata={
            "doc": "text as image: cosine of the drawing and the dream typeset as text at least this"
        },
    )
    abstract_share_min: float = field(
        default=0.5,
        metadata={
            "doc": "indeterminacy: share of the caption softmax on abstract captions "
            "('abstract scribbles') at least this"
        },
    )
    clear_margin_min: float = field(
        default=0.01,
        metadata={
            "doc": "clear concept: the dream beats the best distractor caption by at least this cosine"
        },
    )
    clear_entropy_max: float = field(
        default=0.85,
        metadata={
            "doc": "clear concept: normalised entropy of the caption softmax at most this (0..1)"
        },
    )
    coherent_entropy_max: float = field(
        default=0.75,
        metadata={"doc": "lost in translation: the drawing is coherent (entropy at most this)"},
    )
    lost_margin_min: float = field(
        default=0.0,
        metadata={
            "doc": "lost in translation: the best non-dream caption beats the dream by at least this"
        },
    )
    low_speech_logprob: float = field(
        default=-0.8,
        metadata={
            "doc": "speech below this average log-probability counts as uncertain transcription"
        },
    )
    missing_evidence_factor: float = field(
        default=0.85,
        metadata={"doc": "confidence multiplier for each missing piece of optional evidence"},
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.fixlip_p < 1.0:
            raise ValueError(f"fixlip_p must be in (0, 1), got {self.fixlip_p}")
        if self.fixlip_order not in (1, 2):
            raise ValueError(f"fixlip_order must be 1 or 2, got {self.fixlip_order}")
        if self.fixlip_budget < 16:
            raise ValueError(
                f"fixlip_budget must be at least 16 coalitions, got {self.fixlip_budget}"
            )
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
