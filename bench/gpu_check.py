"""Every GPU figure the issues ask for, in one run; prints one JSON line.

Runs bench.drawing, bench.raster, bench.analysis (FIXLIP at 2^15 and 2^17 coalitions, the
surgery table) and bench.speech (Whisper base on the 11 s dream) as child processes, each
with a time limit, and gathers: classic and plotter ms per iteration and seconds per
1000-iteration drawing, with the CLIP step captured in a CUDA graph and eagerly (`*_eager`;
`clip_graph` says whether the capture took), peak GPU memory, rasterizer forward+backward
ms (256 strokes 224^2, 1024 strokes 512^2) with the Triton kernels and with PyTorch, and
how far apart their images and gradients are, FIXLIP seconds, surgery table seconds and
Whisper decode seconds. A part that fails or runs out of time gives null and its reason
under "errors"; the others still report. `--device cpu` is a dry run with small sizes.
Started by bench/gpu_check.sh; `python -m bench.gpu_check [--device cuda|cpu] [--budget-s 450]`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

__all__ = ["main", "run_part"]


def run_part(args: list[str], limit_s: float) -> tuple[dict | None, str | None]:
    """Run `python -m <args>` for at most limit_s seconds: (its JSON line, None) or
    (None, why it gave none)."""
    if limit_s < 5:
        return None, "no time left"
    try:
        done = subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, timeout=limit_s
        )
    except subprocess.TimeoutExpired:
        return None, f"over its {limit_s:.0f} s"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"exit {done.returncode}: {tail[:300]}"
    return json.loads(lines[-1]), None


def _get(data: dict | None, *path):
    for key in path:
        if data is None:
            return None
        data = data[key] if isinstance(data, list) else data.get(key)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--budget-s", type=float, default=450.0, help="all parts together")
    args = parser.parse_args()
    gpu = args.device != "cpu"
    deadline = time.monotonic() + args.budget_s
    errors: dict[str, str] = {}

    def part(name: str, argv: list[str], share: float) -> dict | None:
        left = deadline - time.monotonic()
        result, why = run_part(argv, min(left, share * args.budget_s) if gpu else left)
        if why:
            errors[name] = why
        return result

    # The dry run: 2 iterations of 32 strokes (bench.drawing --quick).
    sizes = ["--iterations", "100", "--repeats", "20"]
    sizes = sizes if gpu else ["--iterations", "2", "--repeats", "1", "--quick"]
    drawing = part("drawing", ["bench.drawing", "--device", args.device, *sizes], 0.34)
    raster = part(
        "raster",
        ["bench.raster", "--device", args.device] + ([] if gpu else ["--quick", "--repeats", "1"]),
        0.06,
    )
    quick = [] if gpu else ["--quick", "--images", "2"]
    fixlip_15 = part(
        "fixlip_2^15",
        ["bench.analysis", "--device", args.device, "--budget", str(2**15), "--skip-surgery"]
        if gpu
        else ["bench.analysis", "--device", args.device, *quick, "--skip-surgery"],
        0.15,
    )
    analysis = part(
        "analysis",
        ["bench.analysis", "--device", args.device, "--budget", str(2**17)]
        if gpu
        else ["bench.analysis", "--device", args.device, *quick],
        0.25,
    )
    speech = part(
        "speech",
        ["bench.speech", "--model", "faster-whisper:base", "--device", args.device,
         "--runs", "3", "--chatter-runs", "0", "--determinism-runs", "0",
         "--dreams", "long_train.wav", "--noise", "white"],
        0.2,
    )  # fmt: skip

    # bench.raster's cases (--quick: the small ones)
    small, large = ("256_strokes_224px", "1024_strokes_512px")
    if not gpu:
        small, large = ("32_strokes_64px", "128_strokes_128px")

    def per_1000(mode: str) -> float | None:
        ms = _get(drawing, mode, "iteration_ms")
        return None if ms is None else round(ms, 2)  # ms per iteration = s per 1000

    result = {
        "benchmark": "gpu_check",
        "device": _get(drawing, "device") or args.device,
        "torch": _get(drawing, "torch"),
        "classic_ms_per_iteration": _get(drawing, "classic", "iteration_ms"),
        "classic_s_per_1000": per_1000("classic"),
        "plotter_ms_per_iteration": _get(drawing, "plotter", "iteration_ms"),
        "plotter_s_per_1000": per_1000("plotter"),
        "classic_ms_per_iteration_eager": _get(drawing, "classic", "iteration_ms_eager"),
        "plotter_ms_per_iteration_eager": _get(drawing, "plotter", "iteration_ms_eager"),
        "clip_step_ms": _get(drawing, "classic", "clip_fwd_bwd_ms"),
        "clip_step_ms_eager": _get(drawing, "classic", "clip_fwd_bwd_ms_eager"),
        "clip_graph": _get(drawing, "classic", "clip_graph"),
        "clip_graph_why_not": _get(drawing, "classic", "clip_graph_why_not"),
        "drawing_peak_mb": max(
            (_get(drawing, m, "peak_mb") or 0.0 for m in ("classic", "plotter")), default=None
        ),
        "raster_256_strokes_224px_ms": _get(raster, small, "triton_fwd_bwd_ms"),
        "raster_1024_strokes_512px_ms": _get(raster, large, "triton_fwd_bwd_ms"),
        "raster_256_strokes_224px_torch_ms": _get(raster, small, "torch_fwd_bwd_ms"),
        "raster_1024_strokes_512px_torch_ms": _get(raster, large, "torch_fwd_bwd_ms"),
        "raster_triton_why_not": _get(raster, small, "triton_why_not"),
        "raster_triton_vs_torch_max_abs_diff": _get(raster, small, "max_abs_diff"),
        "fixlip_2^15_s": _get(fixlip_15, "fixlip", "seconds"),
        "fixlip_2^17_s": _get(analysis, "fixlip", "seconds"),
        "fixlip_coalitions": [_get(fixlip_15, "fixlip", "coalitions"),
                              _get(analysis, "fixlip", "coalitions")],
        "surgery_table_s": _get(analysis, "surgery_table", "seconds"),
        "whisper_base_decode_s": _get(speech, "results", 0, "latency", "decode_s"),
        "dream_s": _get(speech, "results", 0, "latency", "dream_s"),
        "errors": errors,
    }  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
