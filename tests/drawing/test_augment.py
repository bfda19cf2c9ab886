"""CLIPDraw's augmentations: perspective with white fill, random resized crop, batched."""

from __future__ import annotations

import pytest
import torch
from dreamdraw.drawing import augment, letterbox


def test_no_distortion_full_crop_is_the_identity():
    image = torch.rand(3, 32, 32)
    out = augment(image, 2, size=32, distortion=0.0, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    assert out.shape == (2, 3, 32, 32)
    assert torch.allclose(out, image.expand(2, -1, -1, -1), atol=1e-5)


def test_perspective_fills_uncovered_corners_with_white_paper():
    black = torch.zeros(3, 64, 64)
    out = augment(black, 8, size=64, generator=torch.Generator().manual_seed(1), scale=(0.9, 0.9))
    assert out.shape == (8, 3, 64, 64)
    assert float(out[:, :, 28:36, 28:36].max()) < 1e-4  # the middle stays ink
    corners = torch.stack([out[:, :, 0, 0], out[:, :, 0, -1], out[:, :, -1, 0], out[:, :, -1, -1]])
    assert float(corners.max()) > 0.9  # some corner of some copy shows the paper


def test_each_copy_gets_its_own_random_view_and_seeds_repeat():
    image = torch.rand(3, 48, 48)
    a = augment(image, 4, size=24, generator=torch.Generator().manual_seed(5))
    b = augment(image, 4, size=24, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert not torch.allclose(a[0], a[1])


def test_augment_is_differentiable_in_the_image():
    image = torch.rand(3, 32, 32, requires_grad=True)
    augment(image, 3, size=16).sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def test_a_batch_gets_one_view_per_image_with_the_same_draws_as_copies():
    images = torch.rand(3, 3, 32, 32)
    views = augment(images, 3, size=16, generator=torch.Generator().manual_seed(2))
    assert views.shape == (3, 3, 16, 16)
    for k in range(3):  # view k of the batch is view k of image k's copies
        alone = augment(images[k], 3, size=16, generator=torch.Generator().manual_seed(2))
        assert torch.allclose(views[k], alone[k], atol=1e-6)


def test_a_batch_must_match_the_number_of_copies():
    with pytest.raises(ValueError, match="copies=2"):
        augment(torch.rand(2, 3, 16, 16), 4)


def test_letterbox_pads_with_white_to_a_centred_square():
    image = torch.zeros(3, 10, 20)
    square = letterbox(image)
    assert square.shape == (3, 20, 20)
    assert float(square[:, :5].min()) == 1.0 and float(square[:, 15:].min()) == 1.0
    assert float(square[:, 5:15].max()) == 0.0


def test_through_views_shows_every_image_the_same_views_as_augment():
    from dreamdraw.drawing import augment_grid, through_views

    images = torch.rand(3, 3, 32, 32)
    grid = augment_grid(32, 32, 4, size=16, generator=torch.Generator().manual_seed(8))
    views = through_views(images, grid)
    assert views.shape == (3, 4, 3, 16, 16)
    for m in range(3):
        alone = augment(images[m], 4, size=16, generator=torch.Generator().manual_seed(8))
        assert torch.allclose(views[m], alone, atol=1e-6)


def test_the_plain_view_is_the_whole_square_resized_for_the_model():
    from dreamdraw.drawing.augment import plain_view

    square = torch.ones(2, 3, 64, 64)
    square[..., :32] = 0.0  # ink on the left half
    assert plain_view(square, 64) is square
    small = plain_view(square, 32)
    assert small.shape == (2, 3, 32, 32)
    # Nothing cropped or moved: the ink stays on the left half, the paper on the right.
    assert small[..., :15].max() < 1e-6 and small[..., 17:].min() > 1 - 1e-6
