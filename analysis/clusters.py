"""The four clusters: rules over the measured evidence, agreement with curators, k-means."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import MISSING, asdict, dataclass
from pathlib import Path

import numpy as np
from dreamdraw.analysis.errors import AnalysisError
from dreamdraw.analysis.settings import AnalysisSettings
from dreamdraw.vocabulary import CLUSTERS, parse_cluster

__all__ = [
    "CLUSTERS",
    "ClusterEvidence",
    "ClusterAssignment",
    "assign_cluster",
    "Agreement",
    "cluster_agreement",
    "read_labels",
    "kmeans_clusters",
    "kmeans_report",
    "parse_cluster",
]


@dataclass
class ClusterEvidence:
    """The measurements a cluster is assigned from (cosines are CLIP cosines).

    cosine / rank / n_distractors / margin / best_distractor: alignment of dream and drawing;
    writing_share: caption-softmax mass on writing captions (0..1); typography: cosine
    of the drawing and the dream typeset as text; entropy: normalised caption entropy
    (0..1); best_other / best_other_margin: the best non-dream caption and its cosine
    minus the dream's; main_word / main_word_top: the dream's main word and whether it
    carries the largest FIXLIP attribution among the words (None: not measured);
    speech_logprob: the transcript's average log-probability (None: typed or unknown);
    translated: whether the dream was translated (None: unknown); abstract_share:
    caption-softmax mass on abstract captions ('abstract scribbles'; 0 when not measured).
    """

    cosine: float
    rank: int
    n_distractors: int
    margin: float
    writing_share: float
    typography: float
    entropy: float
    best_distractor: str = ""
    best_other: str = ""
    best_other_margin: float = 0.0
    main_word: str | None = None
    main_word_top: bool | None = None
    speech_logprob: float | None = None
    translated: bool | None = None
    abstract_share: float = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> ClusterEvidence:
        """Evidence as stored (`dataclasses.asdict`); unknown keys are ignored, a missing
        or non-numeric measurement raises ValueError naming it."""
        if not isinstance(data, dict):
            raise ValueError("evidence is not a mapping")
        fields = cls.__dataclass_fields__
        known = {f: data[f] for f in fields if f in data}
        for name in VECTOR_FIELDS:
            if name not in known and fields[name].default is not MISSING:
                continue  # absent from evidence stored before it was measured
            value = known.get(name)
            if name == "main_word_top":
                if value is not None and not isinstance(value, bool):
                    raise ValueError(f"evidence {name!r} is not true, false or null")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"evidence has no numeric {name!r}")
        try:
            return cls(**known)
        except TypeError as exc:
            raise ValueError(f"evidence is incomplete: {exc}") from None

    def vector(self) -> np.ndarray:
        """The numeric evidence for clustering, in VECTOR_FIELDS order (main_word_top:
        1, 0, or 0.5 when unknown)."""
        top = 0.5 if self.main_word_top is None else float(self.main_word_top)
        return np.array(
            [top if name == "main_word_top" else getattr(self, name) for name in VECTOR_FIELDS],
            dtype=np.float64,
        )


VECTOR_FIELDS: tuple[str, ...] = (
    "cosine",
    "margin",
    "writing_share",
    "typography",
    "entropy",
    "best_other_margin",
    "main_word_top",
    "abstract_share",
)
"""The features of ClusterEvidence.vector(), in order."""


@dataclass
class ClusterAssignment:
    """One of the four clusters, a confidence in [0, 1] and a rationale quoting the numbers."""

    cluster: str
    confidence: float
    rationale: str
    missing: list[str]

    @property
    def display_name(self) -> str:
        return CLUSTERS[self.cluster].name

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ClusterAssignment:
        return cls(**json.loads(text))


def _strength(excess: float, span: float) -> float:
    """How far past a threshold, mapped to 0..1 (span: the excess that counts as certain)."""
    return float(np.clip(excess / span, 0.0, 1.0))


def assign_cluster(e: ClusterEvidence, s: AnalysisSettings | None = None) -> ClusterAssignment:
    """Rules in order: text as image, abstract marks (indeterminacy), clear concept, lost in
    translation, else indeterminacy.

    Confidence = 0.5 + 0.5 * (how clearly the deciding thresholds are passed), times
    `missing_evidence_factor` for each missing optional measurement.
    """
    s = s or AnalysisSettings()
    missing = [
        name
        for name, value in (
            ("speech confidence", e.speech_logprob),
            ("translation flag", e.translated),
            ("main-word attribution", e.main_word_top),
        )
        if value is None
    ]
    uncertain_speech = e.speech_logprob is not None and e.speech_logprob < s.low_speech_logprob
    place = f"rank {e.rank} of {e.n_distractors + 1}"
    if e.writing_share >= s.writing_share_min or e.typography >= s.typography_min:
        strength = max(
            _strength(e.writing_share - s.writing_share_min, 1.0 - s.writing_share_min),
            _strength(e.typography - s.typography_min, 1.0 - s.typography_min),
        )
        cluster = "text_as_image"
        by_captions = e.writing_share >= s.writing_share_min
        by_typography = e.typography >= s.typography_min
        how = " and ".join(
            what
            for what, fired in (("reads as writing", by_captions), ("looks typeset", by_typography))
            if fired
        )
        rationale = (
            f"The drawing {how}: writing captions take {e.writing_share:.2f} of the caption "
            f"probability (threshold {s.writing_share_min:.2f}) and it matches the dream typeset "
            f"as text at cosine {e.typography:.3f} (threshold {s.typography_min:.3f})."
        )
    elif e.abstract_share >= s.abstract_share_min:
        strength = _strength(e.abstract_share - s.abstract_share_min, 1.0 - s.abstract_share_min)
        cluster = "indeterminacy"
        rationale = (
            f"The drawing reads as abstract marks: abstract captions take {e.abstract_share:.2f} "
            f"of the caption probability (threshold {s.abstract_share_min:.2f}); the dream "
            f"scores cosine {e.cosine:.3f} ({place}, margin {e.margin:+.3f})."
        )
    elif e.rank == 1 and e.margin >= s.clear_margin_min and e.entropy <= s.clear_entropy_max:
        strength = min(
            _strength(e.margin - s.clear_margin_min, 0.05),
            _strength(s.clear_entropy_max - e.entropy, 0.3),
        )
        if e.main_word_top is False:
            strength *= 0.5
        cluster = "clear_concept"
        main = ""
        if e.main_word is not None and e.main_word_top is not None:
            carries = "carries" if e.main_word_top else "does not carry"
            main = f" The main word '{e.main_word}' {carries} the largest attribution."
        rationale = (
            f"The dream matches the drawing at cosine {e.cosine:.3f}, {place} among distractors, "
            f"{e.margin:+.3f} ahead of the best ('{e.best_distractor}'), with caption "
            f"entropy {e.entropy:.2f} (at most {s.clear_entropy_max:.2f}).{main}"
        )
    elif e.entropy <= s.coherent_entropy_max and (
        e.best_other_margin >= s.lost_margin_min
        or (e.rank > 1 and (uncertain_speech or e.translated))
    ):
        strength = min(
            max(_strength(e.best_other_margin - s.lost_margin_min, 0.05), 0.2),
            _strength(s.coherent_entropy_max - e.entropy, 0.3),
        )
        if uncertain_speech or e.translated:
            strength = min(1.0, strength + 0.25)
        cluster = "lost_in_translation"
        why = []
        if uncertain_speech:
            why.append(
                f"speech confidence {e.speech_logprob:.2f} is below {s.low_speech_logprob:.2f}"
            )
        if e.translated:
            why.append("the dream was translated")
        reason = f" ({'; '.join(why)})" if why else ""
        rationale = (
            f"The drawing is coherent (caption entropy {e.entropy:.2f}, at most "
            f"{s.coherent_entropy_max:.2f}) but depicts '{e.best_other}', which scores "
            f"{e.best_other_margin:+.3f} against the dream's cosine {e.cosine:.3f} ({place}){reason}."
        )
    else:
        strength = max(
            _strength(e.entropy - s.coherent_entropy_max, 0.2),
            _strength(s.clear_margin_min - e.margin, 0.05),
        )
        cluster = "indeterminacy"
        rationale = (
            f"No reading dominates: the dream scores cosine {e.cosine:.3f} ({place}, margin "
            f"{e.margin:+.3f}, needs {s.clear_margin_min:+.3f}), caption entropy is {e.entropy:.2f} "
            f"and writing takes {e.writing_share:.2f}."
        )
    confidence = (0.5 + 0.5 * strength) * s.missing_evidence_factor ** len(missing)
    if missing:
        rationale += f" Not measured: {', '.join(missing)}."
    return ClusterAssignment(cluster, round(float(confidence), 4), rationale, missing)


@dataclass
class Agreement:
    """Automatic clusters against curator labels.

    confusion[i][j]: pairs with curator label labels[i] and automatic cluster labels[j].
    """

    n: int
    accuracy: float
    kappa: float
    labels: list[str]
    confusion: list[list[int]]

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def cluster_agreement(automatic: list[str], curator: list[str]) -> Agreement:
    """Accuracy, Cohen's kappa and the confusion matrix of two equally long label lists."""
    if len(automatic) != len(curator):
        raise ValueError("automatic and curator labels differ in length")
    if not automatic:
        raise ValueError("no labelled pairs to compare")
    labels = list(CLUSTERS)
    auto = [labels.index(parse_cluster(a)) for a in automatic]
    cur = [labels.index(parse_cluster(c)) for c in curator]
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    for c, a in zip(cur, auto, strict=True):
        confusion[c, a] += 1
    n = len(auto)
    observed = float(np.trace(confusion)) / n
    expected = float((confusion.sum(axis=1) * confusion.sum(axis=0)).sum()) / n**2
    kappa = 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)
    return Agreement(n, observed, kappa, labels, confusion.tolist())


_AUTO_KEYS = ("cluster", "auto", "automatic", "auto_cluster")
_CURATOR_KEYS = ("curator_label", "curator", "label")


def read_labels(path: str | Path) -> tuple[list[str], list[str]]:
    """(automatic, curator) cluster labels from a CSV or JSON Lines file.

    Columns / keys: the automatic cluster in one of cluster, auto, automatic,
    auto_cluster; the curator's in curator_label, curator or label. Rows without a
    curator label are skipped. Labels are cluster ids or display names.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"cannot read labels file {path}: {exc}") from None
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
    except (json.JSONDecodeError, csv.Error) as exc:
        raise AnalysisError(f"labels file {path} is malformed: {exc}") from None
    automatic, curator = [], []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise AnalysisError(f"{path}: row {number} is not a record")
        auto = next((row[k] for k in _AUTO_KEYS if row.get(k)), None)
        label = next((row[k] for k in _CURATOR_KEYS if row.get(k)), None)
        if label is None:
            continue
        if auto is None:
            raise AnalysisError(
                f"{path}: row {number} has a curator label but no automatic cluster "
                f"(a column named one of {', '.join(_AUTO_KEYS)})"
            )
        try:
            automatic.append(parse_cluster(str(auto)))
            curator.append(parse_cluster(str(label)))
        except ValueError as exc:
            raise AnalysisError(f"{path}: row {number}: {exc}") from None
    if not automatic:
        raise AnalysisError(
            f"{path} has no rows with both an automatic cluster and a curator label "
            f"(columns {_AUTO_KEYS[0]} and {_CURATOR_KEYS[0]})"
        )
    return automatic, curator


def kmeans_clusters(vectors: np.ndarray, k: int = 4, seed: int = 0) -> np.ndarray:
    """Unsupervised check: k-means (standardised features) on evidence vectors [N, F] -> labels [N]."""
    from sklearn.cluster import KMeans

    x = np.asarray(vectors, dtype=np.float64)
    if len(x) < k:
        raise ValueError(f"k-means with k={k} needs at least {k} evidence vectors, got {len(x)}")
    std = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)


def kmeans_report(
    ids: list, evidence: list[ClusterEvidence], rule_clusters: list[str], k: int = 4, seed: int = 0
) -> dict:
    """The unsupervised check for researchers: k-means (k = 4) on the evidence vectors,
    set beside the rule-based clusters.

    Returns the features, each id's k-means group, the contingency table (rows: rule
    cluster, columns: k-means group), each group's majority rule cluster and its share,
    the adjusted Rand index of the two partitions (1: identical, about 0: unrelated) and
    the mean evidence vector per group.
    """
    from sklearn.metrics import adjusted_rand_score

    if not (len(ids) == len(evidence) == len(rule_clusters)):
        raise ValueError("ids, evidence and rule clusters differ in length")
    vectors = np.array([e.vector() for e in evidence]).reshape(len(evidence), len(VECTOR_FIELDS))
    groups = kmeans_clusters(vectors, k=k, seed=seed)
    labels = list(CLUSTERS)
    rules = [labels.index(parse_cluster(c)) for c in rule_clusters]
    table = np.zeros((len(labels), k), dtype=int)
    for r, g in zip(rules, groups, strict=True):
        table[r, g] += 1
    majority = {
        str(g): {
            "rule_cluster": labels[int(table[:, g].argmax())],
            "share": round(float(table[:, g].max() / max(1, table[:, g].sum())), 4),
        }
        for g in range(k)
    }
    return {
        "k": k,
        "n": len(ids),
        "features": list(VECTOR_FIELDS),
        "standardised": True,
        "seed": seed,
        "groups": {str(i): int(g) for i, g in zip(ids, groups, strict=True)},
        "rule_clusters": labels,
        "contingency_rows_rule_cols_kmeans": table.tolist(),
        "majority_rule_cluster": majority,
        "adjusted_rand_index": round(float(adjusted_rand_score(rules, groups)), 4),
        "group_means": {
            str(g): [round(float(v), 4) for v in vectors[groups == g].mean(axis=0)]
            for g in range(k)
        },
    }
