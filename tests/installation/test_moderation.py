"""The moderation word list: whole words and phrases, any case and accent, `word*` prefixes."""

from __future__ import annotations

from dreamdraw.installation.moderation import WordList


def test_an_entry_matches_a_whole_word_in_any_case():
    assert WordList(["knife"]).blocked_by("A KNIFE on the table") == "knife"


def test_an_entry_does_not_match_inside_another_word():
    assert WordList(["gun"]).blocked_by("a gundog by the lagoon") is None


def test_a_star_matches_any_ending():
    words = WordList(["kill*"])
    assert words.blocked_by("they were killing roses") == "killing"
    assert words.blocked_by("a skill") is None


def test_a_phrase_matches_across_any_whitespace():
    assert WordList(["blue whale"]).blocked_by("a Blue\n  Whale sang") == "blue\n  whale"


def test_accents_are_folded_both_ways():
    assert WordList(["matalo"]).blocked_by("¡Mátalo!") == "matalo"
    assert WordList(["mátalo"]).blocked_by("matalo") == "matalo"


def test_an_empty_list_blocks_nothing():
    assert WordList([]).blocked_by("anything at all") is None
    assert WordList(["", "  "]).blocked_by("anything at all") is None


def test_regex_characters_in_entries_are_taken_literally():
    words = WordList(["a.b", "(x)"])
    assert words.blocked_by("axb") is None
    assert words.blocked_by("see a.b here") == "a.b"
