"""The Triton rasterizer against the PyTorch reference, on the CPU.

The kernels run in Triton's interpreter (TRITON_INTERPRET=1 must be set before Triton is
imported, so that comparison runs in a fresh interpreter); the interpreter does not check
types as the compiler does, so the kernels are also compiled for a CUDA GPU (sm_90, down
to machine code by ptxas), which needs no GPU. The fallbacks run in fresh interpreters
too: a kernel that cannot launch, and no Triton at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

triton = pytest.importorskip("triton")

ROOT = Path(__file__).resolve().parents[2]

# Largest differences allowed: images (values in [0, 1]) and each gradient relative to
# its largest entry. Measured: about 2e-7 and 1e-7 (float32 rounding, sums in other orders).
IMAGE_ATOL = 1e-5
GRAD_RTOL = 1e-5

_INTERPRETED = textwrap.dedent(
    """
    import json, os, time
    import torch
    from dreamdraw.drawing import triton_raster
    from dreamdraw.drawing.raster import (
        PairBuffer, StrokeBatch, _nearest_piece, _tiles, flatten_bezier, rasterize
    )
    from tests.drawing.test_raster import random_strokes

    result = {}
    # The nearest-piece kernel (ink_layers on CUDA) returns the reference's indices.
    strokes = random_strokes(6, 24, seed=7)
    a, b, valid = flatten_bezier(strokes.points, strokes.segments, 5)
    stroke = torch.tensor([0, 0, 1, 3, 5, 5, 2])
    tx = torch.tensor([0, 1, 2, 3, 4, 5, 1])
    ty = torch.tensor([1, 0, 2, 5, 3, 0, 4])
    offs = torch.arange(4, dtype=a.dtype) + 0.5
    grid = torch.stack(torch.meshgrid(offs, offs, indexing="xy"), -1).reshape(-1, 2)
    pixels = torch.stack([tx, ty], -1).to(a.dtype)[:, None] * 4 + grid
    got = triton_raster.nearest_piece(a, b, valid, stroke, tx, ty, 4)
    result["nearest_equal"] = got is not None and torch.equal(
        got, _nearest_piece(pixels, a, b, valid, stroke)
    )

    # Opaque wide strokes across the canvas' last row and column of tiles, which reach past
    # its edge: 8 layers of alpha 1 - 1e-6 there.
    g = torch.Generator().manual_seed(5)
    start = torch.tensor([[20.0, 29.0]]) + torch.rand(8, 2, generator=g)
    steps = torch.tensor([[0.0, 0.0], [3.0, -1.0], [6.0, 0.5], [9.0, -0.5]])
    edge = StrokeBatch(
        start[:, None] + steps, torch.ones(8, dtype=torch.long), torch.full((8,), 12.0),
        torch.cat([torch.rand(8, 3, generator=g), torch.ones(8, 1)], 1),
    )

    # Whole renders, as a drawing step on CUDA makes them: float32, a pair buffer with
    # padding, a canvas that ends inside a row of tiles; weighted loss over all channels.
    cases = {
        "ink": (random_strokes(8, 32, seed=8, dtype=torch.float32), 30, 32),
        "over": (random_strokes(8, 32, seed=8, dtype=torch.float32, rgba=True), 30, 32),
        "over_edge": (edge, 30, 30),
    }
    for case, (base, height, width) in cases.items():
        mode = case.split("_")[0]
        weights = torch.rand(3, height, width, generator=torch.Generator().manual_seed(1)) - 0.5
        out = {}
        for kernel in ("torch", "triton"):
            os.environ["DREAMDRAW_RASTER_KERNEL"] = kernel
            buffer = PairBuffer()
            p, w, c = (v.clone().requires_grad_(True) for v in (base.points, base.widths, base.colors))
            start = time.process_time()
            image = rasterize(
                StrokeBatch(p, base.segments, w, c), height, width, mode=mode, samples=5,
                buffer=buffer,
            )
            (image * weights).sum().backward()
            seconds = time.process_time() - start
            out[kernel] = {"image": image.detach(), "points": p.grad, "widths": w.grad,
                           "colors": c.grad}
        tiles = _tiles(base, height, width, 5, 4, True, PairBuffer(buffer.capacity))
        result[case] = {
            "kernel_cpu_s": round(seconds, 2),
            "pairs": int(tiles.live.sum()),
            "padding": int((~tiles.live).sum()),
            "max_abs_diff": {k: float((out["torch"][k] - out["triton"][k]).abs().max())
                             for k in out["torch"]},
            "max_abs": {k: float(out["torch"][k].abs().max()) for k in out["torch"]},
        }
    result["broken"] = triton_raster._broken
    print(json.dumps(result))
    """
)


def _run(script: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**environ, **env},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def interpreted() -> dict:
    done = _run(_INTERPRETED, TRITON_INTERPRET="1", DREAMDRAW_RASTER_KERNEL="triton")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result["broken"]
    print(json.dumps(result))  # the measured differences, with -s
    return result


def test_the_nearest_piece_kernel_finds_the_reference_pieces(interpreted):
    assert interpreted["nearest_equal"]


@pytest.mark.parametrize("name", ["ink", "over", "over_edge"])
def test_the_kernel_renders_the_reference_image(interpreted, name):
    case = interpreted[name]
    assert case["pairs"] > 50 and case["padding"] > 0  # real work, and padding to skip
    assert case["max_abs_diff"]["image"] <= IMAGE_ATOL


@pytest.mark.parametrize("name", ["ink", "over", "over_edge"])
def test_the_kernel_gives_the_reference_gradients(interpreted, name):
    case = interpreted[name]
    for name in ("points", "widths", "colors"):
        assert case["max_abs"][name] > 0.1, name  # the loss reaches every parameter
        assert case["max_abs_diff"][name] <= GRAD_RTOL * case["max_abs"][name], name


def test_the_kernels_compile_for_a_cuda_gpu_without_one():
    from dreamdraw.drawing import triton_raster
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    if os.environ.get("TRITON_INTERPRET"):
        pytest.skip("TRITON_INTERPRET is set: the kernels were made for the interpreter")
    # Argument types as the wrappers pass them; every other argument is a float32 pointer.
    ints = {"stroke_ptr": "*i64", "tx_ptr": "*i64", "ty_ptr": "*i64", "out_ptr": "*i64",
            "first_ptr": "*i32", "nearest_ptr": "*i32", "pieces": "i32", "colors": "i32",
            "height": "i32", "width": "i32", "tiles_x": "i32"}  # fmt: skip
    kernels = [(triton_raster._nearest_kernel, {})]
    for over in (False, True):
        kernels += [(triton_raster._render_forward, {"OVER": over}),
                    (triton_raster._render_backward, {"OVER": over})]  # fmt: skip
    for kernel, chosen in kernels:
        constants = {"TILE": 4, "PIX": 16, "MB": 64, "EPS": 1e-12, "CAP": 1 - 1e-6, **chosen}
        constants = {k: v for k, v in constants.items() if k in kernel.arg_names}
        signature = {
            name: "constexpr" if name in constants else ints.get(name, "*fp32")
            for name in kernel.arg_names
        }
        source = ASTSource(kernel, signature, constants)
        compiled = triton.compile(source, target=GPUTarget("cuda", 90, 32))
        assert compiled.asm["cubin"], kernel.__name__


_CANNOT_LAUNCH = textwrap.dedent(
    """
    import logging, os
    import torch
    logging.basicConfig(level=logging.WARNING, format="LOG %(name)s: %(message)s")
    from dreamdraw.drawing.raster import rasterize
    from tests.drawing.test_raster import random_strokes

    strokes = random_strokes(8, 32, seed=8, dtype=torch.float32, rgba=True)
    images = [rasterize(strokes, 32, 32, mode="over", samples=5) for _ in range(2)]
    os.environ["DREAMDRAW_RASTER_KERNEL"] = "torch"
    reference = rasterize(strokes, 32, 32, mode="over", samples=5)
    print(all(torch.equal(image, reference) for image in images))
    """
)


def test_a_kernel_that_cannot_launch_leaves_the_render_to_pytorch_and_says_so_once():
    # Without the interpreter, Triton finds no GPU to launch on (or CPU tensors on one).
    done = _run(_CANNOT_LAUNCH, DREAMDRAW_RASTER_KERNEL="triton")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "True"
    said = [line for line in done.stderr.splitlines() if line.startswith("LOG")]
    assert len(said) == 1 and "kernel failed" in said[0] and "using PyTorch" in said[0]


def test_without_triton_the_rasterizer_says_so_once_and_runs_in_pytorch():
    script = "import sys; sys.modules['triton'] = None  # as if it were not installed\n"
    done = _run(script + _CANNOT_LAUNCH, DREAMDRAW_RASTER_KERNEL="triton")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "True"
    said = [line for line in done.stderr.splitlines() if line.startswith("LOG")]
    assert len(said) == 1 and "Triton is not importable" in said[0], said
