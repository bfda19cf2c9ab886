"""Cluster assignment from evidence, agreement with curators, and the k-means check."""

from __future__ import annotations

import re

import numpy as np
import pytest
from dreamdraw.analysis import CLUSTERS, AnalysisSettings, assign_cluster
from dreamdraw.analysis.clusters import (
    ClusterAssignment,
    ClusterEvidence,
    cluster_agreement,
    kmeans_clusters,
    kmeans_report,
)


def evidence(**changes) -> ClusterEvidence:
    base = dict(
        cosine=0.31,
        rank=1,
        n_distractors=30,
        margin=0.045,
        writing_share=0.05,
        typography=0.52,
        entropy=0.42,
        best_distractor="a dog running in a park",
        best_other="a drawing of circles",
        best_other_margin=-0.06,
        main_word="whale",
        main_word_top=True,
        speech_logprob=-0.2,
        translated=False,
    )
    base.update(changes)
    return ClusterEvidence(**base)


SYNTHETIC = {
    "clear_concept": evidence(),
    "text_as_image": evidence(writing_share=0.62, typography=0.86),
    "indeterminacy": evidence(rank=9, margin=-0.02, entropy=0.93, best_other_margin=-0.01),
    "lost_in_translation": evidence(
        cosine=0.21,
        rank=4,
        margin=-0.03,
        entropy=0.38,
        best_other="a drawing of a bat",
        best_other_margin=0.05,
        speech_logprob=-1.1,
        translated=True,
    ),
}


@pytest.mark.parametrize("cluster", list(CLUSTERS))
def test_synthetic_evidence_lands_in_its_cluster(cluster):
    assert assign_cluster(SYNTHETIC[cluster]).cluster == cluster


@pytest.mark.parametrize("cluster", list(CLUSTERS))
def test_rationale_quotes_the_measured_numbers(cluster):
    e = SYNTHETIC[cluster]
    text = assign_cluster(e).rationale
    numbers = set(re.findall(r"[+-]?\d+\.\d+", text))
    quoted = {
        "clear_concept": [f"{e.cosine:.3f}", f"{e.margin:+.3f}", f"{e.entropy:.2f}"],
        "text_as_image": [f"{e.writing_share:.2f}", f"{e.typography:.3f}"],
        "indeterminacy": [f"{e.cosine:.3f}", f"{e.margin:+.3f}", f"{e.entropy:.2f}"],
        "lost_in_translation": [
            f"{e.best_other_margin:+.3f}",
            f"{e.entropy:.2f}",
            f"{e.speech_logprob:.2f}",
        ],
    }[cluster]
    assert set(quoted) <= numbers, (quoted, text)


def test_missing_speech_confidence_keeps_the_cluster_with_lower_confidence():
    full = assign_cluster(SYNTHETIC["clear_concept"])
    partial = assign_cluster(evidence(speech_logprob=None, translated=None))
    assert partial.cluster == full.cluster == "clear_concept"
    assert partial.confidence < full.confidence
    assert partial.missing == ["speech confidence", "translation flag"]
    assert "Not measured: speech confidence" in partial.rationale


def test_thresholds_come_from_the_settings():
    e = evidence(writing_share=0.3)
    assert assign_cluster(e).cluster == "clear_concept"
    assert assign_cluster(e, AnalysisSettings(writing_share_min=0.25)).cluster == "text_as_image"


def test_confidence_is_between_half_and_one_with_full_evidence():
    for e in SYNTHETIC.values():
        assert 0.5 <= assign_cluster(e).confidence <= 1.0


def test_assignment_round_trips_through_json():
    a = assign_cluster(SYNTHETIC["indeterminacy"])
    assert ClusterAssignment.from_json(a.to_json()) == a
    assert a.display_name == "indeterminacy and confusion"


def test_agreement_reports_accuracy_kappa_and_confusion():
    auto = ["clear_concept", "clear_concept", "text_as_image", "indeterminacy"]
    curator = ["clear concept", "lost in translation", "text_as_image", "indeterminacy"]
    result = cluster_agreement(auto, curator)
    assert result.accuracy == pytest.approx(0.75)
    # p_o = 0.75; p_e = (1*2 + 1*1 + 1*1 + 1*0) / 16 = 0.25
    assert result.kappa == pytest.approx((0.75 - 0.25) / 0.75)
    assert result.confusion[3][0] == 1  # curator "lost in translation", automatic "clear concept"
    assert sum(map(sum, result.confusion)) == 4


def test_agreement_rejects_unknown_labels():
    with pytest.raises(ValueError, match="unknown cluster"):
        cluster_agreement(["clear_concept"], ["surreal"])


def test_kmeans_separates_four_groups_of_evidence():
    rng = np.random.default_rng(0)
    vectors, truth = [], []
    for k, e in enumerate(SYNTHETIC.values()):
        for _ in range(5):
            vectors.append(e.vector() + rng.normal(scale=0.002, size=8))
            truth.append(k)
    labels = kmeans_clusters(np.array(vectors))
    for k in range(4):
        group = labels[np.array(truth) == k]
        assert len(set(group)) == 1
    assert len(set(labels)) == 4


def test_kmeans_report_sets_groups_beside_the_rule_clusters():
    rng = np.random.default_rng(1)
    ids, items, rules = [], [], []
    for cluster, e in SYNTHETIC.items():
        for _ in range(4):
            noisy = ClusterEvidence(
                **{**e.__dict__, "cosine": e.cosine + float(rng.normal(scale=0.002))}
            )
            ids.append(len(ids) + 100)
            items.append(noisy)
            rules.append(cluster)
    report = kmeans_report(ids, items, rules)
    assert report["n"] == 16 and report["k"] == 4
    assert report["adjusted_rand_index"] == pytest.approx(1.0)
    table = np.array(report["contingency_rows_rule_cols_kmeans"])
    assert table.sum() == 16 and sorted(table.max(axis=1).tolist()) == [4, 4, 4, 4]
    majority = {m["rule_cluster"] for m in report["majority_rule_cluster"].values()}
    assert majority == set(CLUSTERS)
    assert set(report["groups"]) == {str(i) for i in ids}


def test_kmeans_report_needs_k_vectors():
    with pytest.raises(ValueError, match="at least 4"):
        kmeans_report([1], [SYNTHETIC["clear_concept"]], ["clear_concept"])


def test_evidence_from_stored_dict_ignores_unknown_keys_and_names_what_is_missing():
    stored = {**SYNTHETIC["clear_concept"].__dict__, "added_later": 1}
    assert ClusterEvidence.from_dict(stored) == SYNTHETIC["clear_concept"]
    del stored["entropy"]
    with pytest.raises(ValueError, match="'entropy'"):
        ClusterEvidence.from_dict(stored)
    with pytest.raises(ValueError, match="'margin'"):
        ClusterEvidence.from_dict({**SYNTHETIC["clear_concept"].__dict__, "margin": "high"})


def test_dominant_abstract_reading_is_indeterminacy_and_says_why():
    e = evidence(abstract_share=0.81, best_other_margin=0.04, entropy=0.3)
    result = assign_cluster(e)
    assert result.cluster == "indeterminacy"
    assert "0.81" in result.rationale and "abstract" in result.rationale
    assert assign_cluster(e, AnalysisSettings(abstract_share_min=0.9)).cluster == "clear_concept"


def test_text_as_image_rationale_says_which_test_fired():
    typeset = assign_cluster(evidence(writing_share=0.05, typography=0.9)).rationale
    assert typeset.startswith("The drawing looks typeset:")
    both = assign_cluster(evidence(writing_share=0.6, typography=0.9)).rationale
    assert both.startswith("The drawing reads as writing and looks typeset:")
