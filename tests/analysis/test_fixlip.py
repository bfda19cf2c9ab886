"""FIXLIP's estimator against exact enumeration, shapiq, and planted interactions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapiq
import torch
from dreamdraw.analysis.banzhaf import exact_weighted_banzhaf
from dreamdraw.analysis.fixlip import budget_split, fixlip
from dreamdraw.analysis.game import BilinearGame, FunctionGame
from dreamdraw.analysis.interactions import InteractionResult
from dreamdraw.analysis.metrics import pointing_game


def random_game(n: int, seed: int) -> FunctionGame:
    """A game with an arbitrary value for each of the 2^n coalitions."""
    table = torch.from_numpy(np.random.default_rng(seed).normal(size=1 << n))

    def value(coalitions: torch.Tensor) -> torch.Tensor:
        codes = (coalitions.long() << torch.arange(n)).sum(dim=1)
        return table[codes]

    return FunctionGame(n, value)


def bilinear_game(n_image: int = 6, n_text: int = 3, seed: int = 0) -> BilinearGame:
    g = torch.Generator().manual_seed(seed)
    return BilinearGame(
        torch.randn(n_image, 5, generator=g),
        torch.randn(n_text, 5, generator=g),
        torch.randn(5, generator=g),
        torch.randn(5, generator=g),
    )


@pytest.mark.parametrize("p", [0.3, 0.5, 0.7])
def test_order_one_with_full_budget_equals_exact_weighted_banzhaf_values(p):
    game = random_game(7, seed=1)
    exact_values, _ = exact_weighted_banzhaf(game, p)
    result = fixlip(game, budget=2**7, p=p, order=1, heldout=0)
    assert result.exact
    np.testing.assert_allclose(result.first_order, exact_values.numpy(), atol=1e-6)


@pytest.mark.parametrize("p", [0.3, 0.5, 0.7])
def test_order_two_with_full_budget_equals_exact_interactions(p):
    game = random_game(8, seed=2)
    _, exact_pairs = exact_weighted_banzhaf(game, p)
    result = fixlip(game, budget=2**8, p=p, order=2, heldout=0)
    np.testing.assert_allclose(result.interactions, exact_pairs.numpy(), atol=1e-6)


@pytest.mark.parametrize("p", [0.3, 0.5, 0.7])
def test_order_two_summary_equals_weighted_banzhaf_values(p):
    game = random_game(8, seed=3)
    exact_values, _ = exact_weighted_banzhaf(game, p)
    result = fixlip(game, budget=2**8, p=p, order=2, heldout=0)
    np.testing.assert_allclose(result.summary, exact_values.numpy(), atol=1e-6)


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_cross_modal_full_budget_equals_exact_interactions(p):
    game = bilinear_game(5, 4)
    exact_values, exact_pairs = exact_weighted_banzhaf(game, p)
    result = fixlip(game, budget=2**9, p=p, heldout=0)
    np.testing.assert_allclose(result.interactions, exact_pairs.numpy(), atol=1e-6)
    np.testing.assert_allclose(result.summary, exact_values.numpy(), atol=1e-6)


def test_order_two_at_half_equals_shapiq_exact_fbii():
    n = 6
    game = random_game(n, seed=4)
    expected = shapiq.ExactComputer(lambda c: game(torch.from_numpy(c)).numpy(), n_players=n)(
        "FBII", order=2
    )
    ours = fixlip(game, budget=2**n, p=0.5, heldout=0).to_shapiq()
    for key, index in expected.interaction_lookup.items():
        assert ours[key] == pytest.approx(expected.values[index], abs=1e-6), key


def test_budget_split_follows_the_reference_formula():
    assert budget_split(4096, 49, 8) == (4096 // 11, 11)
    assert budget_split(2**17, 49, 12) == (2**17 // 89, 89)
    assert budget_split(64, 49, 1) == (32, 2)


def test_planted_image_text_interactions_rank_on_top():
    n_image, n_text, dim = 16, 4, 24
    g = torch.Generator().manual_seed(5)
    patches = 0.05 * torch.randn(n_image, dim, generator=g)
    words = 0.05 * torch.randn(n_text, dim, generator=g)
    planted = [(3, 0), (9, 2), (12, 1)]
    for k, (i, j) in enumerate(planted):
        patches[i, k] += 1.0
        words[j, k] += 1.0
    game = BilinearGame(patches, words, torch.zeros(dim), torch.zeros(dim), normalise=False)
    result = fixlip(game, budget=2**10, p=0.5)
    top = {(i, j) for i, j, _ in result.top_image_text(3)}
    assert top == set(planted)
    assert result.r2 > 0.99


def test_sampled_estimate_approaches_the_exact_values():
    game = bilinear_game(10, 4, seed=6)
    exact_values, _ = exact_weighted_banzhaf(game, 0.5)
    result = fixlip(game, budget=2**11, p=0.5)
    assert not result.exact
    assert result.budget <= 2**11
    assert np.corrcoef(result.summary, exact_values.numpy())[0, 1] > 0.95
    assert result.r2 > 0.8


def test_aid_is_positive_for_the_summary_ranking_and_negative_reversed():
    from dreamdraw.analysis.metrics import deletion_curves

    game = bilinear_game(8, 3, seed=7)
    result = fixlip(game, budget=2**11, p=0.5)
    reversed_aid, _, _ = deletion_curves(game, -result.summary)
    assert result.aid > 0
    assert reversed_aid == pytest.approx(-result.aid)
    assert result.deletion_most_first[0] == pytest.approx(1.0)
    assert result.deletion_most_first[-1] == pytest.approx(0.0)


def test_pointing_game_on_a_two_by_two_grid():
    inside = np.array([[True, False], [False, False]])
    assert pointing_game(np.array([[2.0, 0.0], [0.0, -1.0]]), inside) == 1.0
    assert pointing_game(np.array([[-1.0, 1.0], [1.0, 1.0]]), inside) == 0.0
    assert pointing_game(np.array([[1.0, 1.0], [0.0, 0.0]]), inside) == 0.5


def test_fixlip_points_at_the_planted_quadrant_of_a_two_by_two_grid():
    # Four quadrant patches; the word "cat" is planted in the top-left one.
    g = torch.Generator().manual_seed(8)
    patches = 0.01 * torch.randn(4, 6, generator=g)
    words = 0.01 * torch.randn(2, 6, generator=g)
    patches[0, 0] += 1.0
    words[0, 0] += 1.0
    game = BilinearGame(patches, words, torch.zeros(6), torch.zeros(6), normalise=False)
    result = fixlip(game, budget=2**6, p=0.5, heldout=0)
    heat = result.image_text[:, 0].reshape(2, 2)
    assert pointing_game(heat, np.array([[True, False], [False, False]])) > 0.9


def test_result_round_trips_through_json():
    result = fixlip(bilinear_game(), budget=2**8, p=0.3)
    back = InteractionResult.from_json(result.to_json())
    np.testing.assert_allclose(back.interactions, result.interactions)
    np.testing.assert_allclose(back.summary, result.summary)
    assert back.p == 0.3 and back.r2 == result.r2 and back.n_image == 6
    assert json.loads(result.to_json())["format"] == "dreamdraw.fixlip/1"


def test_shapiq_conversion_keeps_values_and_pairs():
    result = fixlip(bilinear_game(4, 2), budget=2**6, p=0.5, heldout=0)
    values = result.to_shapiq()
    assert values.index == "FBII"
    assert values[(1,)] == pytest.approx(result.first_order[1])
    assert values[(0, 5)] == pytest.approx(result.interactions[0, 5])


def test_sampled_coalitions_recover_a_game_of_order_two_exactly():
    n = 12
    rng = np.random.default_rng(9)
    linear = torch.from_numpy(rng.normal(size=n))
    pairs = torch.from_numpy(np.triu(rng.normal(size=(n, n)), 1))

    def value(coalitions: torch.Tensor) -> torch.Tensor:
        x = coalitions.double()
        return 0.3 + x @ linear + ((x @ pairs) * x).sum(dim=1)

    result = fixlip(FunctionGame(n, value), budget=2**10, p=0.3)
    assert not result.exact
    np.testing.assert_allclose(result.interactions, (pairs + pairs.T).numpy(), atol=1e-8)
    np.testing.assert_allclose(result.first_order, linear.numpy(), atol=1e-8)
    assert result.intercept == pytest.approx(0.3)
    assert result.r2 == pytest.approx(1.0)
