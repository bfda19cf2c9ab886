"""The CLIPDraw optimizer with a tiny random-weight CLIP on the CPU."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import vpype
from dreamdraw.drawing import DrawingError, DrawSettings, Pen, draw, load_clip

PENS = [
    Pen(1, "#000000", 4.0, "black"),
    Pen(2, "#1f4fbf", 3.0, "blue"),
    Pen(3, "#c8102e", 4.0, "red"),
]


@pytest.fixture(scope="module")
def clip():
    return load_clip("test:tiny")


def settings(**changes) -> DrawSettings:
    base = DrawSettings(
        clip="test:tiny",
        device="cpu",
        strokes=48,
        iterations=50,
        seed=3,
        pens=PENS,
        progress_every=10,
        canvas_px=112,
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("mode", ["plotter", "classic"])
def test_cosine_rises_clearly_in_fifty_iterations(clip, mode):
    drawing = draw("a red fish in the sea", settings(mode=mode, augmentations=0), clip=clip)
    first, last = drawing.scores[0][1], drawing.scores[-1][1]
    assert last - first > 0.05, drawing.scores


def test_snapped_drawing_uses_only_the_configured_pens_and_widths(clip):
    drawing = draw("a boat", settings(iterations=10, augmentations=2), clip=clip)
    assert {s.pen for s in drawing.strokes} <= {1, 2, 3}
    assert all(s.width_px is None and s.rgba is None for s in drawing.strokes)
    assert drawing.pens == PENS
    assert (drawing.canvas_width, drawing.canvas_height) == (158, 112)  # A4 landscape
    assert drawing.final_score is not None


def test_svg_reads_back_in_vpype_with_a_layer_per_pen_and_every_stroke(clip, tmp_path):
    drawing = draw("a house", settings(iterations=5, augmentations=1), clip=clip)
    path = tmp_path / "d.svg"
    path.write_text(drawing.to_svg())
    document = vpype.read_multilayer_svg(str(path), quantization=0.1)
    by_pen = {pen.id: sum(s.pen == pen.id for s in drawing.strokes) for pen in PENS}
    assert {k: len(v) for k, v in document.layers.items()} == {k: v for k, v in by_pen.items() if v}


def test_same_seed_gives_the_same_drawing_on_cpu(clip):
    a = draw("two moons", settings(iterations=5, augmentations=2), clip=clip)
    b = draw("two moons", settings(iterations=5, augmentations=2), clip=clip)
    assert a.strokes == b.strokes and a.scores == b.scores


def test_classic_mode_keeps_clipdraw_widths_and_colours_in_range(clip):
    drawing = draw("a storm", settings(mode="classic", iterations=5, augmentations=2), clip=clip)
    assert (drawing.canvas_width, drawing.canvas_height) == (224, 224)
    assert all(2.0 <= s.width_px <= 100.0 for s in drawing.strokes)
    assert all(0.0 <= c <= 1.0 for s in drawing.strokes for c in s.rgba)


def test_progress_reports_every_n_iterations_with_the_current_drawing(clip):
    seen = []
    draw(
        "a cat",
        settings(iterations=12, augmentations=1, progress_every=4),
        clip=clip,
        progress=seen.append,
    )
    assert [p.iteration for p in seen] == [4, 8, 12]
    assert all(len(p.drawing.strokes) == 48 for p in seen)


def test_early_stop_ends_a_plateaued_run(clip):
    drawing = draw(
        "a cat",
        settings(strokes=8, iterations=400, augmentations=1, early_stop_patience=3),
        clip=clip,
    )
    assert drawing.settings["stopped_at"] < 400


def test_negative_prompts_change_the_result(clip):
    plain = draw("a cat", settings(iterations=5, augmentations=1), clip=clip)
    steered = draw(
        "a cat", settings(iterations=5, augmentations=1, negative_prompts=["a dog"]), clip=clip
    )
    assert plain.strokes != steered.strokes


def test_plotter_mode_also_shows_clip_the_whole_canvas_and_classic_mode_does_not(clip):
    quick = {"iterations": 5, "augmentations": 2, "prune": False}
    whole = draw("a cat", settings(**quick), clip=clip)
    views_only = draw("a cat", settings(**quick, plain_view=False), clip=clip)
    assert whole.settings["plain_view"] and not views_only.settings["plain_view"]
    assert whole.strokes != views_only.strokes
    # Classic mode stays CLIPDraw as published: augmented views only, whatever the setting.
    classic = [
        draw("a cat", settings(**quick, mode="classic", plain_view=v), clip=clip)
        for v in (True, False)
    ]
    assert classic[0].strokes == classic[1].strokes and not classic[0].settings["plain_view"]


def test_short_strokes_are_dropped_in_plotter_mode(clip):
    drawing = draw(
        "a dot", settings(iterations=1, augmentations=1, min_stroke_mm=1000.0), clip=clip
    )
    assert drawing.strokes == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strokes": 0}, "strokes must be positive"),
        ({"iterations": 0}, "iterations"),
        ({"paper": "B9"}, "unknown paper"),
    ],
)
def test_bad_settings_are_clear_errors(clip, changes, message):
    with pytest.raises(DrawingError, match=message):
        draw("a cat", settings(**changes), clip=clip)


def test_empty_text_is_a_clear_error(clip):
    with pytest.raises(DrawingError, match="empty"):
        draw("   ", settings(), clip=clip)


def test_gradients_reach_the_points_through_clip(clip):
    from dreamdraw.drawing.raster import StrokeBatch, rasterize

    points = torch.tensor(
        [[[20.0, 20.0], [80.0, 40.0], [120.0, 160.0], [200.0, 200.0]]], requires_grad=True
    )
    image = rasterize(
        StrokeBatch(points, torch.tensor([1]), torch.tensor([6.0]), torch.zeros(1, 3)), 224, 224
    )
    (clip.encode_image(image[None]) @ clip.encode_text(["a line"])[0]).sum().backward()
    assert points.grad.abs().sum() > 0


class _DeviceReads(torch.overrides.TorchFunctionMode):
    """Counts the calls that would wait for a CUDA device: Python reads of tensor values
    (float(), .item(), .tolist(), .cpu(), ...) and ops that read a size back (nonzero,
    unique*, masked_select, boolean indexing, repeat_interleave without output_size),
    outside torch.optim
    (whose step counters live on the host)."""

    READS = frozenset(["__float__", "__int__", "__bool__", "__index__", "item", "tolist", "cpu"])
    SIZED = frozenset(["nonzero", "unique", "unique_consecutive", "masked_select"])

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        import sys

        name = getattr(func, "__name__", "")
        caller = sys._getframe(1).f_globals.get("__name__", "")
        index = args[1] if name in ("__getitem__", "__setitem__") and len(args) > 1 else None
        masked = isinstance(index, torch.Tensor) and index.dtype == torch.bool
        sized_repeat = (
            name == "repeat_interleave"
            and not isinstance((args[1:2] or [None])[0], int)
            and (kwargs or {}).get("output_size") is None
        )
        if not caller.startswith("torch.optim") and (
            name in self.READS or name in self.SIZED or masked or sized_repeat
        ):
            self.count += 1
        return func(*args, **(kwargs or {}))


def test_a_drawing_step_reads_the_device_once_per_progress_period(clip, monkeypatch):
    from dreamdraw.drawing import clipdraw

    monkeypatch.setattr(clipdraw, "PAIR_BUFFER_ON_CPU", True)  # the step CUDA runs

    def reads(iterations: int, mode: str) -> int:
        run = settings(
            mode=mode, strokes=8, iterations=iterations, augmentations=2, prune=False,
            progress_every=5,
        )  # fmt: skip
        with _DeviceReads() as counter:
            draw("a cat", run, clip=clip)
        return counter.count

    for mode in ("classic", "plotter"):
        # Ten more iterations (two progress periods) add two reads: the periods' scores.
        assert reads(12, mode) - reads(2, mode) == 2, mode


def _image(seed: int) -> torch.Tensor:
    """A rendered image [3, 96, 128] (letterboxed to a square for CLIP)."""
    return torch.rand(3, 96, 128, generator=torch.Generator().manual_seed(seed))


def test_view_loss_gives_the_clipdraw_loss_gradient_to_the_image_eagerly_on_cpu(clip, caplog):
    from dreamdraw.drawing import augment, letterbox
    from dreamdraw.drawing.clipdraw import NEGATIVE_WEIGHT, ViewLoss

    text = clip.encode_text(["a red fish"])[0]
    negatives = clip.encode_text(["a dog", "a car"])
    gen = torch.Generator()

    def views_of(image: torch.Tensor) -> torch.Tensor:
        return augment(letterbox(image), 2, clip.image_size, generator=gen)

    view_loss = ViewLoss(clip, text, negatives, views_of, gen, capture=True)  # CPU: eager
    for seed in (0, 1):  # the static input takes each call's image
        image = _image(seed).requires_grad_(True)
        gen.manual_seed(seed)
        features = clip.encode_image(views_of(image))
        cos = features @ text
        loss = -cos.sum() + NEGATIVE_WEIGHT * (features @ negatives.T).sum()
        (expected,) = torch.autograd.grad(loss, image)

        gen.manual_seed(seed)  # the same views
        got_cos, got_grad = view_loss(image)

        torch.testing.assert_close(got_cos, cos.detach(), rtol=0, atol=0)
        torch.testing.assert_close(got_grad, expected, rtol=0, atol=0)
    assert not view_loss.captured and not caplog.records


def test_profile_counts_each_clip_step_as_one_launch_once_captured(clip):
    from dreamdraw.drawing import letterbox
    from dreamdraw.drawing.clipdraw import ViewLoss
    from torch.profiler import ProfilerActivity, profile

    from bench.drawing import _count_profile, _HostTraffic

    text = clip.encode_text(["a red fish"])[0]
    view_loss = ViewLoss(clip, text, views_of=lambda image: letterbox(image)[None])
    image = _image(0)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        view_loss(image)
        view_loss(image)
    counts = _count_profile(prof.events(), _HostTraffic())

    assert counts["clip_steps"] == 2
    # Outside the steps: only the two copies into the static input.
    assert counts["launches"] - counts["clip_launches"] == 2
    assert counts["clip_launches"] > 100  # forward and backward (run on this thread)


def test_profile_counts_a_triton_kernel_launch_as_one_and_not_the_ops_inside():
    from dreamdraw.drawing.clipdraw import RASTER_RANGE
    from dreamdraw.drawing.raster import KERNEL_RANGE
    from torch.profiler import ProfilerActivity, profile, record_function

    from bench.drawing import _count_profile, _HostTraffic

    x = torch.ones(8)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function(RASTER_RANGE):
            y = x + x  # one launch in the rasterizer's range
            with record_function(KERNEL_RANGE):  # what an interpreted kernel runs
                for _ in range(5):
                    y = (y * y).exp().sin()
        x - x  # one launch outside
    counts = _count_profile(prof.events(), _HostTraffic())

    assert counts["kernels"]["triton kernel"] == 1
    assert counts["raster_launches"] == 2
    assert counts["launches"] == 3
