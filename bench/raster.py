"""Rasterizer benchmark: forward+backward ms of one render, Triton kernels and PyTorch; one JSON line.

Cases: a classic drawing's render (256 strokes of 1-3 segments as CLIPDraw starts them,
224x224, RGBA "over" compositing, the pair buffer and flattening a drawing uses) and 1024
such strokes 8 px wide on 512x512. For each path (`triton`: the fused kernels, used on
CUDA; `torch`: the PyTorch renderer, the CPU path and the reference): the median ms of
rasterize + backward after a warm-up (which compiles the kernels), the peak GPU memory,
and where both ran, the largest differences between their images and gradients (points,
widths, colours). Without a GPU only PyTorch runs, unless TRITON_INTERPRET=1 (slow: use
--quick). Run from the repository root: `python -m bench.raster [--device cuda|cpu]
[--repeats N] [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch
from dreamdraw.drawing import DrawSettings, rasterize
from dreamdraw.drawing.clipdraw import _Strokes
from dreamdraw.drawing.raster import PairBuffer, curvature_bound, samples_for_bound

__all__ = ["bench_case", "main"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _triton_why_not(device: torch.device) -> str | None:
    """Why the Triton path cannot run on `device` (None: it can)."""
    if device.type != "cuda" and not os.environ.get("TRITON_INTERPRET"):
        return "no GPU (set TRITON_INTERPRET=1 to run the kernels in the interpreter)"
    os.environ["DREAMDRAW_RASTER_KERNEL"] = "triton"
    from dreamdraw.drawing import triton_raster

    if not triton_raster.kernel_enabled(device):
        return "Triton is not importable"
    return None


def bench_case(
    strokes: int, size: int, device: torch.device, repeats: int, half_width: float | None = None
) -> dict:
    """Both paths on one set of strokes: ms, peak MB and their differences."""
    settings = DrawSettings(mode="classic", strokes=strokes, seed=0)
    params = _Strokes(settings, size, size, 1.0, torch.Generator().manual_seed(0), device)
    if half_width is not None:
        with torch.no_grad():
            params.half_widths.fill_(half_width)
    leaves = {"points": params.points, "widths": params.half_widths, "colors": params.colors}
    samples = samples_for_bound(float(curvature_bound(params.points)))
    weights = torch.rand(3, size, size, generator=torch.Generator().manual_seed(1)).to(device)
    result: dict = {"strokes": strokes, "canvas": [size, size], "samples": samples}
    outputs = {}
    for path in ("triton", "torch"):
        why = _triton_why_not(device) if path == "triton" else None
        if why:
            result[f"{path}_fwd_bwd_ms"] = None
            result[f"{path}_why_not"] = why
            continue
        os.environ["DREAMDRAW_RASTER_KERNEL"] = path
        buffer = PairBuffer()

        def step(buffer=buffer) -> torch.Tensor:
            for leaf in leaves.values():
                leaf.grad = None
            image = rasterize(
                params.batch(0.5), size, size, mode="over", samples=samples, buffer=buffer
            )
            image.backward(weights)
            return image

        image = step()  # compiles the kernels, sizes the pair buffer
        _sync(device)
        if path == "triton":
            from dreamdraw.drawing import triton_raster

            if triton_raster._broken:
                result["triton_fwd_bwd_ms"] = None
                result["triton_why_not"] = "the kernel failed (see the log): PyTorch ran"
                continue
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            image = step()
            _sync(device)
            times.append((time.perf_counter() - start) * 1000)
        result[f"{path}_fwd_bwd_ms"] = round(sorted(times)[len(times) // 2], 3)
        if device.type == "cuda":
            result[f"{path}_peak_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
        result["pairs"] = int(buffer.needed())
        outputs[path] = {"image": image.detach(), **{k: v.grad for k, v in leaves.items()}}
    if len(outputs) == 2:
        result["max_abs_diff"] = {
            k: float((outputs["triton"][k] - outputs["torch"][k]).abs().max())
            for k in outputs["torch"]
        }
        result["max_abs"] = {k: float(v.abs().max()) for k, v in outputs["torch"].items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=None, help="timed renders per path")
    parser.add_argument("--quick", action="store_true", help="small cases (dry runs)")
    args = parser.parse_args()
    device = torch.device(args.device)
    repeats = args.repeats or (50 if device.type == "cuda" else 3)
    small, large = ((32, 64), (128, 128)) if args.quick else ((256, 224), (1024, 512))
    result = {
        "benchmark": "raster",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        f"{small[0]}_strokes_{small[1]}px": bench_case(*small, device, repeats),
        f"{large[0]}_strokes_{large[1]}px": bench_case(*large, device, repeats, half_width=4.0),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
