"""Inputs, the CLIP pair game, alignment, concept probing, stroke ablation and typography."""

from __future__ import annotations

import math

import pytest
import torch
from dreamdraw.analysis import AnalysisError
from dreamdraw.analysis.captions import EVERYDAY_CAPTIONS, caption_bank, content_words
from dreamdraw.analysis.clip_game import ClipPairGame
from dreamdraw.analysis.inputs import check_not_blank, load_picture, square_image
from dreamdraw.analysis.probing import (
    ablate_strokes,
    measure_alignment,
    probe_concepts,
    probe_typography,
    render_text,
)
from dreamdraw.analysis.scorer import FILLER_TOKEN, ClipScorer
from dreamdraw.drawing import letterbox, rasterize, strokes_to_batch


@pytest.fixture(scope="module")
def scorer(tiny_clip):
    return ClipScorer(tiny_clip, batch_size=16)


def test_content_words_drop_stop_words_and_repeats():
    assert content_words("I dreamt that my teeth, my TEETH were falling out") == [
        "teeth",
        "falling",
    ]


def test_word_tokens_keep_a_words_sub_word_tokens_together(scorer):
    tokens = scorer.word_tokens(["a", "red-door,", "flying!"])
    assert tokens.words == ["a", "red-door,", "flying!"]
    start, stop = tokens.spans[1]
    assert stop - start > 1  # "red-door," is several BPE tokens
    assert tokens.tokens[0] == scorer.clip.tokenizer.sot_token_id
    assert tokens.tokens[tokens.spans[-1][1]] == scorer.clip.tokenizer.eot_token_id


def test_masked_words_become_filler_and_start_end_stay(scorer):
    tokens = scorer.word_tokens(["red", "whale"])
    masked = scorer.masked_tokens(tokens, torch.tensor([[False, True]]))[0]
    start, stop = tokens.spans[0]
    assert (masked[start:stop] == FILLER_TOKEN).all()
    assert masked[0] == tokens.tokens[0] and masked[stop:].equal(tokens.tokens[stop:])


def test_text_longer_than_the_context_is_truncated_and_reported(scorer):
    words = ["whale"] * 100
    tokens = scorer.word_tokens(words)
    assert len(tokens.words) == scorer.clip.context_length - 2
    assert len(tokens.dropped) == 100 - len(tokens.words)


def test_pair_game_full_coalition_is_the_plain_cosine(scorer, line_drawing):
    square = square_image(line_drawing.render(), scorer.image_size)
    tokens = scorer.word_tokens(["a", "red", "whale"])
    game = ClipPairGame(scorer, square, tokens)
    full = game(torch.ones(1, game.n_players, dtype=torch.bool))
    plain = scorer.encode_images(square[None])[0] @ scorer.clip.encode_text(["a red whale"])[0]
    assert float(full[0]) == pytest.approx(float(plain), abs=1e-5)
    assert game.n_image == 49 and game.player_names[-1] == "whale"


def test_absent_patches_are_white_paper_by_default(scorer):
    image = torch.zeros(3, scorer.image_size, scorer.image_size)
    game = ClipPairGame(scorer, image, scorer.word_tokens(["cat"]))
    keep = torch.zeros(1, 49, dtype=torch.bool)
    keep[0, 0] = True
    masked = game.masked_images(keep)[0]
    cell = scorer.image_size // 7
    assert masked[:, :cell, :cell].max() == 0.0
    assert masked[:, cell:, :].min() == 1.0


def test_mean_fill_uses_clips_mean_colour(scorer):
    image = torch.zeros(3, scorer.image_size, scorer.image_size)
    game = ClipPairGame(scorer, image, scorer.word_tokens(["cat"]), fill="mean")
    masked = game.masked_images(torch.zeros(1, 49, dtype=torch.bool))[0]
    assert torch.allclose(masked[:, 5, 5], scorer.clip.mean.cpu())


def test_alignment_ranks_the_dream_against_distractors(scorer, line_drawing):
    image = scorer.encode_images(square_image(line_drawing.render(), scorer.image_size)[None])[0]
    dream = scorer.encode_texts(["a red whale"])[0]
    result = measure_alignment(scorer, image, dream, ["a red whale", *EVERYDAY_CAPTIONS[:5]])
    others = scorer.encode_texts(list(EVERYDAY_CAPTIONS[:5])) @ image
    assert result.rank == 1 + int((others > result.cosine).sum())
    assert result.margin <= 1e-6  # the dream itself is among the distractors
    assert result.n_distractors == 6


def test_grayscale_drawing_has_no_grayscale_change(scorer):
    gray = torch.full((3, scorer.image_size, scorer.image_size), 0.5)
    gray[:, 40:90, 40:90] = 0.1
    bank = caption_bank(["whale"])
    probe = probe_concepts(scorer, gray, bank, scorer.encode_texts(bank.captions), 0.1)
    assert all(abs(v) < 1e-4 for v in probe.grayscale_change.values())
    assert sum(probe.family_share.values()) == pytest.approx(1.0)
    assert 0.0 <= probe.entropy <= 1.0
    assert bank.families[bank.captions.index(probe.best_other)] == "shape"


def test_readings_leave_the_colour_captions_out(scorer):
    image = torch.ones(3, scorer.image_size, scorer.image_size)
    image[0, 30:60, 30:60] = 0.0
    bank = caption_bank(["whale"])
    feats = scorer.encode_texts(bank.captions)
    probe = probe_concepts(scorer, image, bank, feats, 0.1)
    assert "colour" not in probe.content_share
    assert sum(probe.content_share.values()) == pytest.approx(1.0)
    # The content shares are the family shares renormalised without colour.
    rest = 1.0 - probe.family_share["colour"]
    for family, share in probe.content_share.items():
        assert share == pytest.approx(probe.family_share[family] / rest, rel=1e-6)
    content = [i for i, f in enumerate(bank.families) if f != "colour"]
    p = torch.tensor([probe.probabilities[i] for i in content], dtype=torch.float64)
    p = p / p.sum()
    expected = float(-(p * p.log()).sum() / math.log(len(content)))
    assert probe.entropy == pytest.approx(expected, rel=1e-6)


def test_stroke_ablation_drop_is_the_score_lost_without_that_stroke(scorer, line_drawing):
    bank = caption_bank(["whale", "sea"])
    feats = scorer.encode_texts(bank.captions)
    result = ablate_strokes(scorer, line_drawing, bank, feats)
    assert len(result.carries) == len(line_drawing.strokes)
    assert sum(result.family_tally.values()) == len(line_drawing.strokes)
    k = 2
    scale = scorer.image_size / 300
    batch, mode = strokes_to_batch(line_drawing, scale)
    keep = torch.ones(len(batch), dtype=torch.bool)
    full = square_image(
        rasterize(batch, round(200 * scale), scorer.image_size, mode=mode, samples=32), 224
    )
    keep[k] = False
    without = square_image(
        rasterize(batch.select(keep), round(200 * scale), 224, mode=mode, samples=32), 224
    )
    before, after = scorer.encode_images(torch.stack([full, without])) @ feats.T
    c = result.carries[k]
    assert result.drop[k] == pytest.approx(float(before[c] - after[c]), abs=1e-4)
    assert float((before - after).max()) == pytest.approx(result.drop[k], abs=1e-4)


def test_typography_of_the_typeset_dream_itself_is_one(scorer):
    typeset = render_text("a red whale over the city", scorer.image_size)
    assert typeset.min() < 0.2 and typeset.max() == 1.0  # dark letters on white
    features = scorer.encode_images(typeset[None])[0]
    result = probe_typography(
        scorer, features, scorer.encode_texts(["x"])[0], "a red whale over the city"
    )
    assert result.similarity == pytest.approx(1.0, abs=1e-4)


def test_drawing_json_and_svg_load_as_pictures(tmp_path, line_drawing):
    line_drawing.save(tmp_path / "d.json")
    (tmp_path / "d.svg").write_text(line_drawing.to_svg(), encoding="utf-8")
    image, source = load_picture(tmp_path / "d.json")
    assert source is not None and len(source.strokes) == 5
    svg, _ = load_picture(tmp_path / "d.svg")
    check_not_blank(svg)
    assert svg.shape[0] == 3 and svg.min() < 0.5


def test_unreadable_image_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png at all")
    with pytest.raises(AnalysisError, match="cannot read image"):
        load_picture(bad)


def test_blank_drawing_is_refused():
    with pytest.raises(AnalysisError, match="blank"):
        check_not_blank(torch.ones(3, 50, 80))


def test_letterboxed_square_keeps_the_drawing_centred(line_drawing):
    square = square_image(line_drawing.render(), 224)
    assert square.shape == (3, 224, 224)
    assert torch.allclose(square[:, :20, :], torch.ones(3, 20, 224))  # white band on top
    assert letterbox(line_drawing.render()).shape[-1] == 300


def test_stroke_ablation_of_a_classic_drawing_removes_each_stroke(scorer, line_drawing):
    line_drawing.mode = "classic"
    for stroke in line_drawing.strokes:
        stroke.rgba = (0.2, 0.4, 0.6, 0.8)
        stroke.width_px = 6.0
    bank = caption_bank(["whale"])
    feats = scorer.encode_texts(bank.captions)
    result = ablate_strokes(scorer, line_drawing, bank, feats)
    assert len(result.carries) == 5
    assert sorted(result.strongest) == [0, 1, 2, 3, 4]
    assert result.drop[result.strongest[0]] >= result.drop[result.strongest[-1]]


def test_a_foreign_svg_is_rasterised_as_line_art(tmp_path):
    svg = tmp_path / "circle.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="50mm" viewBox="0 0 100 50">'
        '<circle cx="25" cy="25" r="20" stroke="red" fill="none"/>'
        '<path d="M 60 10 L 90 40" stroke="black"/></svg>',
        encoding="utf-8",
    )
    image, source = load_picture(svg)
    assert source is None
    assert image.shape[1] < image.shape[2]  # keeps the landscape shape
    ink = image.sum(dim=0) < 0.3
    assert 0.002 < float(ink.float().mean()) < 0.2  # thin lines on white paper


def test_an_svg_without_lines_is_blank(tmp_path):
    svg = tmp_path / "empty.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')
    with pytest.raises(AnalysisError, match="blank"):
        load_picture(svg)
