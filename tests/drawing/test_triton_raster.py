"""The Triton nearest-piece kernel against the PyTorch reference, on the CPU through
Triton's interpreter (TRITON_INTERPRET=1 must be set before Triton is imported, so the
comparison runs in a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("triton")

ROOT = Path(__file__).resolve().parents[2]

_COMPARE = textwrap.dedent(
    """
    import torch
    from dreamdraw.drawing import triton_raster
    from dreamdraw.drawing.raster import StrokeBatch, _nearest_piece, flatten_bezier, rasterize
    from tests.drawing.test_raster import random_strokes

    # The kernel's indices are the reference's, pixel for pixel.
    strokes = random_strokes(6, 24, seed=7)
    a, b, valid = flatten_bezier(strokes.points, strokes.segments, 5)
    stroke = torch.tensor([0, 0, 1, 3, 5, 5, 2])
    tx = torch.tensor([0, 1, 2, 3, 4, 5, 1])
    ty = torch.tensor([1, 0, 2, 5, 3, 0, 4])
    offs = torch.arange(4, dtype=a.dtype) + 0.5
    grid = torch.stack(torch.meshgrid(offs, offs, indexing="xy"), -1).reshape(-1, 2)
    pixels = torch.stack([tx, ty], -1).to(a.dtype)[:, None] * 4 + grid
    got = triton_raster.nearest_piece(a, b, valid, stroke, tx, ty, 4)
    assert got is not None and torch.equal(got, _nearest_piece(pixels, a, b, valid, stroke))

    # Whole renders: images and gradients equal in both compositing modes.
    for mode, rgba in (("ink", False), ("over", True)):
        base = random_strokes(6, 24, seed=8, rgba=rgba)
        out = {}
        for kernel in ("torch", "triton"):
            triton_raster.os.environ["DREAMDRAW_RASTER_KERNEL"] = kernel
            p, w, c = (v.clone().requires_grad_(True) for v in (base.points, base.widths, base.colors))
            image = rasterize(StrokeBatch(p, base.segments, w, c), 24, 24, mode=mode, samples=5)
            weights = torch.linspace(0, 1, image.numel(), dtype=image.dtype).reshape(image.shape)
            (image * weights).sum().backward()
            out[kernel] = (image.detach(), p.grad, w.grad, c.grad)
        assert all(torch.equal(x, y) for x, y in zip(out["torch"], out["triton"])), mode
    assert not triton_raster._broken
    print("same")
    """
)


def test_the_triton_kernel_finds_the_reference_pieces_and_renders_the_same_images_and_gradients():
    env = {**os.environ, "TRITON_INTERPRET": "1", "DREAMDRAW_RASTER_KERNEL": "triton"}
    result = subprocess.run(
        [sys.executable, "-c", _COMPARE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("same")
