"""FIXLIP's estimator: p-weighted coalition sampling and least squares on order-1/2 features.

E* = argmin_E sum_T mu_p(T) (v(T) - sum_{S in T, |S| <= 2} E(S))^2 with an intercept.
Coalitions are drawn from mu_p (each player kept with probability p) and fitted with
unit weights, or, when the budget covers all 2^n coalitions, enumerated and weighted by
mu_p, which gives the exact weighted Banzhaf values and interactions. The normal
equations are accumulated in chunks of rows, never as one dense design matrix.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from dreamdraw.analysis.banzhaf import all_coalitions, coalition_weights
from dreamdraw.analysis.game import CrossModalGame, Game
from dreamdraw.analysis.interactions import InteractionResult
from dreamdraw.analysis.metrics import deletion_curves, r_squared
from torch import Tensor

__all__ = ["FixlipApproximator", "fixlip", "budget_split"]


def budget_split(budget: int, n_image: int, n_text: int) -> tuple[int, int]:
    """(B_img, B_txt) for cross-modal sampling, as in the FIXLIP reference code.

    B_txt = min(2^n_text, ceil(max(4, n_text + 1, sqrt(B) * n_text / n_image))),
    B_img = floor(B / B_txt). The n_text + 1 floor (ours) keeps every word's value
    identifiable at small budgets; at FIXLIP's budgets it never binds.
    """
    b_txt = math.ceil(max(4.0, n_text + 1.0, math.sqrt(budget) * n_text / max(n_image, 1)))
    b_txt = max(1, min(2**n_text, b_txt))
    return max(1, budget // b_txt), b_txt


def _pair_index(n: int, device: torch.device) -> tuple[Tensor, Tensor]:
    i, j = torch.triu_indices(n, n, 1, device=device)
    return i, j


def _design(coalitions: Tensor, order: int, pairs: tuple[Tensor, Tensor], dtype) -> Tensor:
    """Design rows [m, 1 + n (+ n(n-1)/2)]: intercept, singletons, products of pairs (i < j)."""
    x = coalitions.to(dtype)
    columns = [torch.ones(x.shape[0], 1, dtype=dtype, device=x.device), x]
    if order == 2:
        columns.append(x[:, pairs[0]] * x[:, pairs[1]])
    return torch.cat(columns, dim=1)


@dataclass
class FixlipApproximator:
    """Weighted Banzhaf values (order 1) or faithful interactions (order 2) for inclusion p.

    chunk_rows: design rows per accumulation step (memory ~ chunk_rows x features).
    heldout: coalitions from mu_p kept out of the fit for the R^2 (0: skip).
    aid_points: points of the deletion curves (0: skip AID).
    """

    p: float = 0.5
    order: int = 2
    seed: int = 0
    heldout: int = 1000
    aid_points: int = 51
    chunk_rows: int = 4096
    device: str | torch.device = "cpu"

    def __post_init__(self) -> None:
        if not 0.0 < self.p < 1.0:
            raise ValueError(f"inclusion probability p must be in (0, 1), got {self.p}")
        if self.order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, got {self.order}")
        self.device = torch.device(self.device)

    # -- sampling --------------------------------------------------------------------
    def _bernoulli(self, rows: int, n: int, generator: torch.Generator) -> Tensor:
        return (torch.rand(rows, n, generator=generator) < self.p).to(self.device)

    def _chunks(
        self, game: Game, budget: int, generator: torch.Generator
    ) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        """(coalitions bool [m, n], values [m], weights [m]) chunks covering the budget."""
        n = game.n_players
        full = budget >= 2**n
        if isinstance(game, CrossModalGame):
            if full:
                b_img, b_txt = 2**game.n_image, 2**game.n_text
            else:
                b_img, b_txt = budget_split(budget, game.n_image, game.n_text)
            images, w_img = self._side(b_img, game.n_image, generator)
            texts, w_txt = self._side(b_txt, game.n_text, generator)
            values = game.value_matrix(images, texts).to(self.device, torch.float64)
            per_chunk = max(1, self.chunk_rows // len(texts))
            for start in range(0, len(images), per_chunk):
                a = images[start : start + per_chunk]
                rows = torch.cat(
                    [a.repeat_interleave(len(texts), 0), texts.repeat(len(a), 1)], dim=1
                )
                w = (w_img[start : start + per_chunk, None] * w_txt[None, :]).reshape(-1)
                yield rows, values[start : start + per_chunk].reshape(-1), w
            return
        if full:
            coalitions = all_coalitions(n, self.device)
            weights = coalition_weights(coalitions, self.p)
            for start in range(0, len(coalitions), self.chunk_rows):
                c = coalitions[start : start + self.chunk_rows]
                yield (
                    c,
                    game(c).to(self.device, torch.float64),
                    weights[start : start + self.chunk_rows],
                )
            return
        for start in range(0, budget, self.chunk_rows):
            c = self._bernoulli(min(self.chunk_rows, budget - start), n, generator)
            yield (
                c,
                game(c).to(self.device, torch.float64),
                torch.ones(len(c), dtype=torch.float64, device=self.device),
            )

    def _side(self, count: int, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """count masks [count, n] of one modality and their weights [count]: every mask
        weighted by mu_p when count covers all 2^n of them, else draws from mu_p."""
        if count >= 2**n:
            masks = all_coalitions(n, self.device)
            return masks, coalition_weights(masks, self.p)
        masks = self._bernoulli(count, n, generator)
        return masks, torch.ones(count, dtype=torch.float64, device=self.device)

    def _heldout(self, game: Game, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        if isinstance(game, CrossModalGame):
            side = math.ceil(math.sqrt(self.heldout))
            images = self._bernoulli(side, game.n_image, generator)
            texts = self._bernoulli(side, game.n_text, generator)
            values = game.value_matrix(images, texts).to(self.device, torch.float64).reshape(-1)
            rows = torch.cat([images.repeat_interleave(side, 0), texts.repeat(side, 1)], dim=1)
            return rows, values
        rows = self._bernoulli(self.heldout, game.n_players, generator)
        return rows, game(rows).to(self.device, torch.float64)

    # -- fitting ---------------------------------------------------------------------
    def approximate(self, budget: int, game: Game) -> InteractionResult:
        """Explain `game` from `budget` coalitions (>= 2^n: exact, by enumeration)."""
        started = time.perf_counter()
        n = game.n_players
        generator = torch.Generator().manual_seed(self.seed)
        pairs = _pair_index(n, self.device)
        features = 1 + n + (len(pairs[0]) if self.order == 2 else 0)
        # 0/1 products summed in float32 stay exact up to 2^24 rows per chunk; the sums
        # across chunks go to float64.
        dtype = torch.float64 if features <= 1024 else torch.float32
        gram = torch.zeros(features, features, dtype=torch.float64, device=self.device)
        rhs = torch.zeros(features, dtype=torch.float64, device=self.device)
        used = 0
        for rows, values, weights in self._chunks(game, budget, generator):
            x = _design(rows, self.order, pairs, dtype)
            xw = x * weights.to(dtype)[:, None]
            gram += (xw.T @ x).double()
            rhs += (xw.T @ values.to(dtype)).double()
            used += len(rows)
        coef = _solve(gram, rhs)
        intercept = float(coef[0])
        first = coef[1 : 1 + n].cpu().numpy()
        interactions = None
        summary = first.copy()
        if self.order == 2:
            matrix = torch.zeros(n, n, dtype=torch.float64, device=self.device)
            matrix[pairs[0], pairs[1]] = coef[1 + n :]
            matrix = matrix + matrix.T
            interactions = matrix.cpu().numpy()
            summary = first + self.p * interactions.sum(axis=1)
        r2 = None
        if self.heldout > 0:
            rows, values = self._heldout(game, generator)
            predicted = torch.cat(
                [
                    _design(rows[s : s + self.chunk_rows], self.order, pairs, torch.float64) @ coef
                    for s in range(0, len(rows), self.chunk_rows)
                ]
            )
            r2 = r_squared(predicted, values)
        ends = game(
            torch.stack([torch.zeros(n, dtype=torch.bool), torch.ones(n, dtype=torch.bool)])
        )
        aid, most, least = None, [], []
        if self.aid_points > 1:
            aid, most, least = deletion_curves(game, summary, self.aid_points)
        return InteractionResult(
            player_names=list(game.player_names),
            p=self.p,
            order=self.order,
            intercept=intercept,
            first_order=first,
            summary=summary,
            interactions=interactions,
            n_image=getattr(game, "n_image", 0),
            grid=getattr(game, "grid", None),
            budget=used,
            exact=budget >= 2**n,
            value_empty=float(ends[0]),
            value_full=float(ends[1]),
            r2=r2,
            aid=aid,
            deletion_most_first=most,
            deletion_least_first=least,
            fill=getattr(game, "fill", None),
            value=getattr(game, "value_name", "game value"),
            seconds=time.perf_counter() - started,
        )


def _solve(gram: Tensor, rhs: Tensor, rcond: float = 1e-10) -> Tensor:
    """Minimum-norm solution of the normal equations through the pseudo-inverse, so that
    a budget too small to identify every coefficient leaves those coefficients at zero
    instead of blowing up."""
    coef = torch.zeros_like(rhs)
    active = gram.diagonal() > 0  # features that no sampled coalition switched on stay 0
    scale = gram.diagonal()[active].sqrt()
    normed = gram[active][:, active] / scale[:, None] / scale[None, :]
    eigvals, eigvecs = torch.linalg.eigh(normed)
    keep = eigvals > rcond * eigvals.max()
    inverse = (eigvecs[:, keep] / eigvals[keep]) @ eigvecs[:, keep].T
    coef[active] = (inverse @ (rhs[active] / scale)) / scale
    return coef


def fixlip(
    game: Game,
    budget: int = 2**12,
    p: float = 0.5,
    order: int = 2,
    seed: int = 0,
    heldout: int = 1000,
    device: str | torch.device = "cpu",
) -> InteractionResult:
    """Explain a game with FIXLIP: see `FixlipApproximator` (budget = coalitions)."""
    return FixlipApproximator(
        p=p, order=order, seed=seed, heldout=heldout, device=device
    ).approximate(budget, game)
