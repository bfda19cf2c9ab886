"""What the detail page shows a curator: evidence in words and units, figures with their numbers.

The analysis suite stores its measurements under field names (`n_distractors`,
`writing_share`) and its figures as files; this module turns both into rows a curator can
read and into the facts that say how far a figure can be trusted (for FIXLIP: the budget,
p and the surrogate's held-out R²).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "EVIDENCE_FIELDS",
    "FIXLIP_MIN_R2",
    "NOT_MEASURED",
    "EvidenceField",
    "EvidenceRow",
    "FigureView",
    "evidence_rows",
    "figure_views",
    "format_value",
]

NOT_MEASURED = "not measured"
# Below this held-out R² the surrogate explains too little of the model for its map to mean
# much (README, Explainability: "check a pair's R² before reading the maps").
FIXLIP_MIN_R2 = 0.3

Kind = Literal["cosine", "difference", "share", "integer", "fraction", "logprob", "text", "yes/no"]


@dataclass(frozen=True)
class EvidenceField:
    """How one evidence field reads: its label, its kind of number and its unit in words."""

    label: str
    kind: Kind
    unit: str = ""


EVIDENCE_FIELDS: dict[str, EvidenceField] = {
    "cosine": EvidenceField("Likeness of drawing and dream", "cosine", "CLIP cosine, −1 to 1"),
    "rank": EvidenceField(
        "Rank of the dream among the texts compared", "integer", "1 = the dream fits best"
    ),
    "n_distractors": EvidenceField("Other texts compared", "integer", "texts"),
    "margin": EvidenceField(
        "Lead of the dream over the closest other text", "difference", "CLIP cosine difference"
    ),
    "best_distractor": EvidenceField("Closest other text", "text"),
    "writing_share": EvidenceField("Reads as writing", "share", "share of caption probability"),
    "typography": EvidenceField(
        "Likeness to the dream typeset as text", "cosine", "CLIP cosine, −1 to 1"
    ),
    "entropy": EvidenceField(
        "Ambiguity of the captions", "fraction", "0 = one clear reading, 1 = any reading"
    ),
    "abstract_share": EvidenceField(
        "Reads as abstract scribbles", "share", "share of caption probability"
    ),
    "best_other": EvidenceField("Best other reading", "text"),
    "best_other_margin": EvidenceField(
        "Lead of that reading over the dream", "difference", "CLIP cosine difference"
    ),
    "main_word": EvidenceField("Main word of the dream", "text"),
    "main_word_top": EvidenceField("Main word carries the most attribution (FIXLIP)", "yes/no"),
    "speech_logprob": EvidenceField(
        "Speech recognition certainty", "logprob", "mean log-probability per token, 0 = certain"
    ),
    "translated": EvidenceField("Translated into English", "yes/no"),
}


@dataclass(frozen=True)
class EvidenceRow:
    """One line of the evidence table: label, value as shown, unit (may be empty)."""

    key: str
    label: str
    value: str
    unit: str


@dataclass
class FigureView:
    """An analysis figure as the page shows it: title, what it shows, its numbers, warnings."""

    name: str
    sha: str
    title: str
    caption: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _signed(text: str) -> str:
    return text.replace("-", "−")


def format_value(value: Any, kind: Kind | None = None) -> str:
    """A measured value as a curator reads it: integers as integers, booleans as yes/no,
    absent values (None, empty text, NaN) as "not measured"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NOT_MEASURED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and kind != "text":
        number = float(value)
        if not math.isfinite(number):
            return NOT_MEASURED
        if kind == "share":
            return f"{number * 100:.0f} %"
        if kind == "integer" or (kind is None and isinstance(value, int)):
            return _signed(f"{round(number):,}")
        if kind in ("difference",):
            return _signed(f"{number:+.3f}")
        if kind in ("fraction", "logprob"):
            return _signed(f"{number:.2f}")
        return _signed(f"{number:.3f}")
    if isinstance(value, list | dict):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def evidence_rows(evidence: Mapping[str, Any]) -> list[EvidenceRow]:
    """The cluster evidence as labelled rows, known fields in reading order, then the rest."""
    known = [key for key in EVIDENCE_FIELDS if key in evidence]
    others = sorted(key for key in evidence if key not in EVIDENCE_FIELDS)
    rows = []
    for key in known + others:
        spec = EVIDENCE_FIELDS.get(key) or EvidenceField(key.replace("_", " ").capitalize(), "")
        kind = spec.kind or None
        rows.append(EvidenceRow(key, spec.label, format_value(evidence[key], kind), spec.unit))
    return rows


_TITLES = {
    "concepts": (
        "What CLIP reads in the drawing",
        "Caption probability per concept family (left bar) and how it changes when the "
        "drawing is shown in grayscale (right bar).",
    ),
    "fixlip_words": (
        "Where each word meets the drawing (FIXLIP)",
        "For each word of the dream, its interaction with each patch of the drawing: "
        "red patches raise the match with that word, blue ones lower it.",
    ),
    "fixlip_top_pairs": (
        "Strongest interactions (FIXLIP)",
        "The word × patch pairs whose joint effect on the match is largest: red bars raise "
        "it, blue bars lower it.",
    ),
}


def _model_facts(analysis: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    facts: list[tuple[str, str]] = []
    warnings: list[str] = []
    if analysis.get("model_id"):
        facts.append(("Model", str(analysis["model_id"])))
    if analysis.get("model_is_random"):
        warnings.append(
            "Measured with a random-weight test model: this figure shows nothing about the drawing."
        )
    elif analysis.get("model_label"):
        warnings.append(f"Measured with {analysis['model_label']}, not the installation's model.")
    return facts, warnings


def _fixlip_facts(fixlip: Any) -> tuple[list[tuple[str, str]], list[str]]:
    if not isinstance(fixlip, Mapping):
        return [], [
            "The numbers behind this map (budget, p, R²) were not stored with it, so how far "
            "it can be trusted is unknown."
        ]
    facts: list[tuple[str, str]] = []
    budget = fixlip.get("budget")
    if fixlip.get("exact"):
        facts.append(("Budget", f"exact (all {format_value(budget, 'integer')} coalitions)"))
    else:
        facts.append(("Budget", f"{format_value(budget, 'integer')} coalitions"))
    facts.append(("p", format_value(fixlip.get("p"), "fraction")))
    if fixlip.get("order") is not None:
        facts.append(("Order", format_value(fixlip.get("order"), "integer")))
    r2 = fixlip.get("r2")
    facts.append(("R² (held-out)", format_value(r2, "fraction")))
    warnings: list[str] = []
    if not isinstance(r2, int | float) or isinstance(r2, bool) or not math.isfinite(r2):
        warnings.append("The surrogate's R² was not measured: how well this map fits is unknown.")
    elif r2 < FIXLIP_MIN_R2:
        worse = "; it fits worse than a constant" if r2 < 0 else ""
        warnings.append(
            f"Do not read this map: its surrogate explains little of the model (R² "
            f"{format_value(r2, 'fraction')}, below {FIXLIP_MIN_R2}){worse}. Its colours are "
            "mostly noise."
        )
    return facts, warnings


def figure_views(blobs: Mapping[str, str], analysis: Mapping[str, Any] | None) -> list[FigureView]:
    """The record's figures (roles "figure:<name>"), each with its title and trust numbers."""
    analysis = analysis or {}
    model_facts, model_warnings = _model_facts(analysis)
    views = []
    for role, sha in sorted(blobs.items()):
        if not role.startswith("figure:"):
            continue
        name = role.removeprefix("figure:")
        title, caption = _TITLES.get(name, (name.replace("_", " ").capitalize(), ""))
        view = FigureView(name, sha, title, caption, list(model_facts), list(model_warnings))
        if name.startswith("fixlip"):
            facts, warnings = _fixlip_facts(analysis.get("fixlip"))
            view.facts += facts
            view.warnings += warnings
        elif name == "concepts":
            concepts = analysis.get("concepts")
            captions = concepts.get("captions") if isinstance(concepts, Mapping) else None
            if isinstance(captions, list):
                view.facts.append(("Captions compared", format_value(len(captions), "integer")))
        views.append(view)
    return views
