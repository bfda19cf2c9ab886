"""Sample dream-drawing pairs and a live web server for the archive tests."""

from __future__ import annotations

import dataclasses
import io
import socket
import threading
import time
from typing import Any

import numpy as np
import uvicorn
from dreamdraw.analysis.clusters import ClusterEvidence
from dreamdraw.analysis.interactions import InteractionResult
from dreamdraw.archive import Archive, Record
from PIL import Image, ImageDraw

__all__ = [
    "LiveServer",
    "add_dream",
    "drawing",
    "drawing_png",
    "drawing_svg",
    "free_port",
    "transcript",
]


def drawing_png(seed: int = 0, size: tuple[int, int] = (320, 240)) -> bytes:
    """A small PNG with a few coloured lines; different seeds give different bytes."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for k in range(4):
        y = (seed * 37 + k * 53) % size[1]
        draw.line(
            [(10, y), (size[0] - 10, (y + 90) % size[1])], fill=(200, 40 * k, seed % 255), width=4
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def drawing_svg(seed: int = 0) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="148mm" '
        f'viewBox="0 0 320 240"><g id="layer1"><path d="M 10 {seed % 240} L 300 120" '
        'stroke="black" fill="none"/></g></svg>'
    )


def transcript(text: str, language: str = "en", english: str | None = None) -> dict[str, Any]:
    """A transcript object as speech's Transcript.to_json() writes it."""
    return {
        "text": text,
        "language": language,
        "english": english if english is not None else text,
        "segments": [{"start": 0.0, "end": 2.5, "text": text, "avg_logprob": -0.2}],
        "duration_s": 2.5,
        "engine": "faster-whisper",
        "model": "tiny.en",
    }


def drawing(prompt: str, seed: int = 1, score: float = 0.31) -> dict[str, Any]:
    """A drawing object as drawing's Drawing.to_json() writes it (strokes shortened)."""
    return {
        "format": "dreamdraw.drawing/1",
        "canvas_width": 320,
        "canvas_height": 240,
        "paper": {"width_mm": 210.0, "height_mm": 148.0},
        "pens": [{"id": 1, "color": "#000000", "width_mm": 0.5}],
        "strokes": [{"pen": 1, "points": [[1, 2], [3, 4], [5, 6], [7, 8]]}] * 3,
        "prompt": prompt,
        "mode": "plotter",
        "seed": seed,
        "model_id": "ViT-B-32",
        "final_score": score,
    }


def add_dream(archive: Archive, text: str, seed: int = 0, **kw: Any) -> Record:
    """Add one pair whose files depend on `seed`; keyword arguments go to Archive.add."""
    language = kw.pop("language", "en")
    english = kw.pop("english", None)
    return archive.add(
        transcript=transcript(text, language, english),
        drawing=drawing(english or text, seed),
        svg=drawing_svg(seed),
        png=drawing_png(seed),
        venue=kw.pop("venue", "Tabakalera"),
        **kw,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The web app served by uvicorn in a thread on a free port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def fixlip(r2: float | None, budget: int = 4096, p: float = 0.5) -> dict[str, Any]:
    """A FIXLIP result as the analysis suite stores it (InteractionResult.to_dict())."""
    n = 4
    return InteractionResult(
        player_names=["p0", "p1", "whale", "Berlin"],
        p=p,
        order=2,
        intercept=0.1,
        first_order=np.zeros(n),
        summary=np.zeros(n),
        interactions=np.zeros((n, n)),
        n_image=2,
        grid=(1, 2),
        budget=budget,
        r2=r2,
    ).to_dict()


def evidence(**changes: Any) -> dict[str, Any]:
    """Cluster evidence as the analysis stage stores it (dataclasses.asdict)."""
    measured = ClusterEvidence(
        cosine=0.2712,
        rank=4,
        n_distractors=30,
        margin=-0.0123,
        writing_share=0.07,
        typography=0.18,
        entropy=0.61,
        best_distractor="a wall over Berlin",
        best_other="a bird",
        best_other_margin=0.004,
        main_word=None,
        main_word_top=False,
        speech_logprob=None,
        translated=True,
    )
    return {**dataclasses.asdict(measured), **changes}
