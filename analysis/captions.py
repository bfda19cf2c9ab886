"""Caption banks: everyday distractor captions, stop words, and concept families per dream."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EVERYDAY_CAPTIONS", "STOP_WORDS", "CaptionBank", "content_words", "caption_bank"]

EVERYDAY_CAPTIONS: tuple[str, ...] = (
    "a cup of coffee on a table",
    "a dog running in a park",
    "a city street with cars",
    "a bowl of fruit",
    "a man riding a bicycle",
    "a plate of food",
    "a cat sleeping on a sofa",
    "a bus at a bus stop",
    "a laptop on a desk",
    "a group of people standing",
    "a bedroom with a bed",
    "a kitchen with a stove",
    "a tree in a field",
    "a boat on the water",
    "a clock on a wall",
    "a pair of shoes",
    "a mountain landscape",
    "a bird on a branch",
    "a chair next to a window",
    "a child playing with a ball",
    "a train at a station",
    "a vase of flowers",
    "a pizza on a plate",
    "a person talking on a phone",
    "an airplane in the sky",
    "a horse in a meadow",
    "a bathroom sink",
    "a traffic light",
    "a pile of books",
    "a beach with waves",
)

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "dream",
        "dreamt",
        "dreamed",
        "dreaming",
        "dreams",
        "i'm",
        "im",
        "was",
        "were",
        "like",
        "really",
        "very",
        "just",
        "then",
        "there",
        "got",
        "get",
        "went",
        "go",
        "going",
        "came",
        "come",
        "one",
        "thing",
        "things",
        "something",
        "somebody",
        "someone",
        "kind",
        "sort",
        "lot",
        "also",
        "suddenly",
        "remember",
    ]
)

COLOURS = ("red", "blue", "black", "green", "yellow", "orange", "purple", "brown")
SHAPES = ("circles", "squares", "triangles", "a spiral", "straight lines", "waves")
_LETTERS = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*", re.UNICODE)


def content_words(text: str, limit: int = 8) -> list[str]:
    """The dream's content words (lower case, stop words removed, first occurrence order)."""
    seen: list[str] = []
    for word in _LETTERS.findall(text.lower()):
        if word not in STOP_WORDS and len(word) > 1 and word not in seen:
            seen.append(word)
    return seen[:limit]


@dataclass
class CaptionBank:
    """Captions with the concept family each belongs to.

    families: "dream" (the dream's content words), "writing", "abstract", "colour", "shape".
    """

    captions: list[str]
    families: list[str]
    concepts: list[str]

    def indices(self, family: str) -> list[int]:
        return [i for i, f in enumerate(self.families) if f == family]

    def without(self, family: str) -> tuple[CaptionBank, list[int]]:
        """The bank without one family, and the kept captions' indices in this bank."""
        kept = [i for i, f in enumerate(self.families) if f != family]
        rows = (
            [column[i] for i in kept] for column in (self.captions, self.families, self.concepts)
        )
        return CaptionBank(*rows), kept


def caption_bank(words: list[str]) -> CaptionBank:
    """The caption bank of a dream with content words `words`."""
    rows: list[tuple[str, str, str]] = []
    for w in words:
        rows.append((f"a drawing of {w}", "dream", w))
    for w in words:
        rows.append((f'the word "{w}" written in letters', "writing", w))
    rows += [
        ("handwritten text", "writing", "text"),
        ("a page of written words", "writing", "text"),
        ("abstract scribbles", "abstract", "scribbles"),
        ("random messy lines", "abstract", "scribbles"),
    ]
    rows += [(f"a drawing in {c}", "colour", c) for c in COLOURS]
    rows += [(f"a drawing of {s}", "shape", s) for s in SHAPES]
    return CaptionBank([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
