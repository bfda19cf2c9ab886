"""CLIPDraw's augmentations, batched: random perspective (white fill), then a random resized crop.

Each copy draws its own perspective and crop, like torchvision's RandomPerspective
(distortion_scale, p=1, fill=1) followed by RandomResizedCrop(size, scale, ratio), but
all copies come from one sampling grid and one `grid_sample` call. The random draws come
from a generator on the image's device (a CUDA generator on CUDA), so a step reads
nothing back and copies nothing to the device.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["augment", "augment_grid", "through_views", "letterbox", "plain_view"]


# CLIPDraw's settings: RandomPerspective(distortion_scale=0.5), RandomResizedCrop(scale=(0.7, 0.9)).
DISTORTION = 0.5
SCALE = (0.7, 0.9)
RATIO = (3 / 4, 4 / 3)


def letterbox(image: Tensor) -> Tensor:
    """Pad an image [..., 3, H, W] with white paper to a centred square [..., 3, S, S],
    S = max(H, W)."""
    h, w = image.shape[-2:]
    if h == w:
        return image
    s = max(h, w)
    top, left = (s - h) // 2, (s - w) // 2
    return F.pad(image - 1.0, (left, s - w - left, top, s - h - top)) + 1.0


def plain_view(square: Tensor, size: int) -> Tensor:
    """Square images [B, 3, S, S] unaugmented, as the model sees them: [B, 3, size, size]."""
    if square.shape[-1] == size:
        return square
    return F.interpolate(square, size=size, mode="bilinear", antialias=True)


def _homographies(src: Tensor, dst: Tensor) -> Tensor:
    """3x3 matrices [B, 3, 3] mapping points src [B, 4, 2] onto dst [B, 4, 2]."""
    x, y = src[..., 0], src[..., 1]
    u, v = dst[..., 0], dst[..., 1]
    zeros, ones = torch.zeros_like(x), torch.ones_like(x)
    rows_u = torch.stack([x, y, ones, zeros, zeros, zeros, -x * u, -y * u], dim=-1)
    rows_v = torch.stack([zeros, zeros, zeros, x, y, ones, -x * v, -y * v], dim=-1)
    a = torch.cat([rows_u, rows_v], dim=1)  # [B, 8, 8]
    b = torch.cat([u, v], dim=1)  # [B, 8]
    # solve_ex: no error check read back (four corners in general position always solve).
    h = torch.linalg.solve_ex(a, b[..., None])[0][..., 0]
    return torch.cat([h, torch.ones_like(h[:, :1])], dim=1).reshape(-1, 3, 3)


def _corners(height: int, width: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """An image's corners (px) [4, 2] clockwise from the top left, and the inward sign of
    each, built on `device` without a copy from the host."""
    corners = torch.zeros(4, 2, device=device)
    corners[1:3, 0] = width - 1.0
    corners[2:, 1] = height - 1.0
    sign = torch.ones(4, 2, device=device)
    sign[1:3, 0] = -1.0
    sign[2:, 1] = -1.0
    return corners, sign


def augment_grid(
    height: int,
    width: int,
    copies: int,
    size: int = 224,
    distortion: float = DISTORTION,
    scale: tuple[float, float] = SCALE,
    ratio: tuple[float, float] = RATIO,
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
) -> Tensor:
    """`copies` random views of a height x width image as `grid_sample` grids
    [copies, size, size, 2] on `device`; the random draws come from `generator`, which
    must live on `device` (None: the default generator)."""
    h, w, g, k = height, width, generator, copies
    device = torch.device(device)
    if g is not None and g.device.type != device.type:
        raise ValueError(f"the generator is on {g.device}, the views on {device}")
    # Perspective: each corner moves inwards by up to distortion * half the side (px).
    dx = torch.rand(k, 4, generator=g, device=device) * (int(distortion * (w // 2)) + 1)
    dy = torch.rand(k, 4, generator=g, device=device) * (int(distortion * (h // 2)) + 1)
    dx, dy = torch.floor(dx), torch.floor(dy)
    corners, sign = _corners(h, w, device)
    moved = corners + sign * torch.stack([dx, dy], dim=-1)
    # Output pixel -> input pixel: the moved corners sample the original corners.
    warp = _homographies(moved.double(), corners.expand(k, 4, 2).double())

    # Random resized crop of the warped image.
    area = h * w * (scale[0] + (scale[1] - scale[0]) * torch.rand(k, generator=g, device=device))
    log_r = math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * torch.rand(
        k, generator=g, device=device
    )
    aspect = torch.exp(log_r)
    cw = torch.sqrt(area * aspect).clamp(max=w)
    ch = torch.sqrt(area / aspect).clamp(max=h)
    cx = torch.rand(k, generator=g, device=device) * (w - cw)
    cy = torch.rand(k, generator=g, device=device) * (h - ch)

    warp = warp.float()
    t = (torch.arange(size, dtype=torch.float32, device=device) + 0.5) / size
    gx = cx[:, None, None] + t[None, None, :] * cw[:, None, None] - 0.5
    gy = cy[:, None, None] + t[None, :, None] * ch[:, None, None] - 0.5
    gx, gy = torch.broadcast_tensors(gx, gy)  # [k, size, size] px in the warped image
    pts = torch.stack([gx, gy, torch.ones_like(gx)], dim=-1) @ warp.transpose(1, 2)[:, None]
    src_x = pts[..., 0] / pts[..., 2]
    src_y = pts[..., 1] / pts[..., 2]
    return torch.stack([(src_x + 0.5) / w * 2 - 1, (src_y + 0.5) / h * 2 - 1], dim=-1)


def _sample(images: Tensor, grid: Tensor) -> Tensor:
    """images [B, 3, S, S] seen through grids [B, size, size, 2], white outside."""
    out = F.grid_sample(
        images - 1.0, grid.to(images.dtype), mode="bilinear", padding_mode="zeros",
        align_corners=False,
    )  # fmt: skip
    return out + 1.0


def augment(
    image: Tensor,
    copies: int,
    size: int = 224,
    distortion: float = DISTORTION,
    scale: tuple[float, float] = SCALE,
    ratio: tuple[float, float] = RATIO,
    generator: torch.Generator | None = None,
) -> Tensor:
    """`copies` augmented views [copies, 3, size, size] of a square RGB image [3, S, S] in
    [0, 1], or one view each of a batch [copies, 3, S, S] (training with the views CLIPDraw
    shows).

    Differentiable in the image; the random draws come from `generator`, on the image's
    device.
    """
    if image.dim() == 4 and image.shape[0] != copies:
        raise ValueError(f"a batch of {image.shape[0]} images needs copies={image.shape[0]}")
    h, w = image.shape[-2:]
    grid = augment_grid(
        h, w, copies, size, distortion, scale, ratio, generator=generator, device=image.device
    )
    batch = image if image.dim() == 4 else image.unsqueeze(0).expand(copies, -1, -1, -1)
    return _sample(batch, grid)


def through_views(images: Tensor, grid: Tensor) -> Tensor:
    """Every image [M, 3, S, S] through every view of `grid` [K, size, size, 2]
    (from `augment_grid`): [M, K, 3, size, size]. Compares images on the same views."""
    m, k = images.shape[0], grid.shape[0]
    batch = images[:, None].expand(-1, k, -1, -1, -1).reshape(m * k, *images.shape[1:])
    out = _sample(batch, grid[None].expand(m, -1, -1, -1, -1).reshape(m * k, *grid.shape[1:]))
    return out.view(m, k, *out.shape[1:])
