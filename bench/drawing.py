"""Drawing benchmark: ms per CLIPDraw iteration (rasterizer, CLIP, total) and peak memory; one JSON line.

Cases: (a) classic: ViT-B-32 with random weights, 256 strokes, 224x224, 4 augmentations;
(b) plotter: A4 landscape, 256 strokes, 3 pens, and the time to prune its 256 strokes
(random ones: the worst case, many candidates help); plus the rasterizer alone at 1024 strokes
on a 512x512 canvas (memory bound). Run from the repository root:
`python -m bench.drawing [--device cpu|cuda] [--no-capture]`. On CUDA the CLIP step is
captured in a CUDA graph (`clip_fwd_bwd_ms`, `iteration_ms`) and also timed eagerly
(`clip_fwd_bwd_ms_eager`, `iteration_ms_eager`); `--no-capture` runs every step eagerly.

`--profile` instead counts, per iteration of both cases, from the CPU profiler so it runs
anywhere: aten ops, kernel-level ops (leaf ops that are not views), the CUDA kernel
launches they imply (scans, sorts and solvers launch several; autocast casts only show
in a CUDA run), and the points where a CUDA run blocks the host: ops that read a size
back (nonzero, unique*, masked_select, repeat_interleave without output_size, an item()
inside an op) and Python reads or copies between host and device (float(), .item(),
.tolist(), .cpu(), .to(device), torch.tensor(..., device=)). A CPU `.to(device)` of a
tensor already there still counts: on CUDA it would be a copy. Adam runs fused, as on
CUDA. Launches are given twice: eager (every kernel-level op), and with the CLIP step (the
ops inside the profiler range clipdraw.CLIP_STEP_RANGE: the views, CLIP's forward, the
loss and the backward to the rendered image) counted as the one CUDA graph replay it is on
CUDA; the profile itself runs the step eagerly, so without a GPU the captured figure is a
projection. The rasterizer is counted on its PyTorch path (`raster_torch_launches_est`,
forward and backward); CUDA runs Triton kernels instead.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import platform
import resource
import sys
import time

import torch
from dreamdraw.drawing import (
    DEFAULT_PENS,
    DrawSettings,
    augment,
    clipdraw,
    draw,
    letterbox,
    load_clip,
    rasterize,
)
from dreamdraw.drawing.clipdraw import (
    CLIP_STEP_RANGE,
    RASTER_RANGE,
    ViewLoss,
    _Strokes,
    canvas_for,
)
from dreamdraw.drawing.prune import prune_strokes
from dreamdraw.drawing.raster import KERNEL_RANGE
from torch.overrides import TorchFunctionMode
from torch.profiler import ProfilerActivity, profile


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device: torch.device, repeats: int) -> float:
    """Median ms of fn() over repeats, after one warm-up call."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_case(
    settings: DrawSettings, clip, device: torch.device, repeats: int, iterations: int
) -> dict:
    paper, width, height = canvas_for(settings)
    mm_per_px = paper.width_mm / width
    params = _Strokes(settings, width, height, mm_per_px, torch.Generator().manual_seed(0), device)
    mode = "over" if settings.mode == "classic" else "ink"
    text = clip.encode_text(["a whale flying over a sleeping city"])

    def raster_step():
        image = rasterize(params.batch(0.5), height, width, mode=mode)
        image.sum().backward()

    image = rasterize(params.batch(0.5), height, width, mode=mode).detach().requires_grad_(True)
    gen = torch.Generator(device=device).manual_seed(0)

    def views_of(leaf: torch.Tensor) -> torch.Tensor:
        return augment(letterbox(leaf), settings.augmentations, clip.image_size, generator=gen)

    def clip_step(view_loss: ViewLoss) -> None:
        image.backward(view_loss(image)[1])

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    raster_ms = _timed(raster_step, device, repeats)
    capture = clipdraw.CAPTURE_CLIP_ON_CUDA and device.type == "cuda"
    clip_ms = {}
    for captured in [True, False] if capture else [False]:
        view_loss = ViewLoss(clip, text[0], None, views_of, gen, capture=captured)
        clip_ms[captured] = _timed(lambda v=view_loss: clip_step(v), device, repeats)
    # The per-iteration figure leaves out plotter mode's pruning, timed on its own below.
    run = dataclasses.replace(
        settings, iterations=iterations, progress_every=iterations, prune=False
    )
    draw("warm up", dataclasses.replace(run, iterations=2), clip=clip)
    _sync(device)
    start = time.perf_counter()
    drawn = draw("a whale flying over a sleeping city", run, clip=clip)
    _sync(device)
    total_ms = (time.perf_counter() - start) * 1000 / iterations
    eager_ms = total_ms
    if capture:
        clipdraw.CAPTURE_CLIP_ON_CUDA = False
        try:
            start = time.perf_counter()
            draw("a whale flying over a sleeping city", run, clip=clip)
            _sync(device)
            eager_ms = (time.perf_counter() - start) * 1000 / iterations
        finally:
            clipdraw.CAPTURE_CLIP_ON_CUDA = True
    pruning = {}
    if settings.mode == "plotter":
        with torch.no_grad():
            batch = params.batch(1.0, snapped=True)
        _sync(device)
        start = time.perf_counter()
        keep = prune_strokes(batch, height, width, clip, text[0])
        _sync(device)
        pruning = {
            "prune_s": round(time.perf_counter() - start, 2),
            "prune_kept": f"{int(keep.sum())}/{len(keep)}",
        }
    return {
        **pruning,
        "raster_fwd_bwd_ms": round(raster_ms, 2),
        "clip_fwd_bwd_ms": round(clip_ms[capture], 2),
        "clip_fwd_bwd_ms_eager": round(clip_ms[False], 2),
        "clip_graph": drawn.settings.get("clip_graph", False),
        "clip_graph_why_not": drawn.settings.get("clip_graph_why_not"),
        "iteration_ms": round(total_ms, 2),
        "iteration_ms_eager": round(eager_ms, 2),
        "est_1000_iterations_s": round(total_ms, 2),
        "canvas": [width, height],
        "peak_mb": round(_peak_mb(device), 1),
    }


# Ops that only describe a tensor (no kernel on any device).
_METADATA_OPS = frozenset(
    "aten::" + name
    for name in [
        "view",
        "as_strided",
        "reshape",
        "_reshape_alias",
        "expand",
        "expand_as",
        "unsqueeze",
        "squeeze",
        "permute",
        "t",
        "transpose",
        "select",
        "slice",
        "alias",
        "detach",
        "detach_",
        "empty",
        "empty_strided",
        "empty_like",
        "resize_",
        "set_",
        "_unsafe_view",
        "lift_fresh",
        "numpy_T",
        "unflatten",
        "flatten",
        "split",
        "chunk",
        "unbind",
        "narrow",
        "view_as",
        "real",
        "imag",
        "_has_compatible_shallow_copy_type",
        "result_type",
        "broadcast_tensors",
        "movedim",
        "contiguous",
        "to",
        "item",
        "is_nonzero",
        "_local_scalar_dense",
        "size",
        "stride",
        "requires_grad_",
        "retain_grad",
        "zero_",
        "resolve_conj",
        "resolve_neg",
        "lift",
        "meshgrid",
    ]
)
# Kernels a CUDA op launches beyond one (CUB scans and sorts, cuSOLVER, nonzero, unique).
_EXTRA_LAUNCHES = {
    "aten::sort": 3,
    "aten::argsort": 3,
    "aten::cumsum": 1,
    "aten::nonzero": 2,
    "aten::unique_consecutive": 4,
    "aten::_unique2": 5,
    "aten::linalg_solve_ex": 4,
    "aten::_linalg_solve_ex": 4,
    "aten::topk": 1,
    "aten::index_add": 1,
}
# Ops whose result size the host must read back (a blocking device-to-host copy).
_SYNC_OPS = frozenset(
    "aten::" + name
    for name in [
        "nonzero",
        "unique",
        "unique_consecutive",
        "_unique",
        "_unique2",
        "unique_dim",
        "masked_select",
        "_local_scalar_dense",
    ]
)
# Python-level reads of device values and copies to the device.
_HOST_READS = frozenset(
    ["__float__", "__int__", "__bool__", "__index__", "item", "tolist", "cpu", "numpy"]
)
_HOST_WRITES = frozenset(["cuda", "tensor", "as_tensor"])


class _HostTraffic(TorchFunctionMode):
    """Counts the Python calls that move data between host and device (syncs on CUDA)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: collections.Counter[str] = collections.Counter()
        self.writes: collections.Counter[str] = collections.Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        if name in _HOST_READS:
            # torch.optim keeps Adam's step counters on the host (no sync to read them).
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith("torch.optim"):
                self.reads[name] += 1
        elif name in _HOST_WRITES and (name != "tensor" or kwargs.get("device") is not None):
            self.writes[name] += 1
        elif name == "to" and (
            "device" in kwargs or any(isinstance(a, (str, torch.device)) for a in args[1:])
        ):
            self.writes["to(device)"] += 1
        return func(*args, **kwargs)


def _is_sync(event) -> str | None:
    """Why a profiled aten op blocks the host on CUDA, or None."""
    if event.name == "aten::repeat_interleave":
        # Only the repeats-tensor overload (two inputs) reads its output size, unless given.
        shapes, inputs = event.input_shapes or [], list(event.concrete_inputs or [])
        return "repeat_interleave" if len(shapes) == 2 and inputs[1:2] == [None] else None
    return event.name.removeprefix("aten::") if event.name in _SYNC_OPS else None


def _range_of(event) -> str | None:
    """The drawing step's profiler range an event runs in (CLIP step, rasterizer), or None."""
    while event is not None:
        if event.name in (CLIP_STEP_RANGE, RASTER_RANGE):
            return event.name
        event = event.cpu_parent
    return None


def _in_kernel(event) -> bool:
    """Whether an op runs inside a Triton kernel launch (the interpreter's own work)."""
    event = event.cpu_parent
    while event is not None and event.name != KERNEL_RANGE:
        event = event.cpu_parent
    return event is not None


def _count_profile(events, traffic: _HostTraffic) -> dict:
    """Kernel-level ops, implied CUDA launches (all, and those inside CLIP steps and the
    rasterizer) and syncs from profiler events. A Triton kernel launch (the range
    KERNEL_RANGE) is one launch, whatever the interpreter runs inside it."""
    children: dict[int, int] = collections.Counter()
    for e in events:
        if e.cpu_parent is not None and e.name not in _METADATA_OPS:
            children[e.cpu_parent.id] += 1  # an op whose work is all in its children
    kernels: collections.Counter[str] = collections.Counter()
    in_range: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    syncs: collections.Counter[str] = collections.Counter()
    aten = clip_steps = 0
    for e in events:
        clip_steps += e.name == CLIP_STEP_RANGE
        if e.name == KERNEL_RANGE:
            kernels["triton kernel"] += 1
            if (where := _range_of(e)) is not None:
                in_range[where]["triton kernel"] += 1
        if not e.name.startswith("aten::") or _in_kernel(e):
            continue
        aten += 1
        # A sync inside another (or inside a Python item(), counted by _HostTraffic) is one.
        nested, parent = False, e.cpu_parent
        while parent is not None and not nested:
            nested = bool(_is_sync(parent)) or parent.name == "aten::item"
            parent = parent.cpu_parent
        why = _is_sync(e)
        if why and not nested:
            syncs[why] += 1
        if children[e.id] == 0 and e.name not in _METADATA_OPS:
            kernels[e.name] += 1
            if (where := _range_of(e)) is not None:
                in_range[where][e.name] += 1

    def launches(ops: collections.Counter[str]) -> int:
        return sum(n * (1 + _EXTRA_LAUNCHES.get(k, 0)) for k, n in ops.items())

    for name, n in traffic.reads.items():
        syncs[f"host read {name}"] += n
    for name, n in traffic.writes.items():
        syncs[f"host copy {name}"] += n
    return {
        "aten_ops": aten,
        "kernel_ops": sum(kernels.values()),
        "launches": launches(kernels),
        "clip_launches": launches(in_range[CLIP_STEP_RANGE]),
        "raster_launches": launches(in_range[RASTER_RANGE]),
        "clip_steps": clip_steps,
        "syncs": sum(syncs.values()),
        "sync_points": dict(syncs),
        "kernels": kernels,
    }


def _draw_counts(
    settings: DrawSettings, clip, iterations: int, timed: bool = True
) -> tuple[dict, float]:
    """Profiled counts of one draw of `iterations` iterations, and its unprofiled seconds
    (`timed`: from a draw before, else 0)."""
    run = dataclasses.replace(settings, iterations=iterations, prune=False)
    seconds = 0.0
    if timed:
        start = time.perf_counter()
        draw("a whale flying over a sleeping city", run, clip=clip)
        _sync(clip.device)
        seconds = time.perf_counter() - start
    traffic = _HostTraffic()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof, traffic:
        draw("a whale flying over a sleeping city", run, clip=clip)
    return _count_profile(prof.events(), traffic), seconds


def profile_case(settings: DrawSettings, clip, triton: bool = True) -> dict:
    """Per-iteration ops, implied CUDA launches and host syncs of a drawing step.

    Two draws differ by `progress_every` iterations (2 and 2 + progress_every); their
    difference is one progress period, so set-up and the final score cancel out. The steps
    run eagerly (on CUDA too, so CLIP's ops are seen); with capture on, the captured figure
    counts each CLIP step as one launch, its graph replay. `triton`: also the rasterizer on
    its Triton path (the CUDA path), from the two paths' difference in a first step
    (`raster_triton_first_step`) added to the PyTorch path's figure per iteration.
    """
    capture = clipdraw.CAPTURE_CLIP_ON_CUDA
    clipdraw.PAIR_BUFFER_ON_CPU = clipdraw.FUSED_ADAM_ON_CPU = True  # the step CUDA runs
    clipdraw.CAPTURE_CLIP_ON_CUDA = False
    try:
        draw("warm up", dataclasses.replace(settings, iterations=1, prune=False), clip=clip)
        period = max(1, settings.progress_every)
        short, short_s = _draw_counts(settings, clip, 2)
        long, long_s = _draw_counts(settings, clip, 2 + period)
        first = raster_triton_first_step(settings, clip) if triton else None
    finally:
        clipdraw.CAPTURE_CLIP_ON_CUDA = capture

    def per(key: str) -> float:
        return round((long[key] - short[key]) / period, 2)

    captured = per("launches") - per("clip_launches") + per("clip_steps")
    raster_triton = None
    if first is not None and first["triton_kernels"]:
        raster_triton = per("raster_launches") + first["triton"] - first["torch"]

    points = collections.Counter(long["sync_points"])
    points.subtract(short["sync_points"])
    kernels = collections.Counter(long["kernels"])
    kernels.subtract(short["kernels"])
    return {
        "aten_ops": per("aten_ops"),
        "kernel_ops": per("kernel_ops"),
        "cuda_launches_est": per("launches"),
        "cuda_launches_captured_est": round(captured, 2) if capture else None,
        "clip_step_launches_est": per("clip_launches"),
        "raster_torch_launches_est": per("raster_launches"),
        "raster_triton_launches_est": None if raster_triton is None else round(raster_triton, 2),
        "cuda_launches_captured_triton_est": None
        if raster_triton is None or not capture
        else round(captured - per("raster_launches") + raster_triton, 2),
        "raster_first_step_launches": first,
        "syncs": per("syncs"),
        "sync_points": {k: round(v / period, 2) for k, v in sorted(points.items()) if v},
        "top_kernels": {k: round(v / period, 1) for k, v in kernels.most_common(12)},
        "iteration_ms": round((long_s - short_s) * 1000 / period, 1),
        "progress_every": period,
    }


def raster_triton_first_step(settings: DrawSettings, clip) -> dict:
    """Launches inside the rasterizer's range in a drawing's first step, on its Triton path
    (each kernel launch one) and on its PyTorch path; on the CPU the kernels run in
    Triton's interpreter (TRITON_INTERPRET=1 set before Triton's import), which takes
    minutes a step at 256 strokes 224^2, so one step is counted, not a period."""
    chosen = os.environ.get("DREAMDRAW_RASTER_KERNEL")
    first = {}
    try:
        for path in ("torch", "triton"):
            os.environ["DREAMDRAW_RASTER_KERNEL"] = path
            first[path] = _draw_counts(settings, clip, 1, timed=False)[0]
    finally:
        if chosen is None:
            del os.environ["DREAMDRAW_RASTER_KERNEL"]
        else:
            os.environ["DREAMDRAW_RASTER_KERNEL"] = chosen
    triton_kernels = first["triton"]["kernels"]["triton kernel"]
    return {
        "torch": first["torch"]["raster_launches"],
        "triton": first["triton"]["raster_launches"],
        "triton_kernels": triton_kernels,
    }


def bench_memory(device: torch.device, strokes: int = 1024, size: int = 512) -> dict:
    settings = DrawSettings(mode="classic", strokes=strokes, seed=0)
    params = _Strokes(settings, size, size, 1.0, torch.Generator().manual_seed(0), device)
    with torch.no_grad():
        params.half_widths.fill_(4.0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    image = rasterize(params.batch(1.0), size, size, mode="over")
    image.sum().backward()
    _sync(device)
    return {
        "strokes": strokes,
        "canvas": [size, size],
        "fwd_bwd_ms": round((time.perf_counter() - start) * 1000, 1),
        "peak_mb": round(_peak_mb(device), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per component")
    parser.add_argument(
        "--iterations", type=int, default=None, help="iterations of the end-to-end run"
    )
    parser.add_argument("--clip", default="ViT-B-32:random", help="CLIP for both cases")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small cases for CPU dry runs: 32 strokes, the rasterizer alone at 128 strokes 128^2",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only the per-iteration op, launch and sync counts (CPU profiler), for both modes",
    )
    parser.add_argument(
        "--no-triton",
        action="store_true",
        help="--profile: leave out the rasterizer's Triton path (interpreted on the CPU: minutes)",
    )
    parser.add_argument(
        "--no-capture",
        action="store_true",
        help="run CLIP's step eagerly on CUDA too (no CUDA graph)",
    )
    args = parser.parse_args()
    clipdraw.CAPTURE_CLIP_ON_CUDA = not args.no_capture
    device = torch.device(args.device)
    if args.profile and device.type != "cuda":
        # Before Triton's import (on the first render on its path): the kernels run in
        # Triton's interpreter, whose own ops the profile leaves out.
        os.environ.setdefault("TRITON_INTERPRET", "1")
    on_gpu = device.type == "cuda"
    repeats = args.repeats or (50 if on_gpu else 3)
    iterations = args.iterations or (100 if on_gpu else 3)
    clip = load_clip(args.clip, device=device)
    strokes, alone = (32, (128, 128)) if args.quick else (256, (1024, 512))
    classic = DrawSettings(mode="classic", strokes=strokes, augmentations=4, seed=0, clip=args.clip)
    plotter = DrawSettings(
        mode="plotter",
        strokes=strokes,
        augmentations=4,
        seed=0,
        paper="A4",
        clip=args.clip,
        pens=list(DEFAULT_PENS),
    )
    if args.profile:
        print(
            json.dumps(
                {
                    "benchmark": "drawing_profile",
                    "device": str(device),
                    "torch": torch.__version__,
                    "clip": args.clip,
                    "launches": "cuda_launches_est: every kernel-level op launched eagerly; "
                    "cuda_launches_captured_est: CLIP's step (clip_step_launches_est) as one "
                    "CUDA graph replay; both count the rasterizer on its PyTorch path "
                    "(raster_torch_launches_est); cuda_launches_captured_triton_est: the CUDA "
                    "path, CLIP's step as one replay and the rasterizer on its Triton kernels "
                    "(raster_triton_launches_est: each launch one, run in Triton's interpreter "
                    "on the CPU; the paths' difference in a first step, "
                    "raster_first_step_launches, added to the PyTorch path's figure)"
                    + ("; projected, no GPU" if not on_gpu else "")
                    + ("; off (--no-capture)" if args.no_capture else ""),
                    "classic": profile_case(classic, clip, not args.no_triton),
                    "plotter": profile_case(plotter, clip, not args.no_triton),
                }
            )
        )
        return
    result = {
        "benchmark": "drawing",
        "device": torch.cuda.get_device_name(device)
        if on_gpu
        else f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
        "torch": torch.__version__,
        "clip": args.clip,
        "classic": bench_case(classic, clip, device, repeats, iterations),
        "plotter": bench_case(plotter, clip, device, repeats, iterations),
        f"raster_{alone[0]}_strokes_{alone[1]}px": bench_memory(device, *alone),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
