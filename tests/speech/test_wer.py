"""Word error rate, the one measure the speech tests and the benchmark report."""

from __future__ import annotations

import pytest
from dreamdraw.speech.wer import normalize_words, word_error_rate


def test_case_and_punctuation_do_not_count():
    assert word_error_rate("I dreamed of a whale.", "i dreamed, of a WHALE") == 0.0


def test_hyphens_split_words_and_inner_apostrophes_stay():
    assert normalize_words("Don't go half-way, ‘dear’") == ["don't", "go", "half", "way", "dear"]


def test_one_substituted_word_in_ten_is_a_tenth():
    reference = "I was riding a bicycle through the clouds above mountains"
    assert word_error_rate(reference, reference.replace("bicycle", "tricycle")) == 0.1


def test_an_empty_transcript_misses_every_word():
    assert word_error_rate("a red door in the sea", "") == 1.0


def test_invented_extra_words_can_exceed_one():
    assert word_error_rate("a whale", "I am not a leader I am not a leader") == pytest.approx(9 / 2)
