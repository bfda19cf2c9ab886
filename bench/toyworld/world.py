"""The toy world: procedural line drawings in dreamdraw's stroke model, their captions, batched rendering.

A scene is a few pen strokes (cubic Béziers, canvas px) on a square sheet: shapes and
small pictures (circle ... boat) in a pen colour, counted (one to three), placed (left,
right, top, bottom, centre), sized, stacked (a boat under a sun), words written in
single-stroke Hershey letters (vpype's `futural` font), pages of words, or scribbles.
Every scene carries the captions that are true of it; the first is its canonical one.
Some colour/object combinations never occur in the training split, so held-out scenes
test composition, and confusable pairs (the moon and the word MOON, a sun and a star)
exist by construction.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from dreamdraw.drawing import Drawing, Pen, Stroke, StrokeBatch, rasterize
from dreamdraw.paper import Paper
from torch import Tensor

__all__ = [
    "OBJECTS",
    "PLURALS",
    "PALETTE",
    "WORDS",
    "POSITIONS",
    "COUNTS",
    "FAMILIES",
    "HELDOUT_PAIRS",
    "Scene",
    "World",
    "family_captions",
    "render_scenes",
    "palette_pens",
    "polyline_points",
]

OBJECTS: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "star",
    "spiral",
    "zigzag",
    "wave",
    "cross",
    "heart",
    "house",
    "tree",
    "sun",
    "moon",
    "fish",
    "boat",
)
PLURALS: dict[str, str] = {o: o + "s" for o in OBJECTS} | {"cross": "crosses", "fish": "fish"}
PALETTE: dict[str, str] = {
    "black": "#000000",
    "blue": "#1f4fbf",
    "red": "#c8102e",
    "green": "#2e8b3d",
}
WORDS: tuple[str, ...] = tuple(o.upper() for o in OBJECTS) + (
    "DREAM",
    "NIGHT",
    "SEA",
    "HOME",
    "LOVE",
)
POSITIONS: dict[str, tuple[float, float]] = {
    "on the left": (0.27, 0.5),
    "on the right": (0.73, 0.5),
    "at the top": (0.5, 0.27),
    "at the bottom": (0.5, 0.73),
    "in the centre": (0.5, 0.5),
}
COUNTS: dict[int, str] = {1: "one", 2: "two", 3: "three"}
SIZES: dict[str, tuple[float, float]] = {
    "small": (0.12, 0.16),
    "": (0.22, 0.28),
    "big": (0.36, 0.44),
}  # half-extent as a share of the canvas side
# Colour/object pairs that never occur in training scenes (composition is held out).
HELDOUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ("green", "fish"),
        ("red", "boat"),
        ("blue", "sun"),
        ("black", "heart"),
        ("green", "star"),
        ("red", "moon"),
        ("blue", "tree"),
        ("black", "spiral"),
    }
)
# Scene kinds and how often the training stream draws each.
FAMILIES: dict[str, float] = {
    "single": 0.30,
    "group": 0.24,
    "relation": 0.10,
    "quad": 0.06,
    "word": 0.18,
    "page": 0.04,
    "noise": 0.08,
}
WRITING_CAPTIONS = ("handwritten text", "a page of written words")
NOISE_CAPTIONS = ("abstract scribbles", "random messy lines")
NIB_MM = 1.5  # pen nib on the world's sheet, 1 mm = 1 px at 64 px


def palette_pens(size: int = 64) -> list[Pen]:
    """The world's pens (ids 1..4, black, blue, red, green), nib 1.5 px at `size` px."""
    return [
        Pen(i + 1, color, NIB_MM * size / 64, name)
        for i, (name, color) in enumerate(PALETTE.items())
    ]


_PEN_ID = {name: i + 1 for i, name in enumerate(PALETTE)}


# -- geometry in unit coordinates (x right, y down, shapes within [-1, 1]) ----------------
def polyline_points(points: np.ndarray) -> np.ndarray:
    """A polyline [n, 2] as straight cubic segments: control points [3(n-1)+1, 2]."""
    a, b = points[:-1], points[1:]
    inner = np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3], axis=1).reshape(-1, 2)
    return np.concatenate([inner, points[-1:]], axis=0)


def _smooth(points: np.ndarray) -> np.ndarray:
    """A Catmull-Rom curve through points [n, 2] as cubic control points [3(n-1)+1, 2]."""
    padded = np.concatenate([points[:1], points, points[-1:]], axis=0)
    out = [points[0]]
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        out += [p1 + (p2 - p0) / 6, p2 - (p3 - p1) / 6, p2]
    return np.array(out)


def _arc(cx: float, cy: float, r: float, a0: float, a1: float) -> np.ndarray:
    """A circular arc from angle a0 to a1 (radians) as cubic control points."""
    pieces = max(1, math.ceil(abs(a1 - a0) / (math.pi / 2)))
    step = (a1 - a0) / pieces
    k = 4 / 3 * math.tan(step / 4) * r
    out = []
    for i in range(pieces):
        t0, t1 = a0 + i * step, a0 + (i + 1) * step
        p0 = np.array([cx + r * math.cos(t0), cy + r * math.sin(t0)])
        p3 = np.array([cx + r * math.cos(t1), cy + r * math.sin(t1)])
        d0 = np.array([-math.sin(t0), math.cos(t0)]) * k
        d1 = np.array([-math.sin(t1), math.cos(t1)]) * k
        if i == 0:
            out.append(p0)
        out += [p0 + d0, p3 - d1, p3]
    return np.array(out)


def _circle(cx: float = 0.0, cy: float = 0.0, r: float = 1.0) -> np.ndarray:
    return _arc(cx, cy, r, 0.0, 2 * math.pi)


def _line(*xy: float) -> np.ndarray:
    return polyline_points(np.array(xy, dtype=float).reshape(-1, 2))


def _star() -> list[np.ndarray]:
    angles = -math.pi / 2 + np.arange(11) * math.pi / 5
    radius = np.where(np.arange(11) % 2 == 0, 1.0, 0.42)
    return [polyline_points(np.stack([radius * np.cos(angles), radius * np.sin(angles)], 1))]


def _spiral() -> list[np.ndarray]:
    t = np.linspace(0.0, 1.0, 25)
    angle = 2.6 * 2 * math.pi * t
    return [_smooth(np.stack([t * np.cos(angle), t * np.sin(angle)], 1))]


def _wave() -> list[np.ndarray]:
    x = np.linspace(-1.0, 1.0, 17)
    return [_smooth(np.stack([x, 0.45 * np.sin(2 * math.pi * x)], 1))]


def _heart() -> list[np.ndarray]:
    t = np.linspace(0.0, 2 * math.pi, 29)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [polyline_points(np.stack([x / 17, (y + 2.5) / 15], 1))]


def _sun() -> list[np.ndarray]:
    parts = [_circle(0, 0, 0.48)]
    for k in range(8):
        a = k * math.pi / 4
        parts.append(_line(0.66 * math.cos(a), 0.66 * math.sin(a), math.cos(a), math.sin(a)))
    return parts


def _moon() -> list[np.ndarray]:
    outer = np.linspace(0.3 * math.pi, 1.7 * math.pi, 15)
    ends = 0.9 * np.array([math.cos(0.3 * math.pi), math.sin(0.3 * math.pi)])
    cx = 0.45
    r = math.hypot(ends[0] - cx, ends[1])
    a = math.atan2(ends[1], ends[0] - cx)
    inner = np.linspace(2 * math.pi - a, a, 11)
    pts = np.concatenate(
        [
            np.stack([0.9 * np.cos(outer), 0.9 * np.sin(outer)], 1),
            np.stack([cx + r * np.cos(inner[1:]), r * np.sin(inner[1:])], 1),
        ]
    )
    return [_smooth(pts - np.array([0.15, 0.0]))]


def _fish() -> list[np.ndarray]:
    top = np.array([[-0.95, 0.0], [-0.5, -0.55], [0.1, -0.5], [0.45, 0.0]])
    bottom = top * np.array([1.0, -1.0])
    return [
        top,
        bottom,
        _line(0.45, 0.0, 0.95, -0.42, 0.95, 0.42, 0.45, 0.0),
        _circle(-0.55, -0.1, 0.07),
    ]


def _boat() -> list[np.ndarray]:
    return [
        _line(-1.0, 0.35, 1.0, 0.35, 0.65, 0.8, -0.65, 0.8, -1.0, 0.35),
        _line(0.0, 0.35, 0.0, -0.95),
        _line(0.0, -0.9, 0.65, 0.2, 0.0, 0.2),
    ]


SHAPES: dict[str, Callable[[], list[np.ndarray]]] = {
    "circle": lambda: [_circle()],
    "square": lambda: [_line(-0.85, -0.85, 0.85, -0.85, 0.85, 0.85, -0.85, 0.85, -0.85, -0.85)],
    "triangle": lambda: [_line(0.0, -0.95, 0.95, 0.75, -0.95, 0.75, 0.0, -0.95)],
    "star": _star,
    "spiral": _spiral,
    "zigzag": lambda: [
        _line(-1.0, 0.35, -0.6, -0.35, -0.2, 0.35, 0.2, -0.35, 0.6, 0.35, 1.0, -0.35)
    ],
    "wave": _wave,
    "cross": lambda: [_line(-0.9, 0.0, 0.9, 0.0), _line(0.0, -0.9, 0.0, 0.9)],
    "heart": _heart,
    "house": lambda: [
        _line(-0.7, -0.1, -0.7, 0.95, 0.7, 0.95, 0.7, -0.1),
        _line(-0.85, -0.05, 0.0, -0.9, 0.85, -0.05),
        _line(-0.15, 0.95, -0.15, 0.45, 0.15, 0.45, 0.15, 0.95),
    ],
    "tree": lambda: [
        _line(-0.12, 1.0, -0.12, 0.3),
        _line(0.12, 1.0, 0.12, 0.3),
        _circle(0.0, -0.3, 0.62),
    ],
    "sun": _sun,
    "moon": _moon,
    "fish": _fish,
    "boat": _boat,
}


@functools.lru_cache(maxsize=64)
def _word_polylines(word: str) -> tuple[np.ndarray, ...]:
    """A word in vpype's single-stroke Hershey font, centred, width 2 (unit coords): polylines."""
    import vpype

    lines = vpype.text_line(word, "futural", size=10.0)
    x0, y0, x1, y1 = lines.bounds()
    scale = 2.0 / max(x1 - x0, 1e-9)
    centre = complex((x0 + x1) / 2, (y0 + y1) / 2)
    return tuple(
        np.stack([((ln - centre) * scale).real, ((ln - centre) * scale).imag], 1) for ln in lines
    )


# -- scenes --------------------------------------------------------------------------
@dataclass
class Scene:
    """One drawing of the world with the captions that are true of it.

    strokes: pen strokes in canvas px (size x size); captions[0] is the canonical
    caption; facts: what was drawn (family, objects, colour, count, position, word).
    """

    size: int
    strokes: list[Stroke]
    captions: list[str]
    facts: dict = field(default_factory=dict)

    @property
    def caption(self) -> str:
        return self.captions[0]

    @property
    def family(self) -> str:
        return self.facts["family"]

    def drawing(self) -> Drawing:
        """The scene as a plotter Drawing on a size x size mm sheet (1 px = 1 mm)."""
        return Drawing(
            canvas_width=self.size,
            canvas_height=self.size,
            paper=Paper(float(self.size), float(self.size), name="toy world sheet"),
            pens=palette_pens(self.size),
            strokes=list(self.strokes),
            prompt=self.caption,
            mode="plotter",
        )


class World:
    """Draws scenes: `World(size=64, split="train")`; `split="heldout"` gives other draws
    and the colour/object pairs held out of training (see HELDOUT_PAIRS)."""

    def __init__(self, size: int = 64, split: str = "train"):
        if split not in ("train", "heldout"):
            raise ValueError(f"split must be train or heldout, got {split!r}")
        self.size = size
        self.split = split

    # -- placement ---------------------------------------------------------------------
    def _place(
        self,
        parts: list[np.ndarray],
        rng: np.random.Generator,
        centre: tuple[float, float],
        half: float,
        pen: int,
        rotate: float = 0.2,
        jitter: float = 0.03,
    ) -> list[Stroke]:
        """Unit-coordinate parts -> strokes: rotated (radians, up to `rotate`), scaled to
        `half` (share of the side), wobbled by `jitter`, centred at `centre` (shares)."""
        a = rng.uniform(-rotate, rotate)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        s = self.size
        out = []
        for part in parts:
            pts = part @ rot.T + rng.normal(0.0, jitter, part.shape)
            pts = pts * half * s + np.array(centre) * s
            pts = np.clip(pts, 1.5, s - 1.5)
            out.append(Stroke(pen, [tuple(p) for p in pts.tolist()]))
        return out

    def _colour(self, rng: np.random.Generator, obj: str | None = None) -> str:
        names = list(PALETTE)
        while True:
            colour = names[rng.integers(len(names))]
            held = obj is not None and (colour, obj) in HELDOUT_PAIRS
            if self.split == "heldout" or not held:
                return colour

    # -- scene kinds ----------------------------------------------------------------------
    def single(
        self,
        rng: np.random.Generator,
        obj: str | None = None,
        colour: str | None = None,
        size: str | None = None,
    ) -> Scene:
        """One object near the centre: 'a drawing of a fish', 'a red fish', 'a big fish'."""
        obj = obj or OBJECTS[rng.integers(len(OBJECTS))]
        colour = colour or self._colour(rng, obj)
        size = size if size is not None else list(SIZES)[rng.integers(len(SIZES))]
        half = rng.uniform(*SIZES[size])
        spread = 0.5 - half - 0.04
        centre = (
            0.5 + rng.uniform(-spread, spread) * 0.4,
            0.5 + rng.uniform(-spread, spread) * 0.4,
        )
        strokes = self._place(SHAPES[obj](), rng, centre, half, _PEN_ID[colour])
        sized = f"{size} " if size else ""
        captions = [
            f"a drawing of a {obj}",
            f"a {obj}",
            f"a drawing of {obj}",
            f"a {colour} {obj}",
            f"a {obj} in {colour}",
            f"a drawing in {colour}",
            f"a {sized}{colour} {obj}",
            f"one {colour} {obj}",
        ]
        if size:
            captions.append(f"a {size} {obj}")
        facts = {"family": "single", "objects": [obj], "colour": colour, "size": size}
        return Scene(self.size, strokes, captions, facts)

    def group(
        self,
        rng: np.random.Generator,
        obj: str | None = None,
        count: int | None = None,
        position: str | None = None,
        colour: str | None = None,
    ) -> Scene:
        """One to three copies of an object at a position: 'two red circles on the left'."""
        obj = obj or OBJECTS[rng.integers(len(OBJECTS))]
        count = count or int(rng.integers(1, 4))
        position = position or list(POSITIONS)[rng.integers(len(POSITIONS))]
        colour = colour or self._colour(rng, obj)
        cx, cy = POSITIONS[position]
        vertical = position in ("on the left", "on the right")
        half = {1: 0.17, 2: 0.13, 3: 0.1}[count] * rng.uniform(0.9, 1.1)
        gap = 2.3 * half
        strokes: list[Stroke] = []
        for k in range(count):
            offset = (k - (count - 1) / 2) * gap
            centre = (cx, cy + offset) if vertical else (cx + offset, cy)
            strokes += self._place(SHAPES[obj](), rng, centre, half, _PEN_ID[colour])
        noun = obj if count == 1 else PLURALS[obj]
        n = COUNTS[count]
        captions = [
            f"{n} {colour} {noun} {position}",
            f"{n} {noun}",
            f"{n} {noun} {position}",
            f"{n} {colour} {noun}",
            f"a drawing in {colour}",
        ]
        captions += [f"a {obj} {position}"] if count == 1 else [f"a drawing of {PLURALS[obj]}"]
        facts = {
            "family": "group",
            "objects": [obj],
            "colour": colour,
            "count": count,
            "position": position,
        }
        return Scene(self.size, strokes, captions, facts)

    def relation(
        self, rng: np.random.Generator, top: str | None = None, bottom: str | None = None
    ) -> Scene:
        """One object above another: 'a sun above a boat' = 'a boat under a sun'."""
        top = top or OBJECTS[rng.integers(len(OBJECTS))]
        while bottom is None or bottom == top:
            bottom = OBJECTS[rng.integers(len(OBJECTS))]
        half = rng.uniform(0.17, 0.21)
        x = 0.5 + rng.uniform(-0.08, 0.08)
        strokes = self._place(
            SHAPES[top](), rng, (x, 0.27), half, _PEN_ID[self._colour(rng, top)]
        ) + self._place(
            SHAPES[bottom](),
            rng,
            (0.5 + rng.uniform(-0.08, 0.08), 0.73),
            half,
            _PEN_ID[self._colour(rng, bottom)],
        )
        captions = [
            f"a {top} above a {bottom}",
            f"a {bottom} under a {top}",
            f"a {top} and a {bottom}",
            f"a {top} at the top",
            f"a {bottom} at the bottom",
        ]
        facts = {"family": "relation", "objects": [top, bottom]}
        return Scene(self.size, strokes, captions, facts)

    def quad(self, rng: np.random.Generator, objects: list[str] | None = None) -> Scene:
        """Four different objects in the quadrants, read left to right, top to bottom."""
        if objects is None:
            objects = [OBJECTS[i] for i in rng.choice(len(OBJECTS), size=4, replace=False)]
        strokes: list[Stroke] = []
        for k, obj in enumerate(objects):
            centre = (0.27 + 0.46 * (k % 2), 0.27 + 0.46 * (k // 2))
            half = rng.uniform(0.15, 0.19)
            strokes += self._place(
                SHAPES[obj](), rng, centre, half, _PEN_ID[self._colour(rng, obj)]
            )
        a, b, c, d = objects
        captions = [
            f"a {a}, a {b}, a {c} and a {d}",
            f"a {a} and a {b} above a {c} and a {d}",
            f"a {a} above a {c}",
            f"a {b} above a {d}",
        ]
        facts = {"family": "quad", "objects": list(objects)}
        return Scene(self.size, strokes, captions, facts)

    def word(
        self, rng: np.random.Generator, word: str | None = None, colour: str | None = None
    ) -> Scene:
        """A word in single-stroke letters: 'the word "MOON" written in letters'."""
        word = word or WORDS[rng.integers(len(WORDS))]
        colour = colour or list(PALETTE)[rng.integers(len(PALETTE))]
        half = min(0.44, 0.1 * len(word)) * rng.uniform(0.85, 1.0)
        centre = (0.5 + rng.uniform(-0.03, 0.03), 0.5 + rng.uniform(-0.2, 0.2))
        strokes = self._place(
            [polyline_points(p) for p in _word_polylines(word)],
            rng,
            centre,
            half,
            _PEN_ID[colour],
            rotate=0.08,
            jitter=0.008,
        )
        captions = [
            f'the word "{word}" written in letters',
            f"the word {word} written in letters",
            f"the word {word}",
            f'the word "{word.lower()}"',
            WRITING_CAPTIONS[0],
        ]
        facts = {"family": "word", "word": word, "colour": colour}
        return Scene(self.size, strokes, captions, facts)

    def page(self, rng: np.random.Generator) -> Scene:
        """Three or four short lines of small words: 'a page of written words'."""
        colour = list(PALETTE)[rng.integers(len(PALETTE))]
        lines = int(rng.integers(3, 5))
        strokes: list[Stroke] = []
        for k in range(lines):
            text = " ".join(WORDS[i] for i in rng.integers(len(WORDS), size=2))
            y = 0.5 + (k - (lines - 1) / 2) * 0.2
            strokes += self._place(
                [polyline_points(p) for p in _word_polylines(text)],
                rng,
                (0.5, y),
                0.42,
                _PEN_ID[colour],
                rotate=0.05,
                jitter=0.005,
            )
        facts = {"family": "page", "colour": colour}
        return Scene(self.size, strokes, [WRITING_CAPTIONS[1], WRITING_CAPTIONS[0]], facts)

    def noise(self, rng: np.random.Generator, strokes: int | None = None) -> Scene:
        """Random scribbles: 4 to 12 random cubic strokes in random pens."""
        count = strokes or int(rng.integers(4, 13))
        out = []
        s = self.size
        for _ in range(count):
            k = int(rng.integers(1, 4))
            start = rng.uniform(0.1, 0.9, size=(1, 2))
            steps = rng.normal(0.0, 0.18, size=(3 * k, 2))
            pts = np.clip(np.concatenate([start, start + steps.cumsum(0)]), 0.03, 0.97) * s
            out.append(Stroke(int(rng.integers(1, len(PALETTE) + 1)), [tuple(p) for p in pts]))
        facts = {"family": "noise", "strokes": count}
        return Scene(self.size, out, list(NOISE_CAPTIONS), facts)

    def scene(self, rng: np.random.Generator, family: str | None = None) -> Scene:
        """A scene of the given family (default: drawn with the FAMILIES weights)."""
        if family is None:
            names = list(FAMILIES)
            weights = np.array(list(FAMILIES.values()))
            family = names[rng.choice(len(names), p=weights / weights.sum())]
        return getattr(self, family)(rng)

    def scenes(self, count: int, seed: int, family: str | None = None) -> list[Scene]:
        """`count` scenes from seed `seed` (the split salts the seed, so splits never share draws)."""
        rng = np.random.default_rng([seed, 0 if self.split == "train" else 1])
        return [self.scene(rng, family) for _ in range(count)]


def family_captions(task: str) -> list[str]:
    """The candidate captions of a zero-shot task, in a fixed order.

    object: 'a drawing of a X' (15); colour: 'a C X' (60); count: 'N Xs' (45);
    relation: 'a X above a Y' (210); word: the 20 word captions and the 15 object
    captions (a written word must beat the drawn object).
    """
    if task == "object":
        return [f"a drawing of a {o}" for o in OBJECTS]
    if task == "colour":
        return [f"a {c} {o}" for o in OBJECTS for c in PALETTE]
    if task == "count":
        return [f"{COUNTS[n]} {o if n == 1 else PLURALS[o]}" for o in OBJECTS for n in COUNTS]
    if task == "relation":
        return [f"a {a} above a {b}" for a in OBJECTS for b in OBJECTS if a != b]
    if task == "word":
        return [f'the word "{w}" written in letters' for w in WORDS] + family_captions("object")
    raise ValueError(f"unknown task {task!r}")


def _split_long(points: Tensor, max_segments: int = 4) -> list[Tensor]:
    """Cut a stroke [3k+1, 2] into pieces of at most max_segments cubic segments."""
    k = (len(points) - 1) // 3
    return [points[3 * i : 3 * min(k, i + max_segments) + 1] for i in range(0, k, max_segments)]


def render_scenes(
    scenes: list[Scene], per_call: int = 64, device: str | torch.device = "cpu"
) -> Tensor:
    """Render scenes (all of one size S) to RGB [B, 3, S, S] in [0, 1] (on the CPU), pen ink
    on white; the rasterizer runs on `device`.

    Scenes are laid out side by side on one large sheet with a white gutter so that one
    `rasterize` call draws `per_call` of them; long strokes are cut into pieces of at
    most four segments so that the padded stroke batch stays small.
    """
    if not scenes:
        raise ValueError("no scenes to render")
    size = scenes[0].size
    pens = {p.id: p for p in palette_pens(size)}
    cell = size + 8
    out = []
    for start in range(0, len(scenes), per_call):
        chunk = scenes[start : start + per_call]
        cols = math.ceil(math.sqrt(len(chunk)))
        rows = math.ceil(len(chunk) / cols)
        pieces, widths, colours = [], [], []
        for i, scene in enumerate(chunk):
            offset = torch.tensor([(i % cols) * cell + 4.0, (i // cols) * cell + 4.0])
            for st in scene.strokes:
                pen = pens[st.pen]
                for piece in _split_long(torch.tensor(st.points, dtype=torch.float32)):
                    pieces.append(piece + offset)
                    widths.append(pen.width_mm)  # 1 mm = 1 px on the sheet
                    colours.append(pen.rgb)
        k = max((len(p) - 1) // 3 for p in pieces)
        points = torch.stack([torch.cat([p, p[-1:].expand(3 * k + 1 - len(p), 2)]) for p in pieces])
        batch = StrokeBatch(
            points.to(device),
            torch.tensor([(len(p) - 1) // 3 for p in pieces], device=device),
            torch.tensor(widths, dtype=torch.float32, device=device),
            torch.tensor(colours, dtype=torch.float32, device=device),
        )
        with torch.no_grad():
            sheet = rasterize(batch, rows * cell, cols * cell, mode="ink", samples=8).cpu()
        for i in range(len(chunk)):
            y, x = (i // cols) * cell + 4, (i % cols) * cell + 4
            out.append(sheet[:, y : y + size, x : x + size])
    return torch.stack(out)
