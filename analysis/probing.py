"""Alignment, caption-driven concept probing, per-stroke ablation and the typography probe."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from dreamdraw.analysis.captions import CaptionBank
from dreamdraw.analysis.inputs import square_image
from dreamdraw.analysis.scorer import ClipScorer
from dreamdraw.drawing import Drawing, rasterize, strokes_to_batch
from torch import Tensor

__all__ = [
    "Alignment",
    "ConceptProbe",
    "StrokeAblation",
    "Typography",
    "measure_alignment",
    "probe_concepts",
    "ablate_strokes",
    "probe_typography",
    "render_text",
]

_SAMPLES = 32  # pieces per Bézier segment, the same in every render of an ablation
_TIE = 1e-5  # cosines closer than this are a tie (batching changes the last digits)
FAMILIES = ("dream", "writing", "abstract", "colour", "shape")


@dataclass
class Alignment:
    """CLIP cosine of dream and drawing, and how the dream ranks among distractor captions.

    rank: 1 = the dream beats every distractor; margin = cosine(dream) - best distractor's.
    """

    cosine: float
    rank: int
    n_distractors: int
    margin: float
    best_distractor: str


def measure_alignment(
    scorer: ClipScorer, image_features: Tensor, dream_features: Tensor, distractors: list[str]
) -> Alignment:
    """image_features, dream_features: [D] normalised; distractors: captions (>= 1)."""
    cosine = float(image_features @ dream_features)
    others = (scorer.encode_texts(distractors) @ image_features).cpu().numpy()
    best = int(np.argmax(others))
    return Alignment(
        cosine=cosine,
        rank=1 + int((others > cosine + _TIE).sum()),
        n_distractors=len(distractors),
        margin=cosine - float(others[best]),
        best_distractor=distractors[best],
    )


@dataclass
class ConceptProbe:
    """Caption scores for one drawing.

    cosines, probabilities: per caption (softmax at the model's logit scale);
    family_share: probability mass per concept family; grayscale_change: per family,
    share(grayscale) - share(colour).

    Colour captions name a property of any drawing, not what it depicts, so the readings
    leave them out: content_share is the mass per family in the softmax over the other
    captions; entropy is that softmax's entropy, normalised to 0..1 by log(#captions);
    best_other is the best shape caption (another thing the drawing could depict) and
    its cosine margin over the dream itself.
    """

    captions: list[str]
    families: list[str]
    concepts: list[str]
    cosines: list[float]
    probabilities: list[float]
    family_share: dict[str, float]
    entropy: float
    grayscale_change: dict[str, float]
    best_other: str
    best_other_margin: float
    content_share: dict[str, float] = field(default_factory=dict)


def _softmax_shares(
    cosines: Tensor, scale: float, bank: CaptionBank
) -> tuple[Tensor, dict[str, float]]:
    probs = torch.softmax(scale * cosines.double(), dim=-1)
    shares = {f: float(probs[bank.indices(f)].sum()) if bank.indices(f) else 0.0 for f in FAMILIES}
    return probs, shares


def probe_concepts(
    scorer: ClipScorer,
    image: Tensor,
    bank: CaptionBank,
    caption_features: Tensor,
    dream_cosine: float,
) -> ConceptProbe:
    """Score the caption bank on a square image [3, S, S] and on its grayscale copy.

    caption_features: [C, D] for bank.captions; dream_cosine: the dream's own cosine.
    """
    gray = image.mean(dim=0, keepdim=True).expand(3, -1, -1)
    feats = scorer.encode_images(torch.stack([image, gray]))
    cos = feats @ caption_features.T  # [2, C]
    scale = scorer.logit_scale
    probs, shares = _softmax_shares(cos[0], scale, bank)
    _, gray_shares = _softmax_shares(cos[1], scale, bank)
    content_bank, content = bank.without("colour")
    p, content_share = _softmax_shares(cos[0, content], scale, content_bank)
    del content_share["colour"]
    p = p.clamp_min(1e-300)
    entropy = float(-(p * p.log()).sum() / math.log(len(content))) if len(content) > 1 else 0.0
    others = bank.indices("shape") or [i for i in content if bank.families[i] != "dream"]
    best = max(others, key=lambda i: float(cos[0, i]))
    return ConceptProbe(
        captions=list(bank.captions),
        families=list(bank.families),
        concepts=list(bank.concepts),
        cosines=cos[0].tolist(),
        probabilities=probs.tolist(),
        family_share=shares,
        entropy=entropy,
        grayscale_change={f: gray_shares[f] - shares[f] for f in FAMILIES},
        best_other=bank.captions[best],
        best_other_margin=float(cos[0, best]) - dream_cosine,
        content_share=content_share,
    )


@dataclass
class StrokeAblation:
    """What each stroke carries: the caption whose cosine drops most when it is removed.

    carries[k] / drop[k]: for stroke k, that caption's index and its cosine drop;
    family_tally: strokes per family of the caption they carry; strongest: stroke
    indices ordered by drop (largest first).
    """

    carries: list[int]
    drop: list[float]
    family_tally: dict[str, int]
    strongest: list[int] = field(default_factory=list)


def ablate_strokes(
    scorer: ClipScorer, drawing: Drawing, bank: CaptionBank, caption_features: Tensor
) -> StrokeAblation:
    """Remove each stroke in turn (batched through CLIP) and score the caption bank."""
    size = scorer.image_size
    long_side = max(drawing.canvas_width, drawing.canvas_height)
    scale = size / long_side
    height = max(1, round(drawing.canvas_height * scale))
    width = max(1, round(drawing.canvas_width * scale))
    batch, mode = strokes_to_batch(drawing, scale, scorer.device)
    n = len(batch)
    everything = torch.ones(n, dtype=torch.bool, device=scorer.device)
    with torch.no_grad():
        canvas = rasterize(batch, height, width, mode=mode, samples=_SAMPLES)
        base = scorer.encode_images(square_image(canvas, size)[None]) @ caption_features.T  # [1, C]
        drops = []
        step = scorer.batch_size
        for start in range(0, n, step):
            images = []
            for k in range(start, min(n, start + step)):
                keep = everything.clone()
                keep[k] = False
                if mode == "ink":
                    # Ink multiplies: the canvas without stroke k is the canvas divided by
                    # stroke k alone on white (rasterize clamps each factor at 1e-6 too).
                    alone = rasterize(
                        batch.select(~keep), height, width, mode=mode, samples=_SAMPLES
                    )
                    without = (canvas / alone.clamp_min(1e-6)).clamp(0.0, 1.0)
                else:
                    without = rasterize(
                        batch.select(keep), height, width, mode=mode, samples=_SAMPLES
                    )
                images.append(square_image(without, size))
            feats = scorer.encode_images(torch.stack(images))
            drops.append(base - feats @ caption_features.T)
    drop = torch.cat(drops)  # [n, C]
    value, carries = drop.max(dim=1)
    tally = {f: 0 for f in FAMILIES}
    for c in carries.tolist():
        tally[bank.families[c]] += 1
    return StrokeAblation(
        carries=carries.tolist(),
        drop=value.tolist(),
        family_tally=tally,
        strongest=torch.argsort(value, descending=True).tolist(),
    )


@dataclass
class Typography:
    """The drawing against the dream typeset as black text on white.

    similarity: image-image cosine of the drawing and the typeset dream;
    typeset_to_dream: cosine of the typeset image and the dream text.
    """

    similarity: float
    typeset_to_dream: float


def render_text(text: str, size: int) -> Tensor:
    """The text in Pillow's bundled font, black on white, wrapped: [3, size, size] in [0, 1]."""
    from PIL import Image, ImageDraw, ImageFont

    words = text.split()
    font_px = max(10, size // 8)
    while True:
        font = ImageFont.load_default(size=font_px)
        lines, line = [], ""
        for w in words:
            trial = f"{line} {w}".strip()
            if font.getlength(trial) <= size * 0.9 or not line:
                line = trial
            else:
                lines.append(line)
                line = w
        lines.append(line)
        if len(lines) * font_px * 1.25 <= size * 0.9 or font_px <= 8:
            break
        font_px = int(font_px * 0.85)
    canvas = Image.new("RGB", (size, size), "white")
    pen = ImageDraw.Draw(canvas)
    top = (size - len(lines) * font_px * 1.25) / 2
    for k, text_line in enumerate(lines):
        left = (size - font.getlength(text_line)) / 2
        pen.text((left, top + k * font_px * 1.25), text_line, fill="black", font=font)
    return torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255.0).permute(2, 0, 1)


def probe_typography(
    scorer: ClipScorer, image_features: Tensor, dream_features: Tensor, text: str
) -> Typography:
    """image_features, dream_features: [D] normalised features of the drawing and the dream."""
    typeset = scorer.encode_images(render_text(text, scorer.image_size)[None])[0]
    return Typography(
        similarity=float(typeset @ image_features),
        typeset_to_dream=float(typeset @ dream_features),
    )
