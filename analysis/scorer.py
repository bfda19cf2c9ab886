"""Batched CLIP scoring on top of drawing's loader: texts, images, masked words and patches."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from dreamdraw.analysis.errors import AnalysisError
from dreamdraw.drawing import ClipModel
from torch import Tensor

__all__ = ["ClipScorer", "WordTokens"]

FILLER_TOKEN = 0  # OpenAI CLIP's padding id ("!"): what a masked word's tokens become


@dataclass
class WordTokens:
    """A dream tokenised word by word.

    tokens: [context_length] ids (start, the words' sub-word tokens, end, padding);
    spans: per word kept, its token positions [start, stop); words: the words kept;
    dropped: words cut off because the text is longer than the model's context.
    """

    tokens: Tensor
    spans: list[tuple[int, int]]
    words: list[str]
    dropped: list[str]


class ClipScorer:
    """A CLIP model with batched, no-gradient encoders; features are L2-normalised [B, D]."""

    def __init__(self, clip: ClipModel, batch_size: int = 64):
        self.clip = clip
        self.batch_size = batch_size

    @property
    def device(self) -> torch.device:
        return self.clip.device

    @property
    def image_size(self) -> int:
        return self.clip.image_size

    @property
    def grid(self) -> tuple[int, int]:
        return self.clip.patch_grid

    @property
    def logit_scale(self) -> float:
        """The model's softmax temperature for captions (100 for trained CLIP)."""
        scale = getattr(self.clip.model, "logit_scale", None)
        return float(scale.exp()) if scale is not None else 100.0

    def encode_texts(self, texts: list[str]) -> Tensor:
        """Features [len(texts), D] (float32, on the model's device)."""
        return torch.cat(
            [
                self.clip.encode_text(texts[i : i + 4 * self.batch_size])
                for i in range(0, len(texts), 4 * self.batch_size)
            ]
        )

    def encode_tokens(self, tokens: Tensor) -> Tensor:
        """Features [B, D] of token ids [B, context_length]."""
        return torch.cat(
            [
                self.clip.encode_tokens(tokens[i : i + 4 * self.batch_size])
                for i in range(0, len(tokens), 4 * self.batch_size)
            ]
        )

    def encode_images(self, images: Tensor) -> Tensor:
        """Features [B, D] of RGB images [B, 3, S, S] in [0, 1]."""
        out = []
        with torch.no_grad():
            for i in range(0, len(images), self.batch_size):
                out.append(self.clip.encode_image(images[i : i + self.batch_size].to(self.device)))
        return torch.cat(out)

    def word_tokens(self, words: list[str]) -> WordTokens:
        """Tokenise word by word so that each word's sub-word tokens are known; truncates
        at the model's context, keeping the end token."""
        tokenizer = self.clip.tokenizer
        if not all(hasattr(tokenizer, a) for a in ("encode", "sot_token_id", "eot_token_id")):
            raise AnalysisError(
                f"model {self.clip.model_id} uses a tokenizer without word-level access; "
                "FIXLIP needs an OpenAI-style CLIP tokenizer (e.g. ViT-B-32:openai)"
            )
        limit = self.clip.context_length - 2
        ids: list[int] = [tokenizer.sot_token_id]
        spans: list[tuple[int, int]] = []
        kept: list[str] = []
        dropped: list[str] = []
        for word in words:
            pieces = tokenizer.encode(word)
            if not pieces:
                continue
            if dropped or len(ids) - 1 + len(pieces) > limit:
                dropped.append(word)
                continue
            spans.append((len(ids), len(ids) + len(pieces)))
            ids.extend(pieces)
            kept.append(word)
        if not kept:
            raise AnalysisError("the dream has no words the CLIP tokenizer can read")
        ids.append(tokenizer.eot_token_id)
        tokens = torch.zeros(self.clip.context_length, dtype=torch.long)
        tokens[: len(ids)] = torch.tensor(ids)
        return WordTokens(tokens, spans, kept, dropped)

    def masked_tokens(self, word_tokens: WordTokens, masks: Tensor) -> Tensor:
        """Token ids [B, context_length] with the words absent from masks (bool [B, words])
        replaced by the filler token; start and end tokens stay."""
        tokens = word_tokens.tokens.repeat(len(masks), 1)
        for j, (start, stop) in enumerate(word_tokens.spans):
            tokens[~masks[:, j].cpu(), start:stop] = FILLER_TOKEN
        return tokens
