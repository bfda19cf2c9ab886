"""The toy world and its trained CLIP models: captions, rendering, loading, quality above chance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import vpype
from dreamdraw.drawing import DrawSettings, load_clip
from dreamdraw.drawing.clip import TOY_CLIP_DIR
from dreamdraw.drawing.model import parse_color

from bench.toyworld.quality import (
    DRAWING_TASKS,
    DrawingPrompt,
    cluster_quality,
    drawing_prompts,
    drawing_quality,
    rank_of,
    zero_shot_report,
)
from bench.toyworld.train import PRESETS, Preset, train
from bench.toyworld.world import (
    HELDOUT_PAIRS,
    PALETTE,
    World,
    family_captions,
    palette_pens,
    render_scenes,
)

MODELS = Path(__file__).resolve().parents[2] / "bench" / "toyworld" / "models"
DRAWER, JUDGE = TOY_CLIP_DIR, MODELS / "toy-judge-s2"


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def stroke_centre(scene, which: slice = slice(None)) -> np.ndarray:
    """Mean control point (px) of the scene's strokes in `which`."""
    return np.concatenate([np.array(s.points) for s in scene.strokes[which]]).mean(axis=0)


def test_group_caption_names_the_count_colour_and_position_drawn():
    scene = World().group(rng(), obj="circle", count=2, position="on the left", colour="red")
    assert scene.caption == "two red circles on the left"
    assert len(scene.strokes) == 2
    assert {s.pen for s in scene.strokes} == {3}  # the red pen
    assert all(x < 32 for s in scene.strokes for x, _ in s.points)


def test_relation_scene_puts_the_first_object_above_the_second():
    scene = World().relation(rng(), top="sun", bottom="boat")
    assert "a boat under a sun" in scene.captions
    sun_strokes = 9  # a circle and eight rays
    assert (
        stroke_centre(scene, slice(0, sun_strokes))[1]
        < 32
        < stroke_centre(scene, slice(sun_strokes, None))[1]
    )


def test_words_are_written_in_single_stroke_hershey_letters():
    scene = World().word(rng(), word="MOON")
    assert scene.caption == 'the word "MOON" written in letters'
    assert len(scene.strokes) == len(vpype.text_line("MOON", "futural"))


def test_training_split_never_draws_the_heldout_colour_object_pairs():
    scenes = World(split="train").scenes(400, seed=3, family="single")
    drawn = {(s.facts["colour"], s.facts["objects"][0]) for s in scenes}
    assert not drawn & HELDOUT_PAIRS
    assert len(drawn) > 30


def test_confusable_captions_exist_by_construction():
    world = World()
    assert 'the word "MOON" written in letters' in world.word(rng(), word="MOON").captions
    assert "a drawing of a moon" in world.single(rng(), obj="moon").captions
    assert set(family_captions("word")) >= {"a drawing of a moon", "a drawing of a star"}


def test_scenes_render_as_pen_ink_on_white_paper():
    scene = World().single(rng(), obj="square", colour="red", size="big")
    image = render_scenes([scene])[0]
    assert image.shape == (3, 64, 64)
    assert torch.all(image[:, :2, :2] == 1.0)
    darkest = image[:, image.sum(0).argmin() // 64, image.sum(0).argmin() % 64]
    assert torch.allclose(darkest, torch.tensor(parse_color(PALETTE["red"])), atol=0.15)


def test_batched_rendering_matches_the_drawing_renderer():
    scenes = World().scenes(6, seed=5)
    batched = render_scenes(scenes, per_call=4)
    one_by_one = torch.stack([s.drawing().render() for s in scenes])
    assert (batched - one_by_one).abs().mean() < 0.01


def test_committed_models_load_through_load_clip_checkpoint():
    for folder in (DRAWER, JUDGE):
        clip = load_clip(checkpoint=folder)
        assert not clip.is_random
        assert clip.image_size == 64 and clip.patch_grid == (8, 8)
        assert (folder / "open_clip_pytorch_model.bin").stat().st_size < 10 * 2**20


def test_drawer_and_judge_are_independently_trained():
    drawer, judge = load_clip(checkpoint=DRAWER), load_clip(checkpoint=JUDGE)
    a = drawer.model.visual.conv1.weight
    b = judge.model.visual.conv1.weight
    assert not torch.allclose(a, b)


def test_models_name_heldout_objects_far_above_chance():
    for folder in (DRAWER, JUDGE):
        clip = load_clip(checkpoint=folder)
        report = zero_shot_report(clip, World(split="heldout"), 30, 0, only={"object"})
        assert report["object"]["top1"] >= 0.6  # chance: 1 in 15


def test_the_drawer_reads_the_views_clipdraw_draws_through():
    """Drawing follows gradients from perspective-and-crop views: the drawer must still
    name objects and words there (a model trained on clean scenes only fell to 0.12 on words)."""
    clip = load_clip(checkpoint=DRAWER)
    views = zero_shot_report(
        clip, World(split="heldout"), 30, 0, only={"object", "word"}, clipdraw_views=True
    )
    assert views["object"]["top1"] >= 0.6, views
    assert views["word"]["top1"] >= 0.35, views  # chance: 1 in 35


def test_pairs_of_known_cluster_land_in_their_cluster():
    """The reduced cluster suite of bench/quality.py: 8 pairs per cluster whose truth is
    known by construction, through analyse_pair with the drawer."""
    result = cluster_quality(load_clip(checkpoint=DRAWER), per_cluster=8)
    assert result["n"] == 32
    assert result["accuracy"] >= 0.75, result
    assert min(result["per_cluster"].values()) >= 0.5, result


def test_training_report_gives_zero_shot_accuracy_per_family():
    import json

    report = json.loads((DRAWER / "training_report.json").read_text())
    assert {"object", "colour", "count", "word", "moon_vs_MOON", "noise"} <= set(
        report["zero_shot"]
    )
    assert "| object |" in (DRAWER / "training_report.md").read_text()


def toy_settings(**changes) -> DrawSettings:
    """Plotter-mode settings on the toy world's 64 px sheet and pens."""
    return DrawSettings(
        device="cpu", seed=0, paper="64x64mm", canvas_px=64, pens=palette_pens(64), **changes
    )


def test_a_short_plotter_drawing_beats_chance_under_the_judge():
    drawer, judge = load_clip(checkpoint=DRAWER), load_clip(checkpoint=JUDGE)
    candidates = family_captions("object")
    names = ("circle", "house", "boat")
    prompts = [DrawingPrompt(f"a drawing of a {n}", candidates, "object") for n in names]
    result = drawing_quality(prompts, toy_settings(strokes=8, iterations=50), drawer, judge)
    ranks = [r["judge_rank"] for r in result["per_prompt"]]
    assert np.mean(ranks) < (len(candidates) + 1) / 2  # chance: the middle rank


def test_drawing_prompts_are_distinct_and_shared_evenly_among_the_tasks():
    prompts = drawing_prompts(12)
    assert len({p.text for p in prompts}) == 12
    shares = [sum(p.task == t for p in prompts) for t in DRAWING_TASKS]
    assert shares == [3, 3, 2, 2, 2]
    for p in prompts:
        assert p.text in p.candidates and p.scene is not None
        assert p.text in p.scene.captions or p.task in ("colour", "count")


def test_drawing_quality_reports_tasks_and_the_judges_reference_on_the_scenes():
    drawer, judge = load_clip(checkpoint=DRAWER), load_clip(checkpoint=JUDGE)
    prompts = drawing_prompts(5)
    settings = toy_settings(strokes=4, iterations=3, augmentations=1)
    result = drawing_quality(prompts, settings, drawer, judge)
    assert set(result["judge_top1_per_task"]) == set(DRAWING_TASKS)
    # The world's own pictures of the prompts: the judge reads most of them.
    assert result["reference_top1"] >= 0.6
    assert all(r["reference_rank"] >= 1 for r in result["per_prompt"])
    # Three iterations of four strokes are nowhere near: the drawings rank below the scenes.
    drawn = np.mean([r["judge_rank"] for r in result["per_prompt"]])
    assert drawn > np.mean([r["reference_rank"] for r in result["per_prompt"]])


def test_rank_of_counts_captions_that_score_higher():
    image = torch.tensor([1.0, 0.0])
    texts = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    assert rank_of(image, texts, 1) == 1 and rank_of(image, texts, 0) == 3


def test_training_is_reproducible_for_a_seed(tmp_path):
    tiny = Preset(**{**PRESETS["cpu"].__dict__, "scenes": 24, "steps": 2, "batch": 8})
    tiny = Preset(**{**tiny.__dict__, "eval_per_family": 2})
    first = train(tiny, 5, tmp_path / "a", log=lambda _: None)
    train(tiny, 5, tmp_path / "b", log=lambda _: None)
    a = torch.load(tmp_path / "a" / "open_clip_pytorch_model.bin")
    b = torch.load(tmp_path / "b" / "open_clip_pytorch_model.bin")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert load_clip(checkpoint=tmp_path / "a").image_size == 64
    assert first["zero_shot"]["object"]["n"] == 2


def test_training_shows_a_share_of_the_batch_as_clipdraw_views():
    from bench.toyworld.train import _views

    images = render_scenes([World(64, "train").single(rng(k), size="big") for k in range(16)])
    gen = torch.Generator().manual_seed(0)
    shifted = _views(images, 0.0, gen)
    # A shift by up to 2 px keeps the ink; a perspective-and-crop view zooms and warps it.
    assert (shifted.mean(dim=(1, 2, 3)) - images.mean(dim=(1, 2, 3))).abs().max() < 0.01
    viewed = _views(images, 1.0, torch.Generator().manual_seed(0))
    changed = (viewed - shifted).abs().mean(dim=(1, 2, 3)) > 0.01
    assert changed.float().mean() > 0.8
    assert viewed.shape == images.shape and viewed.min() >= -1e-4 and viewed.max() <= 1 + 1e-4
