"""Figures of an explanation (PNG, matplotlib): per-word heatmaps and the strongest pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from dreamdraw.analysis.interactions import InteractionResult
from torch import Tensor

__all__ = ["plot_word_heatmaps", "plot_top_interactions", "plot_concepts"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path, note: str | None) -> Path:
    """Write the figure as PNG; `note` (what the model was, when not real) is printed along its
    bottom edge and stored as the PNG's Description."""
    if note:
        fig.text(0.01, 0.005, note, fontsize=8, color="#c8102e", parse_math=False)
    path = Path(path)
    fig.savefig(path, dpi=100, metadata={"Description": note or ""})
    return path


def _label(text: str, limit: int = 40) -> str:
    # Visitor words: shown literally (no mathtext), shortened.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot_word_heatmaps(
    result: InteractionResult, image: Tensor, path: str | Path, note: str | None = None
) -> Path:
    """One panel per word: its interaction with each patch (order 2; else the patch values)
    over the drawing; image [3, S, S] in [0, 1]. Red supports the match, blue opposes it."""
    plt = _pyplot()
    rows, cols = result.grid
    if result.interactions is not None:
        maps = result.word_heatmaps()
    else:
        maps = np.repeat(result.first_order[None, : result.n_image], result.n_text, 0)
        maps = maps.reshape(result.n_text, rows, cols)
    n = result.n_text
    per_row = min(n, 4)
    lines = -(-n // per_row)
    fig, axes = plt.subplots(lines, per_row, figsize=(3 * per_row, 3.2 * lines), squeeze=False)
    picture = image.permute(1, 2, 0).cpu().numpy()
    limit = float(np.abs(maps).max()) or 1.0
    text_values = result.summary[result.n_image :]
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(picture, extent=(0, cols, rows, 0))
        ax.imshow(
            maps[k], cmap="bwr", vmin=-limit, vmax=limit, alpha=0.55, extent=(0, cols, rows, 0)
        )
        ax.set_title(
            f"{_label(result.player_names[result.n_image + k])}  ({text_values[k]:+.3f})",
            parse_math=False,
            fontsize=10,
        )
    fig.suptitle(f"FIXLIP word x patch interactions (p = {result.p:g}, R² = {_r2(result)})")
    fig.tight_layout()
    path = _save(fig, path, note)
    plt.close(fig)
    return path


def _r2(result: InteractionResult) -> str:
    return "n/a" if result.r2 is None else f"{result.r2:.2f}"


def plot_top_interactions(
    result: InteractionResult, path: str | Path, k: int = 12, note: str | None = None
) -> Path:
    """Bar chart of the k strongest word x patch interactions."""
    plt = _pyplot()
    pairs = result.top_image_text(k) if result.interactions is not None else []
    fig, ax = plt.subplots(figsize=(7, 0.35 * max(len(pairs), 1) + 1.2))
    labels = [
        f"{_label(result.player_names[result.n_image + j], 24)} × {result.player_names[i]}"
        for i, j, _ in pairs
    ]
    values = [v for _, _, v in pairs]
    ax.barh(range(len(values)), values, color=["#c8102e" if v > 0 else "#1f4fbf" for v in values])
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(labels)
    for tick in ax.get_yticklabels():
        tick.set_parse_math(False)
    ax.invert_yaxis()
    ax.set_xlabel(f"interaction ({result.value})")
    ax.set_title("strongest word × patch interactions")
    fig.tight_layout()
    path = _save(fig, path, note)
    plt.close(fig)
    return path


def plot_concepts(
    shares: dict[str, float],
    gray_change: dict[str, float],
    path: str | Path,
    note: str | None = None,
) -> Path:
    """Caption probability per concept family, in colour and the change in grayscale."""
    plt = _pyplot()
    names = list(shares)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(x - 0.2, [shares[n] for n in names], 0.4, label="share")
    ax.bar(x + 0.2, [gray_change[n] for n in names], 0.4, label="change in grayscale")
    ax.set_xticks(x)
    ax.set_xticklabels(names)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.legend()
    ax.set_title("caption probability per concept family")
    fig.tight_layout()
    path = _save(fig, path, note)
    plt.close(fig)
    return path
