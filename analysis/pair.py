"""One dream and its drawing analysed end to end: `analyse_pair` and its `PairAnalysis`."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from dreamdraw.analysis.captions import EVERYDAY_CAPTIONS, caption_bank, content_words
from dreamdraw.analysis.clip_game import ClipPairGame
from dreamdraw.analysis.clusters import CLUSTERS, ClusterEvidence, assign_cluster
from dreamdraw.analysis.errors import AnalysisError
from dreamdraw.analysis.figures import plot_concepts, plot_top_interactions, plot_word_heatmaps
from dreamdraw.analysis.fixlip import FixlipApproximator
from dreamdraw.analysis.inputs import check_not_blank, dream_words, load_picture, square_image
from dreamdraw.analysis.interactions import InteractionResult
from dreamdraw.analysis.probing import (
    Alignment,
    ConceptProbe,
    StrokeAblation,
    Typography,
    ablate_strokes,
    measure_alignment,
    probe_concepts,
    probe_typography,
)
from dreamdraw.analysis.scorer import ClipScorer
from dreamdraw.analysis.settings import AnalysisSettings
from dreamdraw.drawing import ClipModel, Drawing
from dreamdraw.vocabulary import format_tag, load_tagged

__all__ = ["PairAnalysis", "analyse_pair"]

log = logging.getLogger(__name__)
FORMAT = format_tag("analysis")
_NON_LETTERS = re.compile(r"[^\w'-]+", re.UNICODE)


@dataclass
class PairAnalysis:
    """Everything measured on one dream-drawing pair, the cluster and how it was reached.

    words: the dream's words as FIXLIP players; truncated_words: words beyond the model's
    context (not analysed); figures: PNG file names written beside analysis.json.
    """

    text: str
    words: list[str]
    truncated_words: list[str]
    model_id: str
    model_is_random: bool
    alignment: Alignment
    concepts: ConceptProbe
    typography: Typography
    evidence: ClusterEvidence
    cluster: str
    confidence: float
    rationale: str
    strokes: StrokeAblation | None = None
    fixlip: InteractionResult | None = None
    figures: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0
    model_label: str | None = None  # in words, when the model is not real (random, toy)

    @property
    def display_name(self) -> str:
        return CLUSTERS[self.cluster].name

    def to_dict(self) -> dict:
        data = {
            k: asdict(v) if hasattr(v, "__dataclass_fields__") else v
            for k, v in ((k, getattr(self, k)) for k in self.__dataclass_fields__)
        }
        data["fixlip"] = self.fixlip.to_dict() if self.fixlip is not None else None
        data["display_name"] = self.display_name
        data["format"] = FORMAT
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PairAnalysis:
        data = load_tagged(text, "analysis", AnalysisError)
        data.pop("display_name", None)
        data["alignment"] = Alignment(**data["alignment"])
        data["concepts"] = ConceptProbe(**data["concepts"])
        data["typography"] = Typography(**data["typography"])
        data["evidence"] = ClusterEvidence(**data["evidence"])
        if data.get("strokes") is not None:
            data["strokes"] = StrokeAblation(**data["strokes"])
        if data.get("fixlip") is not None:
            data["fixlip"] = InteractionResult.from_dict(data["fixlip"])
        return cls(**data)

    def save(self, folder: str | Path) -> Path:
        """Write analysis.json into folder (created); returns its path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "analysis.json"
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def _normal(word: str) -> str:
    return _NON_LETTERS.sub("", word.lower())


def analyse_pair(
    text: str,
    drawing: Drawing | str | Path | torch.Tensor,
    clip: ClipModel,
    settings: AnalysisSettings | None = None,
    out_dir: str | Path | None = None,
    distractors: list[str] | None = None,
    speech_logprob: float | None = None,
    translated: bool | None = None,
) -> PairAnalysis:
    """Measure a dream against its drawing and assign one of the four clusters.

    drawing: a Drawing, a path (.json drawing, .png/.jpg, .svg) or an RGB tensor
    [3, H, W] in [0, 1]. distractors: captions the dream is ranked against (other
    dreams; default: everyday captions). speech_logprob / translated: from the
    transcript when known. With out_dir, analysis.json and the figures are written there.
    """
    started = time.perf_counter()
    s = settings or AnalysisSettings()
    if not text or not text.strip():
        raise AnalysisError("the dream text is empty; give the words the visitor said")
    words = dream_words(text)
    picture, source = load_picture(drawing)
    check_not_blank(picture)
    scorer = ClipScorer(clip, s.batch_size)
    square = square_image(picture, scorer.image_size).to(scorer.device)
    tokens = scorer.word_tokens(words)
    if tokens.dropped:
        log.warning(
            "dream is longer than the model's context; %d words not analysed", len(tokens.dropped)
        )
    image_features = scorer.encode_images(square[None])[0]
    dream_features = scorer.encode_tokens(tokens.tokens[None])[0]
    alignment = measure_alignment(
        scorer, image_features, dream_features, list(distractors or EVERYDAY_CAPTIONS)
    )
    kept_text = " ".join(tokens.words)
    nouns = content_words(kept_text)
    bank = caption_bank(nouns)
    caption_features = scorer.encode_texts(bank.captions)
    concepts = probe_concepts(scorer, square, bank, caption_features, alignment.cosine)
    typography = probe_typography(scorer, image_features, dream_features, kept_text)
    strokes = None
    if (
        s.stroke_ablation
        and source is not None
        and 0 < len(source.strokes) <= s.max_ablation_strokes
    ):
        strokes = ablate_strokes(scorer, source, bank, caption_features)
    main_word = None
    if nouns:
        word_features = scorer.encode_texts(nouns)
        main_word = nouns[int(torch.argmax(word_features @ dream_features))]
    result = None
    main_word_top = None
    if s.fixlip:
        game = ClipPairGame(scorer, square, tokens, fill=s.mask_fill)
        approximator = FixlipApproximator(
            p=s.fixlip_p,
            order=s.fixlip_order,
            seed=s.seed,
            heldout=s.fixlip_heldout,
            device=scorer.device,
        )
        result = approximator.approximate(s.fixlip_budget, game)
        if main_word is not None:
            word_values = result.summary[result.n_image :]
            top_word = _normal(tokens.words[int(word_values.argmax())])
            main_word_top = top_word == main_word
    # The best other reading: a shape caption of the bank or a distractor, whichever scores higher.
    best_other, best_other_margin = concepts.best_other, concepts.best_other_margin
    if -alignment.margin > best_other_margin:
        best_other, best_other_margin = alignment.best_distractor, -alignment.margin
    evidence = ClusterEvidence(
        cosine=alignment.cosine,
        rank=alignment.rank,
        n_distractors=alignment.n_distractors,
        margin=alignment.margin,
        writing_share=concepts.content_share["writing"],
        typography=typography.similarity,
        entropy=concepts.entropy,
        abstract_share=concepts.content_share["abstract"],
        best_distractor=alignment.best_distractor,
        best_other=best_other,
        best_other_margin=best_other_margin,
        main_word=main_word,
        main_word_top=main_word_top,
        speech_logprob=speech_logprob,
        translated=translated,
    )
    assignment = assign_cluster(evidence, s)
    rationale = assignment.rationale
    if clip.is_random:
        rationale = (
            f"Measured with {clip.model_id}, a {clip.label}: this cluster and its confidence "
            f"mean nothing. {rationale}"
        )
    elif clip.label:
        rationale = f"Measured with {clip.model_id}, a {clip.label}. {rationale}"
    if tokens.dropped:
        rationale += (
            f" The dream was truncated to the model's {clip.context_length}-token context; "
            f"{len(tokens.dropped)} words were not analysed."
        )
    analysis = PairAnalysis(
        text=text,
        words=tokens.words,
        truncated_words=tokens.dropped,
        model_id=clip.model_id,
        model_is_random=clip.is_random,
        model_label=clip.label,
        alignment=alignment,
        concepts=concepts,
        typography=typography,
        evidence=evidence,
        cluster=assignment.cluster,
        confidence=assignment.confidence,
        rationale=rationale,
        strokes=strokes,
        fixlip=result,
        settings=asdict(s),
    )
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if s.figures:
            note = f"measured with {clip.model_id}, a {clip.label}" if clip.label else None
            figures = [
                plot_concepts(
                    concepts.family_share,
                    concepts.grayscale_change,
                    out / "concepts.png",
                    note=note,
                )
            ]
            if result is not None:
                figures.append(
                    plot_word_heatmaps(result, square, out / "fixlip_words.png", note=note)
                )
                if result.interactions is not None:
                    figures.append(
                        plot_top_interactions(result, out / "fixlip_top_pairs.png", note=note)
                    )
            analysis.figures = [f.name for f in figures]
        analysis.seconds = time.perf_counter() - started
        analysis.save(out)
    analysis.seconds = time.perf_counter() - started
    return analysis
