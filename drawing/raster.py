"""A differentiable stroke rasterizer in PyTorch: cubic Bézier strokes to an image.

Each stroke is flattened to line pieces; a pixel's coverage is the exact box-filter
overlap of the pixel (1 px) with the stroke's cross-section at the pixel's distance to
the nearest piece, so edges are anti-aliased over about 1 px. Work is binned into
square tiles: only (stroke, tile) pairs whose tile lies near the stroke are evaluated,
in chunks, so memory grows with the ink drawn, never with pixels x segments. The
nearest piece is found without autograd; the gradient then flows through that piece
alone, which is exactly the gradient of the minimum.

Pairs live in a buffer of fixed capacity with a mask (tiles culled or past the end are
masked, never compacted away), so on CUDA a render reads nothing back from the device:
an optimisation passes a `PairBuffer` whose capacity grows by doubling when its caller
reads how many pairs were needed (`PairBuffer.needed`, with the score, every N steps);
a render without one sizes the buffer exactly and drops culled pairs (two reads).

Two ways to combine strokes:
- "ink": pen ink on white paper, order-free: paper x prod(1 - coverage x (1 - ink)).
- "over": RGBA strokes composited "over" in stroke order onto white, as CLIPDraw does.

On CUDA the pairs' coverage and compositing run as two Triton kernels, forward and
backward (`triton_raster`); the PyTorch renderer here is the CPU path, the fallback and
their reference.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

__all__ = [
    "PairBuffer",
    "StrokeBatch",
    "curvature_bound",
    "samples_for_bound",
    "rasterize",
    "ink_layers",
    "flatten_bezier",
    "render_drawing",
    "strokes_to_batch",
]

TILE = 4
# The profiler range of each Triton kernel launch: one launch on CUDA, whatever the
# interpreter runs inside it on the CPU (bench.drawing --profile).
KERNEL_RANGE = "dreamdraw.triton_kernel"
_CHUNK_ELEMENTS = 1 << 21  # distance evaluations per chunk in the nearest-piece search
_EPS = 1e-12


@dataclass
class StrokeBatch:
    """Strokes as padded tensors.

    points:   [N, 3K+1, 2] control points in px (K = the most segments of any stroke)
    segments: [N] int, segments used by each stroke (1..K); later points are ignored
    widths:   [N] full stroke widths in px
    colors:   [N, 3] ink RGB ("ink") or [N, 4] RGBA ("over"), in [0, 1]
    """

    points: Tensor
    segments: Tensor
    widths: Tensor
    colors: Tensor

    def __len__(self) -> int:
        return self.points.shape[0]

    def select(self, keep: Tensor) -> StrokeBatch:
        return StrokeBatch(
            self.points[keep], self.segments[keep], self.widths[keep], self.colors[keep]
        )


def _bezier_basis(samples: int, like: Tensor) -> Tensor:
    """Cubic Bernstein basis at samples+1 evenly spaced t: [samples+1, 4]."""
    t = torch.linspace(0.0, 1.0, samples + 1, dtype=like.dtype, device=like.device)[:, None]
    s = 1.0 - t
    return torch.cat([s**3, 3 * s * s * t, 3 * s * t * t, t**3], dim=1)


def _segment_controls(points: Tensor) -> Tensor:
    """[N, 3K+1, 2] -> [N, K, 4, 2] control points of each cubic segment."""
    k = (points.shape[1] - 1) // 3
    idx = 3 * torch.arange(k, device=points.device)[:, None] + torch.arange(4, device=points.device)
    return points[:, idx]


def curvature_bound(points: Tensor) -> Tensor:
    """The largest second difference of any segment's control points (px, 0-dim, on the
    points' device, not read back): what `samples_for_bound` needs."""
    ctrl = _segment_controls(points.detach())
    second = (ctrl[:, :, :2] - 2 * ctrl[:, :, 1:3] + ctrl[:, :, 2:]).norm(dim=-1)
    return second.amax() if second.numel() else points.new_zeros(())


def samples_for_bound(dd: float, tolerance_px: float = 0.25, lo: int = 4, hi: int = 32) -> int:
    """Pieces per cubic segment so that a curve with curvature bound `dd` (px) stays within
    tolerance (px) once flattened."""
    # The chord error of a cubic split into n pieces is at most 6*dd/(8 n^2).
    n = math.ceil(math.sqrt(0.75 * dd / tolerance_px)) if dd > 0 else lo
    return int(min(max(n, lo), hi))


def samples_for_tolerance(
    points: Tensor, tolerance_px: float = 0.25, lo: int = 4, hi: int = 32
) -> int:
    """Pieces per cubic segment so that the flattened curve stays within tolerance (px);
    reads the bound back from the device."""
    return samples_for_bound(float(curvature_bound(points)), tolerance_px, lo, hi)


@dataclass
class PairBuffer:
    """The capacity of the (stroke, tile) pair buffer, kept across renders of one drawing.

    Renders never read the number of pairs they need: they record its maximum on the
    device (`peak`). Pairs past the capacity are dropped (that stroke ink is missing)
    until the owner reads `peak` (`needed`) and the capacity grows by doubling.
    """

    capacity: int = 0
    peak: Tensor | None = None  # most pairs any render needed since the last `needed()`

    def note(self, total: Tensor) -> None:
        """Record one render's pair count (0-dim long tensor, not read)."""
        self.peak = total if self.peak is None else torch.maximum(self.peak, total)

    def fit(self, needed: int) -> bool:
        """Size an empty buffer for `needed` pairs and a quarter more (in blocks of 1024);
        double a used one until it has that room. True when a render needed more than
        the capacity (so it lost ink)."""
        lost = needed > self.capacity
        room = needed + needed // 4
        if self.capacity == 0:
            self.capacity = max(1024, -(-room // 1024) * 1024)
        while self.capacity < room:
            self.capacity *= 2
        return lost

    def needed(self) -> Tensor:
        """The most pairs any render needed since the last call (0-dim, on the device)."""
        peak = self.peak if self.peak is not None else torch.zeros((), dtype=torch.long)
        self.peak = None
        return peak


def flatten_bezier(points: Tensor, segments: Tensor, samples: int) -> tuple[Tensor, Tensor, Tensor]:
    """Flatten padded cubic strokes into line pieces.

    Returns (a, b, valid): piece starts and ends [N, K*samples, 2] in px, and which
    pieces belong to a used segment [N, K*samples].
    """
    ctrl = _segment_controls(points)  # [N, K, 4, 2]
    curve = torch.einsum("sj,nkjd->nksd", _bezier_basis(samples, points), ctrl)
    n, k = ctrl.shape[:2]
    a = curve[:, :, :-1].reshape(n, k * samples, 2)
    b = curve[:, :, 1:].reshape(n, k * samples, 2)
    seg_of_piece = torch.arange(k, device=points.device).repeat_interleave(samples)
    valid = seg_of_piece[None, :] < segments[:, None]
    return a, b, valid


def _point_segment_distance(p: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """Distance from points p to segments a->b (broadcasting over leading dims)."""
    ab = b - a
    t = ((p - a) * ab).sum(-1) / ((ab * ab).sum(-1) + _EPS)
    t = t.clamp(0.0, 1.0)
    diff = p - a - t.unsqueeze(-1) * ab
    return torch.sqrt((diff * diff).sum(-1) + _EPS)


def _box_coverage(d: Tensor, half_width: Tensor) -> Tensor:
    """Overlap of a 1 px pixel centred at distance d with a band of the given half-width."""
    return (torch.minimum(half_width, d + 0.5) - torch.maximum(-half_width, d - 0.5)).clamp(
        0.0, 1.0
    )


def _tile_pairs(
    a: Tensor,
    b: Tensor,
    valid: Tensor,
    widths: Tensor,
    height: int,
    width: int,
    tile: int,
    buffer: PairBuffer | None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(stroke, tile_x, tile_y, live) [C] for a buffer of C pairs: every tile a stroke's
    ink may touch is live; culled tiles and slots past the last pair are not."""
    with torch.no_grad():
        big = torch.finfo(a.dtype).max / 4
        ends = torch.stack([a, b], dim=2)  # [N, M, 2, 2]
        mask = valid[:, :, None, None]
        lo = torch.where(mask, ends, torch.full_like(ends, big)).amin(dim=(1, 2))
        hi = torch.where(mask, ends, torch.full_like(ends, -big)).amax(dim=(1, 2))
        reach = widths / 2 + 1.0
        tiles_x, tiles_y = -(-width // tile), -(-height // tile)
        tx0 = torch.floor((lo[:, 0] - reach) / tile).clamp(0, tiles_x - 1).long()
        ty0 = torch.floor((lo[:, 1] - reach) / tile).clamp(0, tiles_y - 1).long()
        tx1 = torch.floor((hi[:, 0] + reach) / tile).clamp(0, tiles_x - 1).long()
        ty1 = torch.floor((hi[:, 1] + reach) / tile).clamp(0, tiles_y - 1).long()
        onscreen = (hi[:, 0] + reach >= 0) & (hi[:, 1] + reach >= 0)
        onscreen &= (lo[:, 0] - reach <= width) & (lo[:, 1] - reach <= height)
        onscreen &= valid.any(dim=1)
        nx = (tx1 - tx0 + 1) * onscreen
        ny = (ty1 - ty0 + 1) * onscreen
        counts = nx * ny
        last = torch.cumsum(counts, 0)  # one past each stroke's last pair
        total = last[-1]
        if buffer is None:
            capacity = max(1, int(total))
        else:
            if buffer.capacity == 0:  # the first render reads its size once
                buffer.fit(int(total))
            buffer.note(total)
            capacity = buffer.capacity
        slot = torch.arange(capacity, device=a.device)
        stroke = torch.searchsorted(last, slot, right=True).clamp_(max=len(counts) - 1)
        live = slot < total
        local = torch.where(live, slot - (last - counts)[stroke], 0)  # padding: a real tile
        nx_s = nx[stroke].clamp(min=1)
        tx = tx0[stroke] + local % nx_s
        ty = ty0[stroke] + local // nx_s
        # Cull tiles whose centre lies farther from the curve than ink can reach.
        centre = torch.stack([(tx + 0.5) * tile, (ty + 0.5) * tile], dim=-1).to(a.dtype)
        limit = reach[stroke] + tile * math.sqrt(0.5)
        step = max(1, _CHUNK_ELEMENTS // max(1, a.shape[1]))
        near = torch.empty_like(live)
        for i in range(0, capacity, step):
            s = stroke[i : i + step]
            d = _point_segment_distance(centre[i : i + step, None], a[s], b[s])
            d = torch.where(valid[s], d, torch.full_like(d, big))
            near[i : i + step] = d.amin(dim=1) <= limit[i : i + step]
    return stroke, tx, ty, live & near


def _nearest_piece(pixels: Tensor, a: Tensor, b: Tensor, valid: Tensor, stroke: Tensor) -> Tensor:
    """Index (into the flattened [N*M] pieces) of each pair-pixel's nearest piece: [P, T*T]."""
    m = a.shape[1]
    out = torch.empty(pixels.shape[:2], dtype=torch.long, device=pixels.device)
    step = max(1, _CHUNK_ELEMENTS // (pixels.shape[1] * m))
    with torch.no_grad():
        ab = b - a
        inv_len2 = 1.0 / ((ab * ab).sum(-1) + _EPS)
        # Invalid pieces are pushed far away so they are never the nearest.
        far = torch.where(valid, torch.zeros_like(inv_len2), torch.full_like(inv_len2, 1e30))
        for i in range(0, pixels.shape[0], step):
            s = stroke[i : i + step]
            px, py = pixels[i : i + step, :, None, 0], pixels[i : i + step, :, None, 1]
            dx = px - a[s, None, :, 0]
            dy = py - a[s, None, :, 1]
            abx, aby = ab[s, None, :, 0], ab[s, None, :, 1]
            t = ((dx * abx + dy * aby) * inv_len2[s, None]).clamp_(0.0, 1.0)
            dx.sub_(t * abx)
            dy.sub_(t * aby)
            d2 = dx.mul_(dx).add_(dy.mul_(dy)).add_(far[s, None])
            out[i : i + step] = d2.argmin(dim=2) + (s * m)[:, None]
    return out


def _triton_module(device: torch.device, tile: int):
    """The Triton kernels' module where they run (CUDA, or as chosen by
    DREAMDRAW_RASTER_KERNEL) for this tile size, else None."""
    wanted = os.environ.get("DREAMDRAW_RASTER_KERNEL", "auto")
    if wanted == "triton" or (wanted == "auto" and device.type == "cuda"):
        from dreamdraw.drawing import triton_raster  # imports Triton: only when asked

        if triton_raster.kernel_enabled(device) and tile * tile & (tile * tile - 1) == 0:
            return triton_raster
    return None


def _nearest(
    pixels: Tensor,
    a: Tensor,
    b: Tensor,
    valid: Tensor,
    stroke: Tensor,
    tx: Tensor,
    ty: Tensor,
    tile: int,
) -> Tensor:
    """`_nearest_piece`, by the Triton kernel where it runs, else in PyTorch."""
    kernels = _triton_module(pixels.device, tile)
    if kernels is not None:
        found = kernels.nearest_piece(a, b, valid, stroke, tx, ty, tile)
        if found is not None:
            return found
    return _nearest_piece(pixels, a, b, valid, stroke)


@dataclass
class _Tiles:
    """The flattened pieces and the (stroke, tile) pairs where ink may fall."""

    a: Tensor  # [N, M, 2] piece starts, px (differentiable in the control points)
    b: Tensor  # [N, M, 2] piece ends, px
    valid: Tensor  # [N, M] pieces of a used segment
    stroke: Tensor  # [P] stroke of each pair
    tx: Tensor  # [P] tile column
    ty: Tensor  # [P] tile row
    live: Tensor  # [P] bool, pairs that hold ink (the rest are padding)
    tile_id: Tensor  # [P] tile of each pair, row-major; tiles_x * tiles_y for padding
    tiles_x: int
    tiles_y: int
    tile: int


def _tiles(
    strokes: StrokeBatch,
    height: int,
    width: int,
    samples: int | None,
    tile: int,
    ordered: bool,
    buffer: PairBuffer | None = None,
) -> _Tiles | None:
    """The pairs to render; None when there are no strokes or none reaches the canvas.
    `ordered`: live pairs sorted by tile, then stroke (for "over" compositing), then the
    padding."""
    points = strokes.points
    tiles_x, tiles_y = -(-width // tile), -(-height // tile)
    if len(strokes) == 0:
        return None
    if samples is None:
        samples = samples_for_tolerance(points)
    a, b, valid = flatten_bezier(points, strokes.segments, samples)
    stroke, tx, ty, live = _tile_pairs(
        a, b, valid, strokes.widths.detach(), height, width, tile, buffer
    )
    if buffer is None:  # a single render: drop the culled pairs (reads how many are left)
        keep = torch.nonzero(live).flatten()
        if keep.numel() == 0:
            return None
        stroke, tx, ty, live = stroke[keep], tx[keep], ty[keep], live[keep]
    tile_id = torch.where(live, ty * tiles_x + tx, tiles_x * tiles_y)  # padding: its own tile
    if ordered:
        order = torch.argsort(tile_id * len(strokes) + stroke)
        stroke, tx, ty, live, tile_id = (v[order] for v in (stroke, tx, ty, live, tile_id))
    return _Tiles(a, b, valid, stroke, tx, ty, live, tile_id, tiles_x, tiles_y, tile)


@dataclass
class _Pairs:
    """Each (stroke, tile) pair's pixels, where they land in the padded image, and coverage."""

    stroke: Tensor  # [P] stroke of each pair
    tile_id: Tensor  # [P] tile of each pair, row-major
    flat_index: Tensor  # [P, T*T] pixel index into the padded image (hp * wp)
    coverage: Tensor  # [P, T*T] in [0, 1], 0 for pairs that are not live
    live: Tensor  # [P] bool, pairs that hold ink (the rest are padding)
    hp: int
    wp: int


def _pairs(tiles: _Tiles, widths: Tensor) -> _Pairs:
    """Coverage of every pixel of every pair by its stroke (`widths` [N], px)."""
    tile, stroke, tx, ty = tiles.tile, tiles.stroke, tiles.tx, tiles.ty
    a, b = tiles.a, tiles.b
    offs = torch.arange(tile, device=a.device, dtype=a.dtype) + 0.5
    grid = torch.stack(torch.meshgrid(offs, offs, indexing="xy"), dim=-1).reshape(-1, 2)  # [T*T, 2]
    origin = torch.stack([tx, ty], dim=-1).to(a.dtype) * tile
    pixels = origin[:, None, :] + grid[None]  # [P, T*T, 2]
    wp = tiles.tiles_x * tile
    flat_index = ((ty * tile)[:, None] + grid[None, :, 1].long()) * wp + (
        (tx * tile)[:, None] + grid[None, :, 0].long()
    )  # [P, T*T] into the padded image

    nearest = _nearest(pixels, a, b, tiles.valid, stroke, tx, ty, tile)
    pa = a.reshape(-1, 2)[nearest]
    pb = b.reshape(-1, 2)[nearest]
    d = _point_segment_distance(pixels, pa, pb)
    coverage = _box_coverage(d, widths[stroke, None] / 2) * tiles.live[:, None]  # [P, T*T]
    return _Pairs(stroke, tiles.tile_id, flat_index, coverage, tiles.live, tiles.tiles_y * tile, wp)


def _ink_log(colors: Tensor, pairs: _Pairs) -> Tensor:
    """Each pair-pixel's log transmittance [P, T*T, 3] for ink on paper."""
    ink = colors[pairs.stroke, :3]
    factor = 1.0 - pairs.coverage[..., None] * (1.0 - ink[:, None, :])
    return torch.log(factor.clamp_min(1e-6))


def _render_torch(
    tiles: _Tiles, widths: Tensor, colors: Tensor, height: int, width: int, mode: str
) -> Tensor:
    """The PyTorch renderer (the CPU path, and the reference of the Triton kernels): the
    pairs' coverage composited to RGB [3, H, W]; "over" needs `tiles` ordered."""
    pairs = _pairs(tiles, widths)
    dtype, device = colors.dtype, colors.device
    hp, wp = pairs.hp, pairs.wp
    flat = pairs.flat_index.reshape(-1)
    if mode == "ink":
        image = torch.zeros(hp * wp, 3, dtype=dtype, device=device)
        image = torch.exp(image.index_add(0, flat, _ink_log(colors, pairs).reshape(-1, 3)))
    else:
        colors = colors[pairs.stroke]
        alpha = (pairs.coverage * colors[:, None, 3]).clamp(max=1.0 - 1e-6)
        log_keep = torch.log1p(-alpha)  # [P, T*T]
        # Transmittance of everything drawn after each pair within its tile.
        acc = torch.cumsum(log_keep.double(), dim=0)
        # The last pair of each pair's tile (pairs are sorted by tile).
        last = torch.searchsorted(pairs.tile_id, pairs.tile_id, right=True) - 1
        after = torch.exp((acc[last] - acc).to(dtype))  # [P, T*T]
        contrib = (alpha * after)[..., None] * colors[:, None, :3]
        image = torch.zeros(hp * wp, 3, dtype=dtype, device=device)
        image = image.index_add(0, flat, contrib.reshape(-1, 3))
        total = torch.zeros(hp * wp, dtype=dtype, device=device)
        total = total.index_add(0, flat, log_keep.reshape(-1))
        image = image + torch.exp(total)[:, None]  # the white paper showing through
    return image.reshape(hp, wp, 3)[:height, :width].permute(2, 0, 1)


def rasterize(
    strokes: StrokeBatch,
    height: int,
    width: int,
    mode: Literal["ink", "over"] = "ink",
    samples: int | None = None,
    tile: int = TILE,
    buffer: PairBuffer | None = None,
) -> Tensor:
    """Render strokes to an RGB image [3, H, W] in [0, 1] on white, differentiable in
    control points (px), widths (px) and colours.

    `samples`: pieces per cubic segment (None: enough for 0.25 px, read from the device).
    `buffer`: the pair buffer an optimisation keeps (None: sized exactly, one read).
    On CUDA one Triton kernel renders forward and one backward (`triton_raster`); the
    PyTorch path runs elsewhere and wherever Triton does not."""
    if mode not in ("ink", "over"):
        raise ValueError(f"unknown compositing mode {mode!r}")
    need = 4 if mode == "over" else 3  # the kernels read that many channels unchecked
    if strokes.colors.shape[-1] < need:
        raise ValueError(
            f"{mode!r} compositing needs {'RGBA' if need == 4 else 'RGB'} colours [N, {need}],"
            f" got [N, {strokes.colors.shape[-1]}]"
        )
    dtype, device = strokes.points.dtype, strokes.points.device
    kernels = _triton_module(device, tile)
    tiles = _tiles(
        strokes, height, width, samples, tile, mode == "over" or kernels is not None, buffer
    )
    if tiles is None:
        return torch.ones(3, height, width, dtype=dtype, device=device)
    if kernels is not None:
        image = kernels.render(tiles, strokes.widths, strokes.colors, height, width, mode)
        if image is not None:
            return image
    return _render_torch(tiles, strokes.widths, strokes.colors, height, width, mode)


def ink_layers(
    strokes: StrokeBatch, height: int, width: int, samples: int | None = None, tile: int = TILE
) -> Tensor:
    """Each stroke's own log transmittance [N, 3, H, W] (0: no ink) in one pass, for ink
    compositing: the image of any subset of the strokes is exp of the sum of its layers,
    so `rasterize(strokes.select(keep))` equals `exp(ink_layers(strokes)[keep].sum(0))`."""
    n = len(strokes)
    tiles = _tiles(strokes, height, width, samples, tile, ordered=False)
    dtype, device = strokes.points.dtype, strokes.points.device
    if tiles is None:
        return torch.zeros(n, 3, height, width, dtype=dtype, device=device)
    pairs = _pairs(tiles, strokes.widths)
    hp, wp = pairs.hp, pairs.wp
    index = (pairs.stroke[:, None] * (hp * wp) + pairs.flat_index).reshape(-1)
    layers = torch.zeros(n * hp * wp, 3, dtype=dtype, device=device)
    layers = layers.index_add(0, index, _ink_log(strokes.colors, pairs).reshape(-1, 3))
    return layers.reshape(n, hp, wp, 3)[:, :height, :width].permute(0, 3, 1, 2)


def strokes_to_batch(
    drawing, scale: float = 1.0, device: str | torch.device = "cpu"
) -> tuple[StrokeBatch, str]:
    """A Drawing's strokes as a StrokeBatch at `scale` x canvas px, and its compositing mode."""
    n = len(drawing.strokes)
    k = max((s.segments for s in drawing.strokes), default=1)
    points = torch.zeros(n, 3 * k + 1, 2, dtype=torch.float32)
    segments = torch.zeros(n, dtype=torch.long)
    widths = torch.zeros(n, dtype=torch.float32)
    over = drawing.mode == "classic"
    colors = torch.zeros(n, 4 if over else 3, dtype=torch.float32)
    for i, st in enumerate(drawing.strokes):
        pts = torch.tensor(st.points, dtype=torch.float32)
        points[i, : len(pts)] = pts
        points[i, len(pts) :] = pts[-1]
        segments[i] = st.segments
        widths[i] = drawing.stroke_width_px(st)
        rgba = st.rgba if st.rgba is not None else (*drawing.pen(st.pen).rgb, 1.0)
        colors[i] = torch.tensor(rgba[: colors.shape[1]])
    batch = StrokeBatch(points * scale, segments, widths * scale, colors)
    batch = StrokeBatch(
        *(t.to(device) for t in (batch.points, batch.segments, batch.widths, batch.colors))
    )
    return batch, ("over" if over else "ink")


def render_drawing(drawing, width_px: int | None = None, device: str = "cpu") -> Tensor:
    """Render a Drawing (no gradients) to RGB [3, H, W] at `width_px` wide (default: canvas)."""
    width_px = width_px or drawing.canvas_width
    scale = width_px / drawing.canvas_width
    height_px = max(1, round(drawing.canvas_height * scale))
    batch, mode = strokes_to_batch(drawing, scale, device)
    with torch.no_grad():
        return rasterize(batch, height_px, width_px, mode=mode).cpu()
