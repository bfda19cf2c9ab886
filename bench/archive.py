"""Archive benchmark: HTTP latency of gallery, search and detail over many records; Parquet export.

Prints one JSON line. Usage: python -m bench.archive [--records 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from dreamdraw.archive import Consent, Record, create_app, open_archive
from dreamdraw.archive.images import make_thumbnail
from dreamdraw.archive.record import CLUSTERS
from PIL import Image, ImageDraw

WORDS = [
    "whale",
    "sea",
    "stairs",
    "house",
    "mother",
    "forest",
    "glass",
    "moon",
    "train",
    "river",
    "bird",
    "door",
    "fire",
    "snow",
    "city",
    "garden",
    "mirror",
    "letter",
    "clock",
    "boat",
    "mountain",
    "child",
    "dog",
    "cat",
    "bridge",
    "window",
    "road",
    "rain",
    "sun",
    "star",
    "ladder",
    "tower",
    "island",
    "wolf",
    "horse",
    "teacher",
    "school",
    "flying",
    "falling",
    "running",
    "water",
    "teeth",
    "hair",
    "wedding",
    "church",
    "market",
    "shadow",
    "light",
    "dark",
    "night",
    "morning",
    "storm",
    "ocean",
    "desert",
]
LANGUAGES = ["en", "de", "es", "eu", "fr", "it", "ja"]
VENUES = ["Tabakalera", "ACM MM", "Ars Electronica"]
EXPORT_SCRIPT = """
import sys, time
from dreamdraw.archive import open_archive, export_records
archive = open_archive(sys.argv[1])
start = time.perf_counter()
result = export_records(archive, "parquet", sys.argv[2])
print(result.count, time.perf_counter() - start)
"""


def _png(seed: int) -> bytes:
    image = Image.new("RGB", (224, 224), "white")
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    for _ in range(12):
        draw.line(
            [(rng.randrange(224), rng.randrange(224)) for _ in range(4)], fill="black", width=2
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def generate(archive_dir: Path, count: int, seed: int = 0) -> float:
    """Bulk-insert `count` synthetic records (50 distinct drawings); returns seconds taken."""
    start = time.perf_counter()
    rng = random.Random(seed)
    archive = open_archive(archive_dir)
    drawings = []
    for k in range(50):
        png = _png(k)
        drawings.append(
            {
                "png": archive.put_blob(png),
                "thumbnail": archive.put_blob(make_thumbnail(png, 128)),
                "svg": archive.put_blob(
                    f"<svg xmlns='http://www.w3.org/2000/svg' id='{k}'/>".encode()
                ),
            }
        )
    first = datetime(2024, 1, 1, tzinfo=UTC)
    clusters = [*CLUSTERS, None]

    def records() -> Iterator[Record]:
        for i in range(count):
            words = " ".join(rng.choices(WORDS, k=rng.randint(8, 40)))
            cluster = rng.choice(clusters)
            yield Record(
                id=None,
                created_at=first + timedelta(minutes=7 * i),
                venue=rng.choice(VENUES),
                transcript={"text": words, "language": rng.choice(LANGUAGES), "english": words},
                drawing={"prompt": words, "seed": i, "final_score": rng.uniform(0.2, 0.35)},
                blobs=drawings[i % 50],
                clip_score=rng.uniform(0.2, 0.35),
                cluster=cluster,
                cluster_confidence=rng.random() if cluster else None,
                hidden=rng.random() < 0.01,
                consent=Consent(),
            )

    archive.import_records(records(), batch_size=5000)
    archive.close()
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        round(statistics.median(ordered) * 1000, 2),
        round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2),
    )


def measure_http(archive_dir: Path, requests: int, count: int) -> dict[str, float]:
    """p50/p95 latency (ms) of the gallery, a search and a detail page over HTTP."""
    archive = open_archive(archive_dir)
    app = create_app(archive, secret="bench")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    rng = random.Random(1)
    routes = {
        "gallery": lambda: f"/?page={rng.randint(1, 20)}",
        "search": lambda: f"/?q={rng.choice(WORDS)}+{rng.choice(WORDS)[:3]}",
        "detail": lambda: f"/records/{rng.randint(1, count)}",
    }
    figures: dict[str, float] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        for name, make_path in routes.items():
            for _ in range(5):
                http.get(make_path())
            samples = []
            for _ in range(requests):
                path = make_path()
                start = time.perf_counter()
                response = http.get(path)
                samples.append(time.perf_counter() - start)
                if response.status_code not in (200, 404):
                    raise RuntimeError(f"{path} answered {response.status_code}")
            figures[f"{name}_p50_ms"], figures[f"{name}_p95_ms"] = _percentiles(samples)
    server.should_exit = True
    thread.join(timeout=10)
    archive.close()
    return figures


def measure_export(archive_dir: Path) -> dict[str, float]:
    """Parquet export time (s) and the peak RSS (MB) of the process that ran it."""
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [sys.executable, "-c", EXPORT_SCRIPT, str(archive_dir), out],
            check=True,
            capture_output=True,
            text=True,
        )
    rows, seconds = result.stdout.split()
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "export_rows": int(rows),
        "export_parquet_s": round(float(seconds), 2),
        "export_peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="synthetic records")
    parser.add_argument("--requests", type=int, default=200, help="requests per route")
    parser.add_argument("--data-dir", type=Path, help="keep the archive here (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive_dir = args.data_dir or Path(tmp) / "data"
        generate_s = generate(archive_dir, args.records)
        figures = {
            "bench": "archive",
            "backend": "sqlite",
            "records": args.records,
            "generate_s": round(generate_s, 1),
            **measure_http(archive_dir, args.requests, args.records),
            **measure_export(archive_dir),
            "db_mb": round((archive_dir / "archive.db").stat().st_size / 2**20, 1),
            # Latencies on a shared machine scale with its load; report it beside them.
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
