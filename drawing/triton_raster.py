"""The rasterizer as Triton kernels (CUDA; the CPU under TRITON_INTERPRET=1 for tests).

`render` draws a whole image in one launch forward and one backward, wrapped in a
`torch.autograd.Function`: one program per tile walks the tile's (stroke, tile) pairs in
stroke order, finds each pixel's nearest line piece in registers, turns its distance into
coverage and composites it ("ink": paper x prod(1 - coverage x (1 - ink)); "over": RGBA
strokes over white in stroke order), so nothing of size [pairs, pixels] is kept but the
nearest piece of each pair-pixel (int32, for the backward). The backward walks the same
pairs again and adds the gradients of the piece ends, widths and colours with atomics;
the control points' gradient then flows through the flattening in PyTorch.
`raster._render_torch` is the reference (and the CPU path): images and gradients match
it to float32 rounding.

`nearest_piece` is the nearest-piece search alone, for the PyTorch renderer on CUDA
(`raster.ink_layers`).

`DREAMDRAW_RASTER_KERNEL` chooses: `auto` (default: Triton on CUDA when it imports),
`triton` (also on the CPU, which needs TRITON_INTERPRET=1 set before the import) or
`torch`. Without Triton, or once a kernel failed to compile or launch, the PyTorch path
runs, and one log line says why.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import TYPE_CHECKING

import torch
from dreamdraw.drawing.raster import KERNEL_RANGE
from torch import Tensor
from torch.profiler import record_function

if TYPE_CHECKING:
    from dreamdraw.drawing.raster import _Tiles

__all__ = ["kernel_enabled", "nearest_piece", "render"]

log = logging.getLogger(__name__)

try:  # torch's CUDA wheels bring Triton; CPU-only installs may lack it
    import triton
    import triton.language as tl
except ImportError as exc:  # pragma: no cover - depends on the install
    triton = None
    _missing = str(exc)

_broken = False  # set when a kernel failed once: the PyTorch path from then on
_told_missing = False
_EPS = 1e-12  # as raster._EPS
_ALPHA_CAP = 1.0 - 1e-6  # as raster's "over" compositing

if triton is not None:

    @triton.jit
    def _nearest_in_stroke(a_ptr, ab_ptr, inv_ptr, far_ptr, s, px, py, pieces, MB: tl.constexpr):
        """Index of each pixel's nearest piece of stroke s (the first of equals, as argmin):
        all M pieces at once, a [pixels, MB] block (MB: M rounded up to a power of 2)."""
        m = tl.arange(0, MB)
        i = s * pieces + m
        ok = m < pieces
        ax = tl.load(a_ptr + 2 * i, mask=ok, other=0.0)
        ay = tl.load(a_ptr + 2 * i + 1, mask=ok, other=0.0)
        abx = tl.load(ab_ptr + 2 * i, mask=ok, other=0.0)
        aby = tl.load(ab_ptr + 2 * i + 1, mask=ok, other=0.0)
        inv = tl.load(inv_ptr + i, mask=ok, other=0.0)
        far = tl.load(far_ptr + i, mask=ok, other=float("inf"))
        dx = px[:, None] - ax[None, :]
        dy = py[:, None] - ay[None, :]
        t = (dx * abx[None, :] + dy * aby[None, :]) * inv[None, :]
        t = tl.minimum(tl.maximum(t, 0.0), 1.0)
        dx = dx - t * abx[None, :]
        dy = dy - t * aby[None, :]
        d2 = dx * dx + dy * dy + far[None, :]
        return s * pieces + tl.argmin(d2, axis=1, tie_break_left=True)

    # The pieces per stroke change with the flattening during a drawing: no recompile for
    # each value (only for its power-of-2 block, MB).
    @triton.jit(do_not_specialize=["pieces"])
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
        MB: tl.constexpr,
    ):
        pair = tl.program_id(0)
        s = tl.load(stroke_ptr + pair)
        k = tl.arange(0, PIX)
        dtype = a_ptr.dtype.element_ty
        px = (tl.load(tx_ptr + pair) * TILE + k % TILE).to(dtype) + 0.5
        py = (tl.load(ty_ptr + pair) * TILE + k // TILE).to(dtype) + 0.5
        arg = _nearest_in_stroke(a_ptr, ab_ptr, inv_ptr, far_ptr, s, px, py, pieces, MB)
        tl.store(out_ptr + pair * PIX + k, arg)

    @triton.jit
    def _tile_pixels(tile, k, tiles_x, height, width, TILE: tl.constexpr):
        """Column and row of the tile's pixels k (0 .. TILE*TILE-1), and which are on the canvas."""
        col = (tile % tiles_x) * TILE + k % TILE
        row = (tile // tiles_x) * TILE + k // TILE
        return col, row, (col < width) & (row < height)

    @triton.jit
    def _coverage(a_ptr, b_ptr, arg, px, py, h, EPS: tl.constexpr):
        """Distance of each pixel to its piece and the pixel's box-filter coverage by a band
        of half-width h, with what their gradients need."""
        ax = tl.load(a_ptr + 2 * arg)
        ay = tl.load(a_ptr + 2 * arg + 1)
        ux = px - ax
        uy = py - ay
        vx = tl.load(b_ptr + 2 * arg) - ax
        vy = tl.load(b_ptr + 2 * arg + 1) - ay
        q = vx * vx + vy * vy + EPS
        dot = ux * vx + uy * vy
        t_raw = dot / q
        t = tl.minimum(tl.maximum(t_raw, 0.0), 1.0)
        dx = ux - t * vx
        dy = uy - t * vy
        d = tl.sqrt(dx * dx + dy * dy + EPS)
        raw = tl.minimum(h, d + 0.5) - tl.maximum(-h, d - 0.5)
        cov = tl.minimum(tl.maximum(raw, 0.0), 1.0)
        return ux, uy, vx, vy, q, dot, t_raw, t, dx, dy, d, raw, cov

    @triton.jit(do_not_specialize=["pieces"])
    def _render_forward(
        a_ptr,  # [N*M, 2] piece starts, px
        b_ptr,  # [N*M, 2] piece ends, px
        ab_ptr,  # [N*M, 2] b - a
        inv_ptr,  # [N*M] 1 / |ab|^2
        far_ptr,  # [N*M] 0, or 1e30 for pieces past a stroke's last segment
        stroke_ptr,  # [P] stroke of each pair, pairs sorted by tile then stroke
        first_ptr,  # [tiles + 1] each tile's first pair (and one past the last tile's)
        width_ptr,  # [N] stroke widths, px
        color_ptr,  # [N, C] RGB ink or RGBA
        image_ptr,  # out [3, H, W]
        logt_ptr,  # out [H, W] log transmittance of all strokes ("over")
        nearest_ptr,  # out [P, PIX] int32 nearest piece of each pair-pixel
        pieces,
        colors,  # C
        height,
        width,
        tiles_x,
        TILE: tl.constexpr,
        PIX: tl.constexpr,
        MB: tl.constexpr,
        OVER: tl.constexpr,
        EPS: tl.constexpr,
        CAP: tl.constexpr,
    ):
        tile = tl.program_id(0)
        k = tl.arange(0, PIX)
        col, row, inside = _tile_pixels(tile, k, tiles_x, height, width, TILE)
        dtype = a_ptr.dtype.element_ty
        px = col.to(dtype) + 0.5
        py = row.to(dtype) + 0.5
        # "over": the composite so far (white paper) and its log transmittance;
        # "ink": the log transmittance of each channel.
        logt = tl.zeros((PIX,), dtype)
        c0 = logt + (1.0 if OVER else 0.0)
        c1 = logt + (1.0 if OVER else 0.0)
        c2 = logt + (1.0 if OVER else 0.0)
        for i in range(tl.load(first_ptr + tile), tl.load(first_ptr + tile + 1)):
            s = tl.load(stroke_ptr + i)
            arg = _nearest_in_stroke(a_ptr, ab_ptr, inv_ptr, far_ptr, s, px, py, pieces, MB)
            tl.store(nearest_ptr + i * PIX + k, arg.to(tl.int32))
            h = tl.load(width_ptr + s) * 0.5
            _, _, _, _, _, _, _, _, _, _, _, _, cov = _coverage(a_ptr, b_ptr, arg, px, py, h, EPS)
            r = tl.load(color_ptr + s * colors)
            g = tl.load(color_ptr + s * colors + 1)
            b = tl.load(color_ptr + s * colors + 2)
            if OVER:
                alpha = tl.minimum(cov * tl.load(color_ptr + s * colors + 3), CAP)
                logt += tl.log(1.0 - alpha)
                c0 = alpha * r + (1.0 - alpha) * c0
                c1 = alpha * g + (1.0 - alpha) * c1
                c2 = alpha * b + (1.0 - alpha) * c2
            else:
                c0 += tl.log(tl.maximum(1.0 - cov * (1.0 - r), 1e-6))
                c1 += tl.log(tl.maximum(1.0 - cov * (1.0 - g), 1e-6))
                c2 += tl.log(tl.maximum(1.0 - cov * (1.0 - b), 1e-6))
        if not OVER:
            c0 = tl.exp(c0)
            c1 = tl.exp(c1)
            c2 = tl.exp(c2)
        pixel = row * width + col
        plane = height * width
        tl.store(image_ptr + pixel, c0, mask=inside)
        tl.store(image_ptr + plane + pixel, c1, mask=inside)
        tl.store(image_ptr + 2 * plane + pixel, c2, mask=inside)
        if OVER:
            tl.store(logt_ptr + pixel, logt, mask=inside)

    @triton.jit
    def _render_backward(
        a_ptr,
        b_ptr,
        stroke_ptr,
        first_ptr,
        width_ptr,
        color_ptr,
        image_ptr,  # [3, H, W] the forward's image
        logt_ptr,  # [H, W] the forward's log transmittance ("over")
        nearest_ptr,  # [P, PIX] the forward's nearest pieces
        grad_ptr,  # [3, H, W] gradient of the loss w.r.t. the image
        grad_a_ptr,  # out [N*M, 2], zeroed
        grad_b_ptr,  # out [N*M, 2], zeroed
        grad_width_ptr,  # out [N], zeroed
        grad_color_ptr,  # out [N, C], zeroed
        colors,
        height,
        width,
        tiles_x,
        TILE: tl.constexpr,
        PIX: tl.constexpr,
        OVER: tl.constexpr,
        EPS: tl.constexpr,
        CAP: tl.constexpr,
    ):
        tile = tl.program_id(0)
        k = tl.arange(0, PIX)
        col, row, inside = _tile_pixels(tile, k, tiles_x, height, width, TILE)
        dtype = a_ptr.dtype.element_ty
        px = col.to(dtype) + 0.5
        py = row.to(dtype) + 0.5
        pixel = row * width + col
        plane = height * width
        g0 = tl.load(grad_ptr + pixel, mask=inside, other=0.0).to(dtype)
        g1 = tl.load(grad_ptr + plane + pixel, mask=inside, other=0.0).to(dtype)
        g2 = tl.load(grad_ptr + 2 * plane + pixel, mask=inside, other=0.0).to(dtype)
        if OVER:
            # Front to back: the composite below each pair (b*) and, from the logs, the
            # transmittance of all pairs above it.
            total = tl.load(logt_ptr + pixel, mask=inside, other=0.0)
            below = tl.zeros((PIX,), dtype)
            b0 = tl.full((PIX,), 1.0, dtype)
            b1 = tl.full((PIX,), 1.0, dtype)
            b2 = tl.full((PIX,), 1.0, dtype)
        else:  # d loss / d (log transmittance) of each channel
            g0 *= tl.load(image_ptr + pixel, mask=inside, other=0.0)
            g1 *= tl.load(image_ptr + plane + pixel, mask=inside, other=0.0)
            g2 *= tl.load(image_ptr + 2 * plane + pixel, mask=inside, other=0.0)
        for i in range(tl.load(first_ptr + tile), tl.load(first_ptr + tile + 1)):
            s = tl.load(stroke_ptr + i)
            arg = tl.load(nearest_ptr + i * PIX + k)
            h = tl.load(width_ptr + s) * 0.5
            ux, uy, vx, vy, q, dot, t_raw, t, dx, dy, d, raw, cov = _coverage(
                a_ptr, b_ptr, arg, px, py, h, EPS
            )
            r = tl.load(color_ptr + s * colors)
            g = tl.load(color_ptr + s * colors + 1)
            b = tl.load(color_ptr + s * colors + 2)
            if OVER:
                opacity = tl.load(color_ptr + s * colors + 3)
                alpha_raw = cov * opacity
                alpha = tl.minimum(alpha_raw, CAP)
                below += tl.log(1.0 - alpha)
                # Transmittance of the pairs drawn later; 0 past the canvas edge, which has
                # no total (exp(0 - below) would overflow there, and 0 x inf is NaN).
                above = tl.exp(tl.where(inside, total - below, float("-inf")))
                g_alpha = above * (g0 * (r - b0) + g1 * (g - b1) + g2 * (b - b2))
                tl.atomic_add(
                    grad_color_ptr + s * colors, tl.sum(g0 * alpha * above), sem="relaxed"
                )
                tl.atomic_add(
                    grad_color_ptr + s * colors + 1, tl.sum(g1 * alpha * above), sem="relaxed"
                )
                tl.atomic_add(
                    grad_color_ptr + s * colors + 2, tl.sum(g2 * alpha * above), sem="relaxed"
                )
                g_alpha = tl.where(alpha_raw <= CAP, g_alpha, 0.0)
                tl.atomic_add(grad_color_ptr + s * colors + 3, tl.sum(g_alpha * cov), sem="relaxed")
                g_cov = g_alpha * opacity
                b0 = alpha * r + (1.0 - alpha) * b0
                b1 = alpha * g + (1.0 - alpha) * b1
                b2 = alpha * b + (1.0 - alpha) * b2
            else:
                f0 = 1.0 - cov * (1.0 - r)
                f1 = 1.0 - cov * (1.0 - g)
                f2 = 1.0 - cov * (1.0 - b)
                gf0 = tl.where(f0 >= 1e-6, g0 / tl.maximum(f0, 1e-6), 0.0)
                gf1 = tl.where(f1 >= 1e-6, g1 / tl.maximum(f1, 1e-6), 0.0)
                gf2 = tl.where(f2 >= 1e-6, g2 / tl.maximum(f2, 1e-6), 0.0)
                tl.atomic_add(grad_color_ptr + s * colors, tl.sum(gf0 * cov), sem="relaxed")
                tl.atomic_add(grad_color_ptr + s * colors + 1, tl.sum(gf1 * cov), sem="relaxed")
                tl.atomic_add(grad_color_ptr + s * colors + 2, tl.sum(gf2 * cov), sem="relaxed")
                g_cov = -(gf0 * (1.0 - r) + gf1 * (1.0 - g) + gf2 * (1.0 - b))
            # coverage = clamp(minimum(h, d + 0.5) - maximum(-h, d - 0.5), 0, 1)
            g_raw = tl.where((raw >= 0.0) & (raw <= 1.0), g_cov, 0.0)
            # (at a tie of minimum or maximum, a null set, torch splits the gradient)
            w_lo = tl.where(h < d + 0.5, 1.0, 0.0)  # minimum(...) is h
            w_hi = tl.where(-h > d - 0.5, 1.0, 0.0)  # maximum(...) is -h
            tl.atomic_add(grad_width_ptr + s, 0.5 * tl.sum(g_raw * (w_lo + w_hi)), sem="relaxed")
            g_d = g_raw * (w_hi - w_lo)
            # d = |u - t v| (u = p - a, v = b - a, t = clamp(u.v / (v.v + eps), 0, 1))
            gdx = g_d * dx / d
            gdy = g_d * dy / d
            g_t = tl.where((t_raw >= 0.0) & (t_raw <= 1.0), -(gdx * vx + gdy * vy), 0.0)
            g_dot = g_t / q
            g_q = -g_t * t_raw / q
            gux = gdx + g_dot * vx
            guy = gdy + g_dot * vy
            gvx = -t * gdx + g_dot * ux + 2.0 * g_q * vx
            gvy = -t * gdy + g_dot * uy + 2.0 * g_q * vy
            touched = inside & (g_raw != 0.0)
            tl.atomic_add(grad_a_ptr + 2 * arg, -(gux + gvx), mask=touched, sem="relaxed")
            tl.atomic_add(grad_a_ptr + 2 * arg + 1, -(guy + gvy), mask=touched, sem="relaxed")
            tl.atomic_add(grad_b_ptr + 2 * arg, gvx, mask=touched, sem="relaxed")
            tl.atomic_add(grad_b_ptr + 2 * arg + 1, gvy, mask=touched, sem="relaxed")


def kernel_enabled(device: torch.device) -> bool:
    """Whether renders on `device` run the Triton kernels."""
    global _told_missing
    choice = os.environ.get("DREAMDRAW_RASTER_KERNEL", "auto")
    if choice == "torch" or _broken:
        return False
    wanted = choice == "triton" or device.type == "cuda"
    if triton is None:
        if wanted and not _told_missing:
            _told_missing = True
            log.warning("Triton is not importable (%s); the rasterizer runs in PyTorch", _missing)
        return False
    return wanted


def _fail(exc: Exception) -> None:
    global _broken
    _broken = True
    log.warning("the Triton rasterizer kernel failed (%s); using PyTorch", exc)


def _piece_tables(a: Tensor, b: Tensor, valid: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """What the nearest-piece search reads of the pieces [N, M, 2]: directions [N*M, 2],
    1 / |direction|^2 [N*M] and 0 or 1e30 (pieces past a stroke's end) [N*M]."""
    with torch.no_grad():
        ab = b - a
        inv = 1.0 / ((ab * ab).sum(-1) + _EPS)
        far = torch.where(valid, torch.zeros_like(inv), torch.full_like(inv, 1e30))
    return ab.reshape(-1, 2).contiguous(), inv.reshape(-1), far.reshape(-1)


def nearest_piece(
    a: Tensor, b: Tensor, valid: Tensor, stroke: Tensor, tx: Tensor, ty: Tensor, tile: int
) -> Tensor | None:
    """Index (into the flattened [N*M] pieces) of each pair-pixel's nearest piece
    [P, tile*tile], as `raster._nearest_piece`; None when the kernel cannot run."""
    ab, inv, far = _piece_tables(a, b, valid)
    out = torch.empty(stroke.shape[0], tile * tile, dtype=torch.long, device=a.device)
    if stroke.shape[0] == 0:
        return out
    try:
        with record_function(KERNEL_RANGE):
            _nearest_kernel[(stroke.shape[0],)](
                a.detach().reshape(-1, 2).contiguous(),
                ab,
                inv,
                far,
                stroke.contiguous(),
                tx.contiguous(),
                ty.contiguous(),
                out,
                a.shape[1],
                TILE=tile,
                PIX=tile * tile,
                MB=triton.next_power_of_2(a.shape[1]),
            )
    except Exception as exc:  # noqa: BLE001 - any compile or launch failure: fall back
        _fail(exc)
        return None
    return out


@dataclasses.dataclass
class _Job:
    """What a render's two launches share besides the differentiable inputs."""

    tiles: _Tiles  # its pieces detached (the PyTorch fallback's pairs)
    ab: Tensor
    inv: Tensor
    far: Tensor
    first: Tensor  # [tiles + 1] int32, first pair of each tile
    pieces_block: int  # pieces per stroke rounded up to a power of 2
    height: int
    width: int
    over: bool


class _Render(torch.autograd.Function):
    """Image [3, H, W] of pieces a, b [N, M, 2], widths [N] and colours [N, C]."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, widths: Tensor, colors: Tensor, job: _Job) -> Tensor:
        tiles = job.tiles
        tile = tiles.tile
        image = torch.empty(3, job.height, job.width, dtype=a.dtype, device=a.device)
        logt = torch.empty(job.height if job.over else 1, job.width, dtype=a.dtype, device=a.device)
        nearest = torch.empty(
            tiles.stroke.shape[0], tile * tile, dtype=torch.int32, device=a.device
        )
        a, b, widths, colors = (v.contiguous() for v in (a, b, widths, colors))
        with record_function(KERNEL_RANGE):
            _render_forward[(tiles.tiles_x * tiles.tiles_y,)](
                a,
                b,
                job.ab,
                job.inv,
                job.far,
                tiles.stroke,
                job.first,
                widths,
                colors,
                image,
                logt,
                nearest,
                a.shape[1],
                colors.shape[1],
                job.height,
                job.width,
                tiles.tiles_x,
                TILE=tile,
                PIX=tile * tile,
                MB=job.pieces_block,
                OVER=job.over,
                EPS=_EPS,
                CAP=_ALPHA_CAP,
                num_warps=1,
            )
        ctx.job = job
        ctx.save_for_backward(a, b, widths, colors, image, logt, nearest)
        return image

    @staticmethod
    def backward(ctx, grad: Tensor):
        a, b, widths, colors, image, logt, nearest = ctx.saved_tensors
        job = ctx.job
        try:
            grads = _backward(job, a, b, widths, colors, image, logt, nearest, grad)
        except Exception as exc:  # noqa: BLE001 - compile or launch failure: PyTorch's gradient
            _fail(exc)
            grads = _torch_backward(job, a, b, widths, colors, grad)
        return (*grads, None)


def _backward(job: _Job, a, b, widths, colors, image, logt, nearest, grad) -> tuple[Tensor, ...]:
    tiles = job.tiles
    grad_a, grad_b, grad_w, grad_c = (torch.zeros_like(v) for v in (a, b, widths, colors))
    with record_function(KERNEL_RANGE):
        _render_backward[(tiles.tiles_x * tiles.tiles_y,)](
            a,
            b,
            tiles.stroke,
            job.first,
            widths,
            colors,
            image,
            logt,
            nearest,
            grad.contiguous(),
            grad_a,
            grad_b,
            grad_w,
            grad_c,
            colors.shape[1],
            job.height,
            job.width,
            tiles.tiles_x,
            TILE=tiles.tile,
            PIX=tiles.tile * tiles.tile,
            OVER=job.over,
            EPS=_EPS,
            CAP=_ALPHA_CAP,
            num_warps=1,
        )
    return grad_a, grad_b, grad_w, grad_c


def _torch_backward(job: _Job, a, b, widths, colors, grad) -> tuple[Tensor, ...]:
    """The reference renderer's gradient, for a backward kernel that cannot run."""
    from dreamdraw.drawing.raster import _render_torch

    with torch.enable_grad():
        leaves = [v.detach().requires_grad_(True) for v in (a, b, widths, colors)]
        tiles = dataclasses.replace(job.tiles, a=leaves[0], b=leaves[1])
        mode = "over" if job.over else "ink"
        image = _render_torch(tiles, leaves[2], leaves[3], job.height, job.width, mode)
        return torch.autograd.grad(image, leaves, grad, allow_unused=True, materialize_grads=True)


def render(
    tiles: _Tiles, widths: Tensor, colors: Tensor, height: int, width: int, mode: str
) -> Tensor | None:
    """The image [3, H, W] of `tiles` (pairs sorted by tile, then stroke) with
    stroke widths [N] (px) and colours [N, C], differentiable in the pieces, widths and
    colours; None when the kernel cannot run (the caller renders in PyTorch)."""
    a, b = tiles.a, tiles.b
    ab, inv, far = _piece_tables(a, b, tiles.valid)
    n_tiles = tiles.tiles_x * tiles.tiles_y
    # Padding pairs sort after every tile, under the id n_tiles.
    first = torch.searchsorted(
        tiles.tile_id,
        torch.arange(n_tiles + 1, device=a.device, dtype=tiles.tile_id.dtype),
        out_int32=True,
    )
    job = _Job(
        dataclasses.replace(tiles, a=a.detach(), b=b.detach()),
        ab,
        inv,
        far,
        first,
        triton.next_power_of_2(a.shape[1]),
        height,
        width,
        mode == "over",
    )
    try:
        return _Render.apply(a, b, widths.to(a.dtype), colors.to(a.dtype), job)
    except Exception as exc:  # noqa: BLE001 - any compile or launch failure: fall back
        _fail(exc)
        return None
