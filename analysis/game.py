"""What FIXLIP explains: cooperative games over players, and cross-modal image x text games."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["Game", "FunctionGame", "CrossModalGame", "BilinearGame"]


class Game:
    """A cooperative game: `value_function(coalitions)` maps presence masks to values.

    coalitions: bool [B, n_players] (True = the player is present); values: float64 [B].
    """

    def __init__(self, n_players: int, player_names: list[str] | None = None):
        if n_players < 1:
            raise ValueError("a game needs at least one player")
        self.n_players = n_players
        self.player_names = player_names or [f"player {i}" for i in range(n_players)]

    def value_function(self, coalitions: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, coalitions: Tensor) -> Tensor:
        return self.value_function(torch.as_tensor(coalitions, dtype=torch.bool))


class FunctionGame(Game):
    """A game given by a plain function of the coalition matrix (bool [B, n] -> [B])."""

    def __init__(
        self,
        n_players: int,
        function: Callable[[Tensor], Tensor],
        player_names: list[str] | None = None,
    ):
        super().__init__(n_players, player_names)
        self._function = function

    def value_function(self, coalitions: Tensor) -> Tensor:
        return torch.as_tensor(self._function(coalitions), dtype=torch.float64).reshape(-1)


class CrossModalGame(Game):
    """A game whose players are n_image image players followed by n_text text players.

    Its value for an image mask a and a text mask b depends on a through the masked image
    and on b through the masked text only, so `value_matrix(A, B)` evaluates every
    combination of B_img image masks and B_txt text masks from one encoding of each.
    """

    def __init__(self, n_image: int, n_text: int, player_names: list[str] | None = None):
        super().__init__(n_image + n_text, player_names)
        self.n_image = n_image
        self.n_text = n_text

    def value_matrix(self, image_masks: Tensor, text_masks: Tensor) -> Tensor:
        """Values float64 [B_img, B_txt] of every (image mask, text mask) combination.

        image_masks: bool [B_img, n_image]; text_masks: bool [B_txt, n_text].
        """
        return self.image_features(image_masks) @ self.text_features(text_masks).T

    def image_features(self, image_masks: Tensor) -> Tensor:
        """Features float64 [B_img, D] of the masked images."""
        raise NotImplementedError

    def text_features(self, text_masks: Tensor) -> Tensor:
        """Features float64 [B_txt, D] of the masked texts."""
        raise NotImplementedError

    def value_function(self, coalitions: Tensor) -> Tensor:
        coalitions = torch.as_tensor(coalitions, dtype=torch.bool)
        image = self.image_features(coalitions[:, : self.n_image])
        text = self.text_features(coalitions[:, self.n_image :])
        return (image * text).sum(dim=1)


class BilinearGame(CrossModalGame):
    """A toy image-text model: cosine of summed present patch and word embeddings.

    patch_vectors: [n_image, D]; word_vectors: [n_text, D]; the constant vectors
    image_bias / text_bias [D] keep empty inputs away from zero. The planted
    interaction of patch i and word j is patch_vectors[i] . word_vectors[j].
    """

    def __init__(
        self,
        patch_vectors: Tensor,
        word_vectors: Tensor,
        image_bias: Tensor,
        text_bias: Tensor,
        normalise: bool = True,
    ):
        super().__init__(patch_vectors.shape[0], word_vectors.shape[0])
        self.patch_vectors = patch_vectors.double()
        self.word_vectors = word_vectors.double()
        self.image_bias = image_bias.double()
        self.text_bias = text_bias.double()
        self.normalise = normalise

    def _embed(self, masks: Tensor, vectors: Tensor, bias: Tensor) -> Tensor:
        features = masks.double() @ vectors + bias
        if self.normalise:
            features = torch.nn.functional.normalize(features, dim=1)
        return features

    def image_features(self, image_masks: Tensor) -> Tensor:
        return self._embed(image_masks, self.patch_vectors, self.image_bias)

    def text_features(self, text_masks: Tensor) -> Tensor:
        return self._embed(text_masks, self.word_vectors, self.text_bias)
