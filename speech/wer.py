"""Word error rate: how far a transcript is from the words spoken, the one measure tests and bench use."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_words", "word_error_rate"]

_NOT_WORD = re.compile(r"[^\w']+")


def normalize_words(text: str) -> list[str]:
    """The words of a text as word error rate compares them.

    Unicode NFC, lower case, typographic apostrophes made straight, then every run of
    characters that are neither letters, digits nor apostrophes (punctuation, hyphens,
    spaces) separates words; apostrophes at a word's edges are dropped, inside it kept
    ("don't" is one word, "half-way" is two).
    """
    text = unicodedata.normalize("NFC", text).lower().replace("\u2019", "'")
    words = (word.strip("'") for word in _NOT_WORD.split(text))
    return [word for word in words if word]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance (substitutions, insertions, deletions) over the reference's words.

    Both texts go through normalize_words first. 0.0 is a perfect transcript; an empty
    hypothesis scores 1.0; insertions can take it above 1.0. An empty reference counts as one
    word, so any hypothesis against it scores its word count.
    """
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(ref))
