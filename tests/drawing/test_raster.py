"""The differentiable rasterizer: gradients, coverage, culling and fitting."""

from __future__ import annotations

import pytest
import torch
from dreamdraw.drawing.raster import StrokeBatch, flatten_bezier, rasterize
from PIL import Image, ImageDraw


def random_strokes(
    n: int, size: int, seed: int, dtype=torch.float64, rgba: bool = False
) -> StrokeBatch:
    g = torch.Generator().manual_seed(seed)
    start = torch.rand(n, 1, 2, generator=g, dtype=dtype) * size
    steps = (torch.rand(n, 9, 2, generator=g, dtype=dtype) - 0.5) * size * 0.4
    points = torch.cat([start, start + steps.cumsum(1)], 1)
    segments = torch.randint(1, 4, (n,), generator=g)
    widths = 1.0 + 3.0 * torch.rand(n, generator=g, dtype=dtype)
    colors = torch.rand(n, 4 if rgba else 3, generator=g, dtype=dtype)
    return StrokeBatch(points, segments, widths, colors)


def brute_force(strokes: StrokeBatch, h: int, w: int, mode: str, samples: int) -> torch.Tensor:
    """Every pixel against every piece, no tiles: the reference the tiled renderer must match."""
    a, b, valid = flatten_bezier(strokes.points, strokes.segments, samples)
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=a.dtype) + 0.5, torch.arange(w, dtype=a.dtype) + 0.5, indexing="ij"
    )
    p = torch.stack([xs, ys], -1).reshape(-1, 1, 1, 2)
    ab = b - a
    t = (((p - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-12)).clamp(0, 1)
    d = (p - a - t[..., None] * ab).norm(dim=-1)
    d = torch.where(valid, d, torch.full_like(d, 1e9)).amin(-1)  # [HW, N]
    r = strokes.widths / 2
    cov = (torch.minimum(r, d + 0.5) - torch.maximum(-r, d - 0.5)).clamp(0, 1)
    image = torch.ones(h * w, 3, dtype=a.dtype)
    for i in range(len(strokes)):
        c = cov[:, i : i + 1]
        if mode == "ink":
            image = image * (1 - c * (1 - strokes.colors[i, :3]))
        else:
            alpha = c * strokes.colors[i, 3]
            image = image * (1 - alpha) + alpha * strokes.colors[i, :3]
    return image.reshape(h, w, 3).permute(2, 0, 1)


def test_tiled_ink_matches_brute_force_reference():
    strokes = random_strokes(12, 40, seed=1)
    got = rasterize(strokes, 37, 45, mode="ink", samples=6, tile=8)
    assert torch.allclose(got, brute_force(strokes, 37, 45, "ink", 6), atol=1e-6)


def test_tiled_over_composite_matches_brute_force_reference_in_stroke_order():
    strokes = random_strokes(12, 40, seed=2, rgba=True)
    got = rasterize(strokes, 40, 40, mode="over", samples=6, tile=8)
    assert torch.allclose(got, brute_force(strokes, 40, 40, "over", 6), atol=1e-6)


def test_gradients_match_finite_differences_in_float64():
    for mode, rgba in (("ink", False), ("over", True)):
        base = random_strokes(3, 16, seed=3, rgba=rgba)
        points = base.points.clone().requires_grad_(True)
        widths = base.widths.clone().requires_grad_(True)
        colors = base.colors.clone().requires_grad_(True)

        def render(p, w, c, segments=base.segments, mode=mode):
            return rasterize(StrokeBatch(p, segments, w, c), 16, 16, mode=mode, samples=5, tile=8)

        assert torch.autograd.gradcheck(render, (points, widths, colors), eps=1e-6, atol=1e-5)


def _horizontal_line(width_px: float) -> torch.Tensor:
    y = 10.3
    points = torch.tensor([[[4.0, y], [12.0, y], [24.0, y], [36.0, y]]], dtype=torch.float64)
    strokes = StrokeBatch(
        points,
        torch.tensor([1]),
        torch.tensor([width_px], dtype=torch.float64),
        torch.zeros(1, 3, dtype=torch.float64),
    )
    return rasterize(strokes, 24, 40, mode="ink")[0]


def test_horizontal_line_covers_the_expected_rows():
    for width in (0.8, 1.0, 3.0, 5.5):
        image = _horizontal_line(width)
        lo, hi = 10.3 - width / 2, 10.3 + width / 2
        for row in range(24):
            expected = max(0.0, min(row + 1.0, hi) - max(float(row), lo))
            coverage = 1.0 - image[row, 10:30]  # away from the round caps
            assert torch.allclose(coverage, torch.full_like(coverage, expected), atol=0.05), (
                width,
                row,
            )


def test_strokes_outside_the_canvas_leave_it_white():
    points = torch.tensor([[[-50.0, -50.0], [-40.0, -45.0], [-30.0, -44.0], [-20.0, -40.0]]])
    strokes = StrokeBatch(points, torch.tensor([1]), torch.tensor([3.0]), torch.zeros(1, 3))
    assert torch.equal(rasterize(strokes, 20, 20), torch.ones(3, 20, 20))


def test_over_compositing_refuses_colours_without_alpha():
    strokes = random_strokes(2, 16, seed=4)  # RGB
    with pytest.raises(ValueError, match=r"'over' compositing needs RGBA colours \[N, 4\]"):
        rasterize(strokes, 16, 16, mode="over")


def test_sixteen_strokes_fit_a_drawn_shape_by_mse():
    size = 64
    target_image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(target_image)
    pen.ellipse((14, 14, 50, 50), outline=0, width=5)
    pen.line((8, 56, 56, 8), fill=0, width=5)
    target = (
        torch.frombuffer(bytearray(target_image.tobytes()), dtype=torch.uint8).reshape(size, size)
        / 255.0
    )
    g = torch.Generator().manual_seed(0)
    n = 16
    start = torch.rand(n, 1, 2, generator=g) * size
    points = torch.cat(
        [start, start + ((torch.rand(n, 3, 2, generator=g) - 0.5) * size * 0.5).cumsum(1)], 1
    )
    points.requires_grad_(True)
    widths = torch.full((n,), 4.0, requires_grad=True)
    optimizer = torch.optim.Adam([{"params": [points], "lr": 1.0}, {"params": [widths], "lr": 0.1}])
    for _ in range(120):
        image = rasterize(
            StrokeBatch(points, torch.ones(n, dtype=torch.long), widths, torch.zeros(n, 3)),
            size,
            size,
        )[0]
        loss = ((image - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            widths.clamp_(1.0, 10.0)
    ink, target_ink = image < 0.5, target < 0.5
    iou = float((ink & target_ink).sum() / (ink | target_ink).sum())
    assert iou >= 0.8


def test_ink_layers_compose_any_subset_of_the_strokes():
    from dreamdraw.drawing.raster import ink_layers

    strokes = random_strokes(12, 40, seed=9)
    layers = ink_layers(strokes, 30, 40)
    assert layers.shape == (12, 3, 30, 40) and float(layers.max()) <= 0.0
    keep = torch.tensor([True, False] * 6)
    alone = rasterize(strokes.select(keep), 30, 40)
    assert torch.allclose(torch.exp(layers[keep].sum(0)), alone, atol=1e-9)
    assert torch.allclose(torch.exp(layers.sum(0)), rasterize(strokes, 30, 40), atol=1e-9)


def test_a_render_in_a_roomy_pair_buffer_matches_the_exact_render():
    from dreamdraw.drawing.raster import PairBuffer

    for mode, rgba in (("ink", False), ("over", True)):
        strokes = random_strokes(12, 40, seed=4, rgba=rgba)
        exact = rasterize(strokes, 40, 40, mode=mode, samples=6, tile=8)
        roomy = PairBuffer(capacity=4096)
        got = rasterize(strokes, 40, 40, mode=mode, samples=6, tile=8, buffer=roomy)
        assert torch.allclose(got, exact, atol=1e-12), mode


def test_a_full_pair_buffer_drops_ink_until_it_doubles_past_what_was_needed():
    from dreamdraw.drawing.raster import PairBuffer

    strokes = random_strokes(12, 40, seed=5, rgba=True)
    exact = rasterize(strokes, 40, 40, mode="over", samples=6, tile=8)
    small = PairBuffer(capacity=8)
    cramped = rasterize(strokes, 40, 40, mode="over", samples=6, tile=8, buffer=small)
    assert float((cramped - exact).abs().max()) > 0.1  # some stroke's ink is missing
    needed = int(small.needed())
    assert needed > 8
    assert small.fit(needed) is True  # it had lost ink
    assert small.capacity >= needed * 1.25 and small.capacity in (8 * 2**k for k in range(20))
    regrown = rasterize(strokes, 40, 40, mode="over", samples=6, tile=8, buffer=small)
    assert torch.allclose(regrown, exact, atol=1e-12)
    assert small.fit(int(small.needed())) is False


def test_the_first_render_in_an_empty_pair_buffer_sizes_it_with_room_to_spare():
    from dreamdraw.drawing.raster import PairBuffer

    strokes = random_strokes(6, 32, seed=6)
    buffer = PairBuffer()
    rasterize(strokes, 32, 32, samples=6, tile=8, buffer=buffer)
    assert buffer.capacity >= 1.25 * int(buffer.needed()) > 0
