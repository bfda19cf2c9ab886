"""Crash safety: a writer SIGKILLed at random moments never leaves a half record behind."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from dreamdraw.archive import RecordFilter, check_archive, open_archive

from tests.archive.archive_samples import drawing, drawing_png, drawing_svg, transcript

KILLS = 50


def _dream_text(n: int) -> str:
    # Lengths vary from a few bytes to 60 kB so kills land inside large writes too.
    return f"dream {n}: " + "the sea climbed the stairs " * (n * 7919 % 2300)


def _writer(data_dir: str, first: int, pipe: Connection) -> None:
    """Add records forever, reporting each id only after add() returned (committed)."""
    archive = open_archive(data_dir)
    pipe.send("ready")
    n = first
    while True:
        record = archive.add(
            transcript=transcript(_dream_text(n)),
            drawing=drawing(f"dream {n}", seed=n),
            svg=drawing_svg(n),
            png=drawing_png(n),
            venue="crash-test",
        )
        pipe.send((record.id, n))
        n += 1


@pytest.mark.slow
def test_writer_killed_at_random_moments_leaves_only_complete_records(data_dir: Path) -> None:
    open_archive(data_dir).close()
    context = multiprocessing.get_context("fork")
    rng = random.Random(1234)
    committed: dict[int, int] = {}
    first = 0
    for round_ in range(KILLS):
        parent, child = context.Pipe(duplex=False)
        process = context.Process(target=_writer, args=(str(data_dir), first, child))
        process.start()
        child.close()
        assert parent.recv() == "ready"
        if round_ % 5 == 0:
            # Now and then let one record commit first, so that kills also land in later writes
            # however slow the machine is.
            record_id, n = parent.recv()
            committed[record_id] = n
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        while parent.poll():
            try:
                record_id, n = parent.recv()
            except EOFError:
                break
            committed[record_id] = n
        first += 1000
    assert len(committed) >= KILLS // 5

    archive = open_archive(data_dir)
    report = check_archive(archive)
    assert report.ok, report.summary()
    visible = list(archive.iter_records(RecordFilter(include_hidden=True)))
    assert set(committed) <= {r.id for r in visible}
    for record in visible:
        n = int(record.drawing["prompt"].split()[1])
        assert record.dream == _dream_text(n)
        assert record.drawing == drawing(f"dream {n}", seed=n)
        assert set(record.blobs) == {"svg", "png", "thumbnail"}
        assert record.blobs["png"] == hashlib.sha256(drawing_png(n)).hexdigest()
        assert archive.blob(record.blobs["svg"]).decode() == drawing_svg(n)
    for record_id, n in committed.items():
        assert archive.get(record_id).dream == _dream_text(n)
