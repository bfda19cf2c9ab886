"""How good an explanation is: p-faithfulness, insertion/deletion area (AID), pointing game."""

from __future__ import annotations

import numpy as np
import torch
from dreamdraw.analysis.game import Game
from torch import Tensor

__all__ = ["r_squared", "deletion_curves", "pointing_game"]


def r_squared(predicted: Tensor, actual: Tensor) -> float:
    """Coefficient of determination of predicted against actual values (both [B])."""
    actual = actual.double()
    residual = ((actual - predicted.double()) ** 2).sum()
    total = ((actual - actual.mean()) ** 2).sum()
    if total <= 0:
        return 1.0 if residual <= 1e-24 else 0.0
    return float(1.0 - residual / total)


def deletion_curves(
    game: Game, scores: np.ndarray, points: int = 51
) -> tuple[float, list[float], list[float]]:
    """AID and the two deletion curves of an attribution `scores` [n].

    Players are removed most-important-first and least-important-first at `points`
    evenly spaced fractions of n; each curve holds (v(T) - v(empty)) / (v(N) - v(empty)).
    AID = area(least-first) - area(most-first) (trapezoids over the fraction 0..1);
    higher is better.
    """
    n = game.n_players
    order = np.argsort(-np.asarray(scores), kind="stable")
    counts = np.round(np.linspace(0, n, points)).astype(int)
    masks = torch.ones(2 * points + 1, n, dtype=torch.bool)
    for k, c in enumerate(counts):
        masks[k, torch.as_tensor(order[:c], dtype=torch.long)] = False
        masks[points + k, torch.as_tensor(order[n - c :] if c else [], dtype=torch.long)] = False
    masks[-1] = False
    values = game(masks).double().cpu().numpy()
    empty, full = values[-1], values[0]
    span = full - empty if abs(full - empty) > 1e-12 else 1.0
    most = (values[:points] - empty) / span
    least = (values[points : 2 * points] - empty) / span
    x = np.linspace(0.0, 1.0, points)
    aid = float(np.trapezoid(least, x) - np.trapezoid(most, x))
    return aid, most.tolist(), least.tolist()


def pointing_game(attribution: np.ndarray, inside: np.ndarray) -> float:
    """Pointing-game score of an attribution map against the region it should point at.

    attribution, inside: same shape (e.g. [rows, cols] patches); inside is bool.
    correct = sum In+ + |sum Out-|, wrong = sum Out+ + |sum In-|,
    score = correct / (correct + wrong), in [0, 1].
    """
    a = np.asarray(attribution, dtype=np.float64)
    m = np.asarray(inside, dtype=bool)
    if a.shape != m.shape:
        raise ValueError(f"attribution {a.shape} and region {m.shape} differ in shape")
    pos, neg = np.clip(a, 0, None), np.clip(a, None, 0)
    correct = pos[m].sum() + abs(neg[~m].sum())
    wrong = pos[~m].sum() + abs(neg[m].sum())
    total = correct + wrong
    return float(correct / total) if total > 0 else 0.5
