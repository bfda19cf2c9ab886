"""The game FIXLIP explains for a dream and its drawing: CLIP cosine of masked patches and words."""

from __future__ import annotations

from typing import Literal

import torch
from dreamdraw.analysis.game import CrossModalGame
from dreamdraw.analysis.scorer import ClipScorer, WordTokens
from torch import Tensor
from torch.nn import functional as F

__all__ = ["ClipPairGame"]


class ClipPairGame(CrossModalGame):
    """Players: the model's image patches (row-major over its grid), then the dream's words.

    v(T) = cosine of the image with the patches outside T filled (white paper, or CLIP's
    mean colour) and the text with the words outside T replaced by the filler token.
    image: the square drawing [3, S, S] in [0, 1] at the model's input size.
    """

    value_name = "cosine"

    def __init__(
        self,
        scorer: ClipScorer,
        image: Tensor,
        word_tokens: WordTokens,
        fill: Literal["white", "mean"] = "white",
    ):
        rows, cols = scorer.grid
        names = [f"patch {r},{c}" for r in range(rows) for c in range(cols)]
        super().__init__(rows * cols, len(word_tokens.words), names + list(word_tokens.words))
        self.scorer = scorer
        self.grid = (rows, cols)
        self.fill = fill
        self.word_tokens = word_tokens
        self.image = image.to(scorer.device)
        if fill == "white":
            self._fill = torch.ones(3, 1, 1, device=scorer.device)
        else:
            self._fill = scorer.clip.mean.reshape(3, 1, 1).to(scorer.device)

    def masked_images(self, image_masks: Tensor) -> Tensor:
        """Images [B, 3, S, S] with absent patches (bool [B, rows*cols]) filled."""
        rows, cols = self.grid
        size = self.image.shape[-1]
        keep = image_masks.reshape(-1, 1, rows, cols).float().to(self.image.device)
        keep = F.interpolate(keep, size=(size, size), mode="nearest")
        return self.image[None] * keep + self._fill[None] * (1.0 - keep)

    def image_features(self, image_masks: Tensor) -> Tensor:
        out = []
        step = self.scorer.batch_size
        for i in range(0, len(image_masks), step):
            out.append(self.scorer.encode_images(self.masked_images(image_masks[i : i + step])))
        return torch.cat(out).double()

    def text_features(self, text_masks: Tensor) -> Tensor:
        tokens = self.scorer.masked_tokens(self.word_tokens, text_masks)
        return self.scorer.encode_tokens(tokens).double()
