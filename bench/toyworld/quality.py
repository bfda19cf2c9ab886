"""Quality measured in the toy world: zero-shot ranking, drawings under a judge, clusters, FIXLIP pointing."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from dreamdraw.drawing import ClipModel, Drawing, DrawSettings, draw
from torch import Tensor

from bench.toyworld.world import (
    COUNTS,
    HELDOUT_PAIRS,
    NOISE_CAPTIONS,
    PLURALS,
    POSITIONS,
    WRITING_CAPTIONS,
    Scene,
    World,
    family_captions,
    render_scenes,
)

__all__ = [
    "Task",
    "zero_shot_tasks",
    "rank_of",
    "zero_shot_report",
    "report_markdown",
    "DRAWING_TASKS",
    "DrawingPrompt",
    "drawing_prompts",
    "drawing_quality",
    "cluster_pairs",
    "cluster_quality",
    "pointing_quality",
    "CONFUSABLE",
]


@dataclass
class Task:
    """A zero-shot task: each scene's true caption among its candidate captions."""

    name: str
    description: str
    scenes: list[Scene]
    targets: list[str]
    candidates: list[list[str]]


def _noun(scene: Scene) -> str:
    obj = scene.facts["objects"][0]
    return obj if scene.facts["count"] == 1 else PLURALS[obj]


def zero_shot_tasks(world: World, n: int, seed: int) -> list[Task]:
    """The held-out tasks, `n` scenes each, drawn from `world` (use split="heldout")."""
    rng = np.random.default_rng([seed, 7])
    single = [world.single(rng) for _ in range(n)]
    held = sorted(HELDOUT_PAIRS)
    pairs = [held[i % len(held)] for i in range(n)]
    held_scenes = [world.single(rng, obj=o, colour=c) for c, o in pairs]
    sized = [world.single(rng, size=("small", "big")[i % 2]) for i in range(n)]
    group = [world.group(rng) for _ in range(n)]
    relation = [world.relation(rng) for _ in range(n)]
    words = [world.word(rng) for _ in range(n)]
    moon = [world.word(rng, word="MOON") for _ in range(n // 2)]
    moon += [world.single(rng, obj="moon") for _ in range(n - n // 2)]
    sun = [world.single(rng, obj=("sun", "star")[i % 2]) for i in range(n)]
    noise = [world.noise(rng) for _ in range(n)]
    obj = family_captions("object")
    colour = family_captions("colour")
    moon_pair = ['the word "MOON" written in letters', "a drawing of a moon"]
    sun_pair = ["a drawing of a sun", "a drawing of a star"]
    return [
        Task("object", "one object; 15 'a drawing of a X'", single,
             [s.captions[0] for s in single], [obj] * n),
        Task("colour", "one object; 60 'a C X'", single,
             [f"a {s.facts['colour']} {s.facts['objects'][0]}" for s in single], [colour] * n),
        Task("colour_heldout_pairs", "colour/object pairs never seen in training; 60 'a C X'",
             held_scenes, [f"a {c} {o}" for c, o in pairs], [colour] * n),
        Task("size", "small or big; 2 'a small X' / 'a big X'", sized,
             [f"a {s.facts['size']} {s.facts['objects'][0]}" for s in sized],
             [[f"a small {s.facts['objects'][0]}", f"a big {s.facts['objects'][0]}"] for s in sized]),
        Task("count", "one to three copies; 45 'N Xs'", group,
             [f"{COUNTS[s.facts['count']]} {_noun(s)}" for s in group],
             [family_captions("count")] * n),
        Task("position", "where the copies are; 5 'N C Xs <position>'", group,
             [s.captions[0] for s in group],
             [[f"{COUNTS[s.facts['count']]} {s.facts['colour']} {_noun(s)} {p}" for p in POSITIONS]
              for s in group]),
        Task("relation", "two objects stacked; 210 'a X above a Y'", relation,
             [s.captions[0] for s in relation], [family_captions("relation")] * n),
        Task("relation_order", "which is on top; 2 'a X above a Y' / 'a Y above a X'", relation,
             [s.captions[0] for s in relation],
             [[f"a {a} above a {b}", f"a {b} above a {a}"]
              for a, b in (s.facts["objects"] for s in relation)]),
        Task("word", "a written word; 20 word captions + 15 object captions", words,
             [s.captions[0] for s in words], [family_captions("word")] * n),
        Task("moon_vs_MOON", "the word MOON or a drawn moon; 2 captions", moon,
             [moon_pair[0] if s.family == "word" else moon_pair[1] for s in moon], [moon_pair] * n),
        Task("sun_vs_star", "a sun or a star; 2 captions", sun,
             [s.captions[0] for s in sun], [sun_pair] * n),
        Task("noise", "scribbles; 15 object captions, 'abstract scribbles', 'handwritten text'",
             noise, [NOISE_CAPTIONS[0]] * n, [obj + [NOISE_CAPTIONS[0], WRITING_CAPTIONS[0]]] * n),
    ]  # fmt: skip


def rank_of(image_features: Tensor, text_features: Tensor, target: int) -> int:
    """1-based rank of caption `target` among captions [C, D] for one image [D]."""
    cos = text_features @ image_features
    return 1 + int((cos > cos[target] + 1e-6).sum())


def zero_shot_report(
    clip: ClipModel,
    world: World,
    n: int,
    seed: int,
    only: set[str] | None = None,
    clipdraw_views: bool = False,
) -> dict:
    """Top-1 / top-5 accuracy and chance level per task (all, or those named in `only`) on
    held-out scenes of `world`; with `clipdraw_views`, each scene is seen as one of the
    perspective-and-crop views CLIPDraw shows the model while drawing."""
    from dreamdraw.drawing import augment

    out = {}
    gen = torch.Generator().manual_seed(seed)
    for task in zero_shot_tasks(world, n, seed):
        if only is not None and task.name not in only:
            continue
        pixels = render_scenes(task.scenes)
        if clipdraw_views:
            pixels = augment(pixels, len(pixels), pixels.shape[-1], generator=gen)
        with torch.no_grad():
            images = clip.encode_image(pixels.to(clip.device))
        captions = sorted({c for cands in task.candidates for c in cands})
        index = {c: i for i, c in enumerate(captions)}
        texts = clip.encode_text(captions)
        ranks = []
        for k, (target, cands) in enumerate(zip(task.targets, task.candidates, strict=True)):
            feats = texts[[index[c] for c in cands]]
            ranks.append(rank_of(images[k], feats, cands.index(target)))
        ranks_a = np.array(ranks)
        sizes = np.array([len(c) for c in task.candidates])
        out[task.name] = {
            "description": task.description,
            "n": len(ranks),
            "top1": round(float((ranks_a == 1).mean()), 4),
            "top5": round(float((ranks_a <= 5).mean()), 4),
            "chance_top1": round(float((1.0 / sizes).mean()), 4),
        }
    return out


def report_markdown(report: dict) -> str:
    """The training report as markdown: model, time, and the zero-shot table."""
    p = report["preset"]
    lines = [
        f"# Toy-world CLIP `{report['name']}`",
        "",
        "A small open_clip model trained contrastively on the procedural toy world of "
        "`bench/toyworld/world.py` (measured on the toy world, not on real CLIP).",
        "",
        f"- seed {report['seed']}, {report['parameters']:,} parameters, "
        f"checkpoint {report['checkpoint_mb']} MB (float16)",
        f"- ViT {p['size']}x{p['size']} px, patch {p['patch']} px, width {p['vision_width']}, "
        f"{p['vision_layers']} layers; text width {p['text_width']}, {p['text_layers']} layers, "
        f"context {p['context_length']}, CLIP tokenizer (49408)",
        f"- {report['train_scenes']} training scenes, {report['train_captions']} distinct "
        f"captions, {p['steps']} steps of {p['batch']}; "
        f"{p.get('clipdraw_views', 0):.0%} of each batch shown as CLIPDraw's "
        "perspective-and-crop views, the rest shifted by up to 2 px",
        f"- time: data {report['data_seconds']} s, training {report['train_seconds']} s, "
        f"total {report['total_seconds']} s on {p['device']} with {report['torch_threads']} "
        "thread(s), under contention from other work",
        f"- final loss {report['final_loss']}, logit scale {report['logit_scale']}",
        "",
        "## Zero-shot accuracy on held-out scenes",
        "",
        "| task | what | n | top-1 | top-5 | chance top-1 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, row in report["zero_shot"].items():
        lines.append(
            f"| {name} | {row['description']} | {row['n']} | {row['top1']:.2f} | "
            f"{row['top5']:.2f} | {row['chance_top1']:.3f} |"
        )
    return "\n".join(lines) + "\n"


# -- drawing quality ----------------------------------------------------------------------
DRAWING_TASKS = ("object", "colour", "count", "position", "word")
"""The zero-shot tasks whose held-out prompts are drawn, in turn."""


@dataclass
class DrawingPrompt:
    """A caption to draw, the captions it is ranked among, its task, and (when it comes from
    the world) the held-out scene it describes, which gives the judge's reference rank."""

    text: str
    candidates: list[str]
    task: str
    scene: Scene | None = None


def drawing_prompts(count: int, seed: int = 0) -> list[DrawingPrompt]:
    """`count` distinct prompts of held-out scenes, taken in turn from the object, colour,
    count, position and word tasks, so that each task gets the same share (the first tasks
    one more when `count` does not divide). (Colour/object pairs never seen in training stay
    a zero-shot task of the training report: a model that has not learnt to compose them
    cannot judge drawings of them.)"""
    tasks = {t.name: t for t in zero_shot_tasks(World(64, "heldout"), 4 * count, seed)}
    queues = {name: [] for name in DRAWING_TASKS}
    seen: set[str] = set()
    for name in DRAWING_TASKS:
        task = tasks[name]
        for text, cands, scene in zip(task.targets, task.candidates, task.scenes, strict=True):
            if text not in seen and len(queues[name]) < count:
                seen.add(text)
                queues[name].append(DrawingPrompt(text, cands, name, scene))
    out: list[DrawingPrompt] = []
    for i in range(count):
        for name in DRAWING_TASKS:
            if len(out) < count and i < len(queues[name]):
                out.append(queues[name][i])
    return out


def _canvas(drawing: Drawing, clip: ClipModel) -> Tensor:
    """The drawing as the model sees it: RGB [3, S, S] (rendered at S px wide, letterboxed)."""
    from dreamdraw.drawing import letterbox

    return letterbox(drawing.render(width_px=clip.image_size))


def drawing_quality(
    prompts: list[DrawingPrompt],
    settings: DrawSettings,
    drawer: ClipModel,
    judge: ClipModel,
) -> dict:
    """Draw each prompt with `drawer`; the judge ranks the prompt among its candidates.

    Returns top-1 / top-5 under the judge (and, for reference, under the drawer), the
    judge's top-1 per task, the mean cosine of drawing and prompt under both models,
    seconds per drawing, and per prompt the ranks. Where prompts carry their scene, the
    judge also ranks the world's own rendering of it (`reference_top1`): the most that
    drawings can be expected to reach under this judge.
    """
    rows = []
    started = time.perf_counter()
    for k, prompt in enumerate(prompts):
        s = DrawSettings(**{**settings.__dict__, "seed": (settings.seed or 0) + k})
        drawing = draw(prompt.text, s, clip=drawer)
        target = prompt.candidates.index(prompt.text)
        row = {"prompt": prompt.text, "task": prompt.task, "candidates": len(prompt.candidates)}
        for name, model in (("judge", judge), ("drawer", drawer)):
            with torch.no_grad():
                image = model.encode_image(_canvas(drawing, model)[None].to(model.device))[0]
            texts = model.encode_text(prompt.candidates)
            row[f"{name}_rank"] = rank_of(image, texts, target)
            row[f"{name}_cosine"] = round(float(texts[target] @ image), 4)
            if name == "judge" and prompt.scene is not None:
                with torch.no_grad():
                    scene = model.encode_image(render_scenes([prompt.scene]).to(model.device))[0]
                row["reference_rank"] = rank_of(scene, texts, target)
        rows.append(row)
    seconds = time.perf_counter() - started

    def share(key: str, limit: int) -> float:
        return round(float(np.mean([r[key] <= limit for r in rows])), 4)

    def top1_per_task(key: str) -> dict[str, str]:
        tasks = dict.fromkeys(r["task"] for r in rows)
        return {
            t: f"{sum(r[key] == 1 for r in rows if r['task'] == t)}/"
            f"{sum(r['task'] == t for r in rows)}"
            for t in tasks
        }

    out = {
        "n": len(rows),
        "judge_top1": share("judge_rank", 1),
        "judge_top5": share("judge_rank", 5),
        "drawer_top1": share("drawer_rank", 1),
        "drawer_top5": share("drawer_rank", 5),
        "chance_top1": round(float(np.mean([1 / r["candidates"] for r in rows])), 4),
        "judge_top1_per_task": top1_per_task("judge_rank"),
        "judge_cosine": round(float(np.mean([r["judge_cosine"] for r in rows])), 4),
        "drawer_cosine": round(float(np.mean([r["drawer_cosine"] for r in rows])), 4),
        "seconds_per_drawing": round(seconds / max(1, len(rows)), 2),
        "settings": {
            "mode": settings.mode,
            "strokes": settings.strokes,
            "iterations": settings.iterations,
            "augmentations": settings.augmentations,
            "plain_view": settings.mode == "plotter" and settings.plain_view,
            "prune": settings.mode == "plotter" and settings.prune,
        },
        "per_prompt": rows,
    }
    if rows and all("reference_rank" in r for r in rows):
        out["reference_top1"] = share("reference_rank", 1)
        out["reference_top1_per_task"] = top1_per_task("reference_rank")
    return out


# -- clusters ---------------------------------------------------------------------------
CONFUSABLE: tuple[tuple[str, str], ...] = (
    ("sun", "star"),
    ("star", "sun"),
    ("wave", "zigzag"),
    ("zigzag", "wave"),
    ("moon", "circle"),
    ("circle", "moon"),
    ("house", "square"),
    ("square", "house"),
)
"""(what the dream says, what is drawn instead): objects that look alike."""


def cluster_pairs(world: World, per_cluster: int, seed: int) -> list[tuple[str, Scene, str]]:
    """Dream/drawing pairs whose cluster is known by construction: (dream text, scene, cluster).

    clear_concept: an object and 'a X'; text_as_image: the word X written in letters and
    'a X'; indeterminacy: scribbles and 'a X'; lost_in_translation: a clearly drawn
    confusable other object (CONFUSABLE) and 'a X'.
    """
    from bench.toyworld.world import OBJECTS

    rng = np.random.default_rng([seed, 11])
    pairs = []
    for i in range(per_cluster):
        obj = OBJECTS[i % len(OBJECTS)]
        pairs.append((f"a {obj}", world.single(rng, obj=obj, size=""), "clear_concept"))
        pairs.append((f"a {obj}", world.word(rng, word=obj.upper()), "text_as_image"))
        pairs.append((f"a {obj}", world.noise(rng), "indeterminacy"))
        said, drawn = CONFUSABLE[i % len(CONFUSABLE)]
        pairs.append((f"a {said}", world.single(rng, obj=drawn, size=""), "lost_in_translation"))
    return pairs


def cluster_quality(clip: ClipModel, per_cluster: int, seed: int = 0) -> dict:
    """Assign clusters to pairs known by construction with `analysis.analyse_pair`
    (distractors: 'a X' for the world's other objects; no FIXLIP); accuracy overall and
    per cluster, and the confusion matrix (rows: truth, columns: assigned)."""
    from dreamdraw.analysis import AnalysisSettings, analyse_pair
    from dreamdraw.analysis.clusters import CLUSTERS, cluster_agreement

    from bench.toyworld.world import OBJECTS

    world = World(clip.image_size, "heldout")
    pairs = cluster_pairs(world, per_cluster, seed)
    images = render_scenes([scene for _, scene, _ in pairs])
    settings = AnalysisSettings(fixlip=False, stroke_ablation=False, figures=False)
    assigned, truth, examples = [], [], []
    started = time.perf_counter()
    for (text, _, cluster), image in zip(pairs, images, strict=True):
        said = text.removeprefix("a ")
        distractors = [f"a {o}" for o in OBJECTS if o != said]
        result = analyse_pair(text, image, clip, settings, distractors=distractors)
        assigned.append(result.cluster)
        truth.append(cluster)
        if len(examples) < 8 and result.cluster != cluster:
            examples.append({"text": text, "truth": cluster, "assigned": result.cluster,
                             "rationale": result.rationale})  # fmt: skip
    agreement = cluster_agreement(assigned, truth)
    # cluster_agreement's rows are its second argument (here: the truth).
    confusion = np.array(agreement.confusion)
    per = {
        c: round(float(confusion[i, i] / max(1, confusion[i].sum())), 4)
        for i, c in enumerate(agreement.labels)
    }
    return {
        "n": agreement.n,
        "accuracy": round(agreement.accuracy, 4),
        "kappa": round(agreement.kappa, 4),
        "per_cluster": per,
        "labels": agreement.labels,
        "confusion_rows_truth_cols_assigned": agreement.confusion,
        "clusters": {cid: cluster.name for cid, cluster in CLUSTERS.items()},
        "seconds_per_pair": round((time.perf_counter() - started) / max(1, len(pairs)), 3),
        "misassigned_examples": examples,
    }


# -- FIXLIP pointing game -------------------------------------------------------------
def pointing_quality(clip: ClipModel, scenes: int, budget: int = 4096, seed: int = 0) -> dict:
    """FIXLIP pointing game on 2x2 scenes: for each object word of
    'a A and a B above a C and a D', its image-word interactions should be positive on
    its quadrant and negative elsewhere (analysis.metrics.pointing_game; 0.5 = chance)."""
    from dreamdraw.analysis import AnalysisSettings, analyse_pair
    from dreamdraw.analysis.metrics import pointing_game

    world = World(clip.image_size, "heldout")
    rng = np.random.default_rng([seed, 13])
    quads = [world.quad(rng) for _ in range(scenes)]
    images = render_scenes(quads)
    settings = AnalysisSettings(
        fixlip=True, fixlip_budget=budget, stroke_ablation=False, figures=False, seed=seed
    )
    scores, r2s = [], []
    started = time.perf_counter()
    for scene, image in zip(quads, images, strict=True):
        text = scene.captions[1]
        result = analyse_pair(text, image, clip, settings)
        heat = result.fixlip.word_heatmaps()  # [words, rows, cols]
        rows, cols = heat.shape[1:]
        words = result.words
        positions = [i for i, w in enumerate(words) if w not in ("a", "and", "above")]
        for quadrant, j in enumerate(positions):
            inside = np.zeros((rows, cols), dtype=bool)
            r, c = divmod(quadrant, 2)
            inside[r * rows // 2 : (r + 1) * rows // 2, c * cols // 2 : (c + 1) * cols // 2] = True
            scores.append(pointing_game(heat[j], inside))
        if result.fixlip.r2 is not None:
            r2s.append(result.fixlip.r2)
    return {
        "scenes": scenes,
        "words": len(scores),
        "score": round(float(np.mean(scores)), 4),
        "chance": 0.5,
        "budget": budget,
        "mean_r2": round(float(np.mean(r2s)), 4) if r2s else None,
        "seconds_per_scene": round((time.perf_counter() - started) / max(1, scenes), 2),
    }
