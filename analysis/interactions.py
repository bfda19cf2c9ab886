"""The result of a FIXLIP explanation: values, interactions, faithfulness, and conversions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from dreamdraw.vocabulary import format_tag, untag

__all__ = ["InteractionResult"]


@dataclass
class InteractionResult:
    """Weighted Banzhaf values and interactions of one game.

    Players are ordered image patches first (n_image of them, row-major over `grid`),
    then text players. first_order, summary: [n]; interactions: [n, n] symmetric with
    a zero diagonal (None for an order-1 explanation). summary is
    phi_i = E(i) + p * sum_j E(i, j), the weighted Banzhaf value of player i.
    """

    player_names: list[str]
    p: float
    order: int
    intercept: float
    first_order: np.ndarray
    summary: np.ndarray
    interactions: np.ndarray | None = None
    n_image: int = 0
    grid: tuple[int, int] | None = None
    budget: int = 0
    exact: bool = False
    value_empty: float = 0.0
    value_full: float = 0.0
    r2: float | None = None
    aid: float | None = None
    deletion_most_first: list[float] = field(default_factory=list)
    deletion_least_first: list[float] = field(default_factory=list)
    fill: str | None = None
    value: str = "game value"
    seconds: float = 0.0

    @property
    def n_players(self) -> int:
        return len(self.player_names)

    @property
    def n_text(self) -> int:
        return self.n_players - self.n_image

    @property
    def image_text(self) -> np.ndarray:
        """Image x text interactions [n_image, n_text]."""
        return self._block(slice(0, self.n_image), slice(self.n_image, None))

    @property
    def within_image(self) -> np.ndarray:
        """Patch x patch interactions [n_image, n_image]."""
        return self._block(slice(0, self.n_image), slice(0, self.n_image))

    @property
    def within_text(self) -> np.ndarray:
        """Word x word interactions [n_text, n_text]."""
        return self._block(slice(self.n_image, None), slice(self.n_image, None))

    def _block(self, rows: slice, cols: slice) -> np.ndarray:
        if self.interactions is None:
            raise ValueError("an order-1 explanation has no interactions; use order=2")
        return self.interactions[rows, cols]

    def word_heatmaps(self) -> np.ndarray:
        """Per text player, its interaction with each patch on the grid: [n_text, rows, cols]."""
        if self.grid is None:
            raise ValueError("this explanation has no image grid")
        rows, cols = self.grid
        return self.image_text.T.reshape(self.n_text, rows, cols)

    def top_image_text(self, k: int = 10) -> list[tuple[int, int, float]]:
        """The k strongest (by |value|) image x text pairs as (patch, text player, value)."""
        block = self.image_text
        order = np.argsort(-np.abs(block), axis=None)[:k]
        return [
            (int(i), int(j), float(block[i, j]))
            for i, j in zip(*np.unravel_index(order, block.shape), strict=True)
        ]

    def top_pairs(self, k: int = 10) -> list[tuple[int, int, float]]:
        """The k strongest pairs (i < j) of any kind as (player, player, value)."""
        if self.interactions is None:
            return []
        i, j = np.triu_indices(self.n_players, 1)
        values = self.interactions[i, j]
        order = np.argsort(-np.abs(values))[:k]
        return [(int(i[o]), int(j[o]), float(values[o])) for o in order]

    # -- JSON ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("first_order", "summary", "interactions"):
            if data[key] is not None:
                data[key] = np.asarray(data[key]).tolist()
        data["grid"] = list(self.grid) if self.grid is not None else None
        data["format"] = format_tag("fixlip")
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> InteractionResult:
        data = untag(data, "fixlip", ValueError)
        for key in ("first_order", "summary", "interactions"):
            if data.get(key) is not None:
                data[key] = np.asarray(data[key], dtype=np.float64)
        if data.get("grid") is not None:
            data["grid"] = tuple(data["grid"])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> InteractionResult:
        return cls.from_dict(json.loads(text))

    # -- shapiq ----------------------------------------------------------------------
    def to_shapiq(self):
        """The explanation as `shapiq.InteractionValues` (index "FBII" at p = 0.5, else "BII").

        The empty coalition holds the regression intercept, as in shapiq's FBII.
        """
        from shapiq import InteractionValues

        n = self.n_players
        lookup: dict[tuple[int, ...], int] = {(): 0}
        values = [self.intercept]
        for i in range(n):
            lookup[(i,)] = len(values)
            values.append(float(self.first_order[i]))
        if self.interactions is not None:
            for i in range(n):
                for j in range(i + 1, n):
                    lookup[(i, j)] = len(values)
                    values.append(float(self.interactions[i, j]))
        return InteractionValues(
            np.asarray(values),
            index="FBII" if abs(self.p - 0.5) < 1e-12 else "BII",
            max_order=self.order,
            min_order=0,
            n_players=n,
            interaction_lookup=lookup,
            estimated=not self.exact,
            estimation_budget=self.budget,
            baseline_value=self.intercept,
        )
