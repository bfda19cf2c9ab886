"""The rasterizer's nearest-piece search as a Triton kernel (CUDA; the CPU under
TRITON_INTERPRET=1 for tests).

For every pixel of every (stroke, tile) pair the kernel walks the stroke's line pieces
once, keeping the nearest in registers: no [pairs, pixels, pieces] distance tensor, no
chunk loop, one launch. It returns the same indices as `raster._nearest_piece` (the
PyTorch reference, used on the CPU); the coverage and its gradient then flow through
that piece in PyTorch exactly as before, so images and gradients are the reference's.

`DREAMDRAW_RASTER_KERNEL` chooses: `auto` (default: Triton on CUDA when it imports),
`triton` (also on the CPU, which needs TRITON_INTERPRET=1 set before the import) or
`torch`. A kernel that fails to compile is reported once and the PyTorch path is used.
"""

from __future__ import annotations

import logging
import os

import torch
from torch import Tensor

__all__ = ["kernel_enabled", "nearest_piece"]

log = logging.getLogger(__name__)

try:  # torch's CUDA wheels bring Triton; CPU-only installs may lack it
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the install
    triton = None

_broken = False  # set when the kernel failed once: the PyTorch path from then on

if triton is not None:

    @triton.jit
    def _nearest_kernel(
        a_ptr,  # [N*M, 2] piece starts, px
        ab_ptr,  # [N*M, 2] piece directions (end - start), px
        inv_ptr,  # [N*M] 1 / |ab|^2
        far_ptr,  # [N*M] 0, or 1e30 for pieces past a stroke's last segment
        stroke_ptr,  # [P] stroke of each pair
        tx_ptr,  # [P] tile column of each pair
        ty_ptr,  # [P] tile row of each pair
        out_ptr,  # [P, TILE*TILE] index of each pixel's nearest piece
        pieces,  # M, pieces per stroke
        TILE: tl.constexpr,
        PIX: tl.constexpr,
    ):
        pair = tl.program_id(0)
        s = tl.load(stroke_ptr + pair)
        k = tl.arange(0, PIX)
        px = (tl.load(tx_ptr + pair) * TILE + k % TILE).to(tl.float32) + 0.5
        py = (tl.load(ty_ptr + pair) * TILE + k // TILE).to(tl.float32) + 0.5
        first = s * pieces
        # Loop-carried values keep one type: the pieces' (float32 in a drawing).
        best = tl.full((PIX,), float("inf"), a_ptr.dtype.element_ty)
        arg = tl.zeros((PIX,), tl.int64) + first
        for m in range(0, pieces):
            i = first + m
            ax = tl.load(a_ptr + 2 * i)
            ay = tl.load(a_ptr + 2 * i + 1)
            abx = tl.load(ab_ptr + 2 * i)
            aby = tl.load(ab_ptr + 2 * i + 1)
            dx = px.to(ax.dtype) - ax
            dy = py.to(ay.dtype) - ay
            t = (dx * abx + dy * aby) * tl.load(inv_ptr + i)
            t = tl.minimum(tl.maximum(t, 0.0), 1.0)
            dx = dx - t * abx
            dy = dy - t * aby
            d2 = dx * dx + dy * dy + tl.load(far_ptr + i)
            better = d2 < best
            best = tl.where(better, d2, best)
            arg = tl.where(better, i, arg)
        tl.store(out_ptr + pair * PIX + k, arg)


def kernel_enabled(device: torch.device) -> bool:
    """Whether renders on `device` search with the Triton kernel."""
    choice = os.environ.get("DREAMDRAW_RASTER_KERNEL", "auto")
    if triton is None or _broken or choice == "torch":
        return False
    return choice == "triton" or device.type == "cuda"


def nearest_piece(
    a: Tensor, b: Tensor, valid: Tensor, stroke: Tensor, tx: Tensor, ty: Tensor, tile: int
) -> Tensor | None:
    """Index (into the flattened [N*M] pieces) of each pair-pixel's nearest piece
    [P, tile*tile], as `raster._nearest_piece`; None when the kernel cannot run."""
    global _broken
    n, m = a.shape[:2]
    with torch.no_grad():
        ab = b - a
        inv = 1.0 / ((ab * ab).sum(-1) + 1e-12)
        far = torch.where(valid, torch.zeros_like(inv), torch.full_like(inv, 1e30))
        out = torch.empty(stroke.shape[0], tile * tile, dtype=torch.long, device=a.device)
        if stroke.shape[0] == 0:
            return out
        try:
            _nearest_kernel[(stroke.shape[0],)](
                a.reshape(-1, 2).contiguous(),
                ab.reshape(-1, 2).contiguous(),
                inv.reshape(-1).contiguous(),
                far.reshape(-1).contiguous(),
                stroke.contiguous(),
                tx.contiguous(),
                ty.contiguous(),
                out,
                m,
                TILE=tile,
                PIX=tile * tile,
            )
        except Exception as exc:  # noqa: BLE001 - any compile or launch failure: fall back
            _broken = True
            log.warning("the Triton rasterizer kernel failed (%s); using PyTorch", exc)
            return None
    return out
