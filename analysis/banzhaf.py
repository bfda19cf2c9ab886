"""Exact weighted Banzhaf values and pairwise interactions by enumerating every coalition."""

from __future__ import annotations

import itertools

import torch
from dreamdraw.analysis.game import Game
from torch import Tensor

__all__ = ["all_coalitions", "coalition_weights", "exact_weighted_banzhaf"]

MAX_EXACT_PLAYERS = 16


def all_coalitions(n: int, device: str | torch.device = "cpu") -> Tensor:
    """Every coalition of n players as bool [2^n, n]; row k holds the bits of k."""
    codes = torch.arange(1 << n, device=device)
    return (codes[:, None] >> torch.arange(n, device=device)) & 1 == 1


def coalition_weights(coalitions: Tensor, p: float) -> Tensor:
    """mu_p(T) = p^|T| (1-p)^(n-|T|) for bool coalitions [B, n]: float64 [B]."""
    size = coalitions.sum(dim=1).double()
    n = coalitions.shape[1]
    return p**size * (1.0 - p) ** (n - size)


def exact_weighted_banzhaf(game: Game, p: float = 0.5) -> tuple[Tensor, Tensor]:
    """Weighted Banzhaf values [n] and pairwise interactions [n, n] (zero diagonal) by enumeration.

    value_i = sum_{T in N\\i} mu_p(T) (v(T+i) - v(T)) and
    I_p(ij) = sum_{T in N\\ij} mu_p(T) (v(T+ij) - v(T+i) - v(T+j) + v(T)), with mu_p over
    the players outside i (resp. i and j). Costs 2^n game evaluations.
    """
    n = game.n_players
    if n > MAX_EXACT_PLAYERS:
        raise ValueError(f"exact enumeration is for at most {MAX_EXACT_PLAYERS} players, got {n}")
    coalitions = all_coalitions(n)
    v = game(coalitions).double()
    codes = torch.arange(1 << n)
    values = torch.zeros(n, dtype=torch.float64)
    for i in range(n):
        without = (codes >> i) & 1 == 0
        rest = coalitions[without][:, [k for k in range(n) if k != i]]
        w = coalition_weights(rest, p)
        values[i] = (w * (v[codes[without] | (1 << i)] - v[codes[without]])).sum()
    interactions = torch.zeros(n, n, dtype=torch.float64)
    for i, j in itertools.combinations(range(n), 2):
        without = ((codes >> i) & 1 == 0) & ((codes >> j) & 1 == 0)
        base = codes[without]
        rest = coalitions[without][:, [k for k in range(n) if k not in (i, j)]]
        w = coalition_weights(rest, p)
        delta = v[base | (1 << i) | (1 << j)] - v[base | (1 << i)] - v[base | (1 << j)] + v[base]
        interactions[i, j] = interactions[j, i] = (w * delta).sum()
    return values, interactions
