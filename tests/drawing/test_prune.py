"""Pruning a finished plotter drawing: strokes CLIP sees the dream better without go."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from dreamdraw.drawing import DrawSettings, draw, load_clip, strokes_to_batch
from dreamdraw.drawing.clip import TOY_CLIP_DIR
from dreamdraw.drawing.prune import prune_strokes

from bench.toyworld.world import World, palette_pens

DRAWER = TOY_CLIP_DIR
OBJECTS = ("star", "fish", "house", "tree", "boat", "heart")


@pytest.fixture(scope="module")
def toy_clip():
    return load_clip(checkpoint=DRAWER)


def cluttered(obj: str, seed: int):
    """A drawn object of the toy world plus three scribbled strokes: (drawing, n object strokes)."""
    world, rng = World(64, "heldout"), np.random.default_rng(seed)
    scene = world.single(rng, obj=obj, colour="black", size="big").drawing()
    clutter = world.noise(rng, strokes=3).strokes
    return dataclasses.replace(scene, strokes=scene.strokes + clutter), len(scene.strokes)


def test_pruning_drops_scribbles_around_an_object_and_keeps_the_object(toy_clip):
    kept_object = kept_clutter = n_object = n_clutter = 0
    for seed, obj in enumerate(OBJECTS):
        drawing, n = cluttered(obj, seed)
        batch, _ = strokes_to_batch(drawing)
        text = toy_clip.encode_text([f"a drawing of a {obj}"])[0]
        keep = prune_strokes(batch, 64, 64, toy_clip, text)
        kept_object += int(keep[:n].sum())
        kept_clutter += int(keep[n:].sum())
        n_object, n_clutter = n_object + n, n_clutter + len(keep) - n
    # Measured: 12 of 15 object strokes kept, 5 of 18 scribbles.
    assert kept_object / n_object >= 0.7
    assert kept_clutter / n_clutter <= 0.4


def test_what_is_kept_scores_at_least_as_well_on_the_same_views(toy_clip):
    from dreamdraw.drawing.prune import _Scorer

    drawing, _ = cluttered("house", 2)
    batch, _ = strokes_to_batch(drawing)
    text = toy_clip.encode_text(["a drawing of a house"])[0]
    keep = prune_strokes(batch, 64, 64, toy_clip, text, seed=4)
    assert 1 <= int(keep.sum()) < len(keep)
    score = _Scorer(batch, 64, 64, toy_clip, text, None, 0.0, views=8, seed=4, chunk=8)
    full, pruned = score([torch.ones_like(keep), keep]).tolist()
    assert pruned > full


def test_a_single_stroke_is_always_kept(toy_clip):
    drawing, _ = cluttered("star", 0)
    one = dataclasses.replace(drawing, strokes=drawing.strokes[-1:])  # a scribble
    batch, _ = strokes_to_batch(one)
    text = toy_clip.encode_text(["a drawing of a star"])[0]
    assert prune_strokes(batch, 64, 64, toy_clip, text).tolist() == [True]


def test_draw_prunes_after_optimising_and_records_how_many_went(toy_clip):
    base = DrawSettings(
        device="cpu",
        strokes=12,
        iterations=30,
        augmentations=2,
        seed=5,
        paper="64x64mm",
        canvas_px=64,
        pens=palette_pens(64),
    )
    whole = draw("two fish", dataclasses.replace(base, prune=False), clip=toy_clip)
    pruned = draw("two fish", base, clip=toy_clip)
    assert "strokes_pruned" not in whole.settings
    gone = pruned.settings["strokes_pruned"]
    assert gone > 0 and len(pruned.strokes) == len(whole.strokes) - gone
    assert all(stroke in whole.strokes for stroke in pruned.strokes)  # same optimisation


def test_classic_mode_is_never_pruned():
    clip = load_clip("test:tiny")
    drawing = draw(
        "a storm",
        DrawSettings(
            clip="test:tiny",
            device="cpu",
            mode="classic",
            strokes=8,
            iterations=3,
            augmentations=1,
            seed=1,
        ),  # fmt: skip
        clip=clip,
    )
    assert len(drawing.strokes) == 8 and "strokes_pruned" not in drawing.settings
