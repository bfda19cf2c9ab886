"""Archive soak: processes add, relabel, hide, delete and export while `archive serve` answers.

Each worker deletes only records it added itself, so at the end every record a worker was
told was stored (and did not delete) must be there with all its files; `archive check`
must be clean; the web server must never have answered 5xx. Half the drawings share one
SVG and all share 20 PNGs, so deletes and adds race on the same files.

Prints one JSON line. Usage: python -m bench.archive_soak [--seconds 60] [--processes 4]
[--postgres-url postgresql+psycopg://USER@HOST:PORT/DB]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from dreamdraw.archive import (
    Archive,
    ArchiveError,
    RecordFilter,
    RecordNotFound,
    export_records,
    open_archive,
)
from PIL import Image, ImageDraw

__all__ = ["run_soak"]

SHARED_SVG = "<svg xmlns='http://www.w3.org/2000/svg' id='shared'><path d='M0 0 L9 9'/></svg>"
PASSWORD = "soak password 1"
OPERATIONS = ["add", "relabel", "hide", "delete", "export"]
WEIGHTS = [5, 3, 2, 2, 1]
CLUSTER_IDS = ["clear_concept", "text_as_image", "indeterminacy", "lost_in_translation"]


def _png(seed: int) -> bytes:
    image = Image.new("RGB", (96, 72), "white")
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    for _ in range(6):
        draw.line([(rng.randrange(96), rng.randrange(72)) for _ in range(3)], fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _open(place: tuple[str, str | None]) -> Archive:
    location, blob_dir = place
    return open_archive(location, blob_dir=blob_dir)


def _worker(
    index: int, place: tuple[str, str | None], seconds: float, start: Any, report: str
) -> None:
    """Random operations for `seconds` once all have met at barrier `start`; writes counts
    and the ids of the records it added and kept to `report`."""
    rng = random.Random(index)
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    mine: list[int] = []
    pngs = [_png(k) for k in range(20)]
    with _open(place) as archive, tempfile.TemporaryDirectory() as scratch:
        start.wait()
        until = time.time() + seconds
        n = 0
        while time.time() < until:
            op = rng.choices(OPERATIONS, WEIGHTS)[0]
            if op == "delete" and not mine:
                op = "add"
            try:
                if op == "add":
                    n += 1
                    svg = SHARED_SVG if rng.random() < 0.5 else f"<svg id='p{index}n{n}'/>"
                    text = f"soak dream {index}-{n} of the sea climbing stairs"
                    record = archive.add(
                        transcript={"text": text, "language": "en"},
                        drawing={"prompt": text, "seed": n, "strokes": []},
                        svg=svg,
                        png=pngs[rng.randrange(len(pngs))],
                        venue=f"soak-{index}",
                    )
                    assert record.id is not None
                    mine.append(record.id)
                elif op == "delete":
                    archive.delete(mine.pop(rng.randrange(len(mine))), actor=f"soak-{index}")
                elif op in ("relabel", "hide"):
                    shown = archive.list(RecordFilter(include_hidden=True), per_page=50).records
                    if not shown:
                        continue
                    target = rng.choice(shown)
                    assert target.id is not None
                    if op == "relabel":
                        label = rng.choice([None, *CLUSTER_IDS])
                        archive.relabel(target.id, label, actor=f"soak-{index}")
                    else:
                        archive.hide(target.id, not target.hidden, actor=f"soak-{index}")
                else:
                    result = export_records(
                        archive,
                        rng.choice(["jsonl", "csv", "parquet"]),
                        Path(scratch) / str(n),
                        with_images=rng.random() < 0.5,
                    )
                    counts["exported_rows"] += result.count
                    counts["export_rows_deleted_meanwhile"] += result.deleted_meanwhile
                counts[op] += 1
            except RecordNotFound:
                counts[f"{op}_target_deleted_meanwhile"] += 1
            except ArchiveError as exc:
                errors[f"{op}: {str(exc)[:120]}"] += 1
    Path(report).write_text(json.dumps({"counts": counts, "errors": errors, "kept": mine}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browse(base_url: str, until: float, statuses: Counter[int]) -> None:
    """A logged-in curator browsing gallery, search, API, detail pages and images."""
    rng = random.Random(99)
    with httpx.Client(base_url=base_url, timeout=30) as http:
        page = http.get("/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        login = http.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token})
        statuses[login.status_code] += 1
        while time.time() < until:
            api = http.get("/api/records", params={"per_page": 20, "page": rng.randint(1, 3)})
            statuses[api.status_code] += 1
            paths = ["/", "/?q=soak+sea", "/?cluster=indeterminacy"]
            if api.status_code == 200:
                for record in api.json()["records"][:3]:
                    paths.append(f"/records/{record['id']}")
                    paths.extend(record["images"].values())
            for path in paths:
                statuses[http.get(path).status_code] += 1


def _cli(config: Path, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dreamdraw", "--config", str(config)]
    command += ["--data-dir", str(data_dir), "archive", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def run_soak(seconds: float, processes: int, root: Path, url: str | None = None) -> dict[str, Any]:
    """Run the soak in folder `root` for `seconds`; the measured counts.

    `url`: an empty PostgreSQL database (blobs then go to `root/blobs`); default SQLite.
    """
    data_dir = root / "data"
    config = root / "venue.toml"
    # The browser speaks plain HTTP to 127.0.0.1: the session cookie may not be Secure.
    settings = "[archive]\nsecure_cookies = false\n"
    place: tuple[str, str | None] = (str(data_dir), None)
    if url is not None:
        place = (url, str(root / "blobs"))
        settings += f"url = {json.dumps(url)}\nblob_dir = {json.dumps(place[1])}\n"
    config.write_text(settings, encoding="utf-8")
    added = _cli(config, data_dir, "add-curator", "ann", "--password", PASSWORD)
    assert added.returncode == 0, added.stderr
    port = _free_port()
    server_log = (root / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "dreamdraw", "--config", str(config), "--data-dir",
         str(data_dir), "archive", "serve", "--port", str(port)],
        stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base_url}/api/health", timeout=2)
            break
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                log = (root / "serve.log").read_text()
                raise RuntimeError(f"archive serve did not start: {log}") from None
            time.sleep(0.2)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    reports = [root / f"worker{k}.json" for k in range(processes)]
    workers = [
        context.Process(target=_worker, args=(k, place, seconds, start, str(reports[k])))
        for k in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=120)
    started = time.perf_counter()
    statuses: Counter[int] = Counter()
    browser = threading.Thread(target=_browse, args=(base_url, time.time() + seconds, statuses))
    browser.start()
    for worker in workers:
        worker.join()
    browser.join()
    elapsed = time.perf_counter() - started
    server.terminate()
    server.wait(timeout=30)
    server_log.close()
    tracebacks = (root / "serve.log").read_text().count("Traceback")

    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    kept: list[int] = []
    for report in reports:
        found = json.loads(report.read_text())
        counts.update(found["counts"])
        errors.update(found["errors"])
        kept.extend(found["kept"])
    check = _cli(config, data_dir, "check")
    missing_records = missing_files = 0
    with _open(place) as archive:
        final = archive.count(RecordFilter(include_hidden=True))
        for record_id in kept:
            try:
                record = archive.get(record_id)
            except RecordNotFound:
                missing_records += 1
                continue
            missing_files += sum(not archive.blobs.exists(s) for s in record.blobs.values())
    return {
        "seconds": round(elapsed, 1),
        "processes": processes,
        "worker_exit_codes": [w.exitcode for w in workers],
        "adds": counts["add"],
        "deletes": counts["delete"],
        "relabels": counts["relabel"],
        "hides": counts["hide"],
        "exports": counts["export"],
        "exported_rows": counts["exported_rows"],
        "export_rows_deleted_meanwhile": counts["export_rows_deleted_meanwhile"],
        "relabel_hide_targets_deleted_meanwhile": sum(
            v for k, v in counts.items() if k.endswith("_target_deleted_meanwhile")
        ),
        "worker_errors": dict(errors),
        "http_requests": sum(statuses.values()),
        "http_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "http_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "server_tracebacks": tracebacks,
        "records_at_end": final,
        "acknowledged_kept": len(kept),
        "acknowledged_missing": missing_records,
        "missing_files": missing_files,
        "check_exit_code": check.returncode,
        "check": check.stdout.strip().splitlines()[0] if check.stdout.strip() else check.stderr,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run")
    parser.add_argument("--processes", type=int, default=4, help="writer processes")
    parser.add_argument(
        "--postgres-url",
        help="an empty PostgreSQL database, postgresql+psycopg://USER@HOST:PORT/DB "
        "(default: SQLite)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dreamdraw-soak-") as root:
        result = run_soak(args.seconds, args.processes, Path(root), args.postgres_url)
        print(json.dumps({"database": "postgresql" if args.postgres_url else "sqlite", **result}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
