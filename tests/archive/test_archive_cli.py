"""`dreamdraw archive` commands: add-curator, list, check, export; user errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dreamdraw.archive import open_archive

from tests.archive.archive_samples import add_dream, free_port
from tests.cli_runner import run_cli as _run


@pytest.fixture
def filled_dir(data_dir: Path) -> Path:
    with open_archive(data_dir) as archive:
        add_dream(archive, "a whale over Berlin", seed=1)
        add_dream(archive, "letters in the sky", seed=2, language="de")
    return data_dir


def test_add_curator_then_the_password_verifies(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = _run(
        capsys,
        "--data-dir",
        str(data_dir),
        "archive",
        "add-curator",
        "ann",
        "--password",
        "correct horse",
    )
    assert code == 0 and "ann" in out
    with open_archive(data_dir) as archive:
        assert archive.verify_curator("ann", "correct horse")


def test_list_prints_newest_first_and_filters(
    capsys: pytest.CaptureFixture[str], filled_dir: Path
) -> None:
    code, out, _ = _run(capsys, "--data-dir", str(filled_dir), "archive", "list")
    assert code == 0
    assert out.index("letters in the sky") < out.index("a whale over Berlin")
    _, out, _ = _run(
        capsys, "--data-dir", str(filled_dir), "archive", "list", "--language", "de", "--json"
    )
    assert [json.loads(line)["transcript"]["text"] for line in out.splitlines()] == [
        "letters in the sky"
    ]


def test_check_exits_0_when_healthy_and_1_when_a_blob_is_missing(
    capsys: pytest.CaptureFixture[str], filled_dir: Path
) -> None:
    code, out, _ = _run(capsys, "--data-dir", str(filled_dir), "archive", "check")
    assert code == 0 and "2 records" in out and "ok" in out
    with open_archive(filled_dir) as archive:
        record = archive.list().records[0]
        archive.blobs.path(record.blobs["png"]).unlink()
    code, out, _ = _run(capsys, "--data-dir", str(filled_dir), "archive", "check", "--repair")
    assert code == 1 and "missing blob" in out


def test_export_writes_the_format_and_a_datasheet(
    capsys: pytest.CaptureFixture[str], filled_dir: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "export"
    code, out, _ = _run(
        capsys,
        "--data-dir",
        str(filled_dir),
        "archive",
        "export",
        "--format",
        "jsonl",
        "--out",
        str(out_dir),
        "--search",
        "whale",
        "--with-images",
    )
    assert code == 0 and "exported 1 records" in out
    row = json.loads((out_dir / "records.jsonl").read_text())
    assert row["dream"] == "a whale over Berlin"
    assert (out_dir / row["image_file"]).is_file()
    assert (out_dir / "DATASHEET.md").is_file()


def _evidence(group: int, jitter: float) -> dict:
    """Stored cluster evidence: four well-separated groups of measurements."""
    cosine, margin, writing, typography, entropy, other = [
        (0.31, 0.05, 0.05, 0.50, 0.40, -0.06),
        (0.24, 0.00, 0.70, 0.85, 0.35, -0.02),
        (0.18, -0.03, 0.10, 0.45, 0.95, -0.01),
        (0.20, -0.02, 0.05, 0.48, 0.30, 0.06),
    ][group]
    return {
        "cosine": cosine + jitter,
        "rank": 1,
        "n_distractors": 30,
        "margin": margin,
        "writing_share": writing,
        "typography": typography,
        "entropy": entropy,
        "best_other_margin": other,
        "main_word_top": None,
    }


def test_export_adds_a_kmeans_check_of_the_analysed_pairs(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    clusters = ["clear_concept", "text_as_image", "indeterminacy", "lost_in_translation"]
    with open_archive(data_dir) as archive:
        for n in range(10):
            record = add_dream(archive, f"dream number {n}", seed=n)
            if n < 8:
                archive.attach_analysis(
                    record.id,
                    {},
                    cluster=clusters[n % 4],
                    confidence=0.8,
                    evidence=_evidence(n % 4, 0.001 * n),
                )
        # Evidence from an older or damaged analysis is left out and counted.
        archive.attach_analysis(record.id, {}, cluster="clear_concept", evidence={"cosine": 1})
    out_dir = tmp_path / "export"
    code, out, _ = _run(
        capsys, "--data-dir", str(data_dir), "archive", "export", "--format", "csv",
        "--out", str(out_dir),
    )  # fmt: skip
    assert code == 0 and "exported 10 records" in out
    assert "k-means check (k=4) on 8 analysed records: adjusted Rand index 1.00" in out
    report = json.loads((out_dir / "kmeans.json").read_text())
    assert report["n"] == 8 and report["left_out_unreadable_evidence"] == 1
    assert len(set(report["groups"].values())) == 4


def test_export_without_analysed_pairs_skips_the_kmeans_check(
    capsys: pytest.CaptureFixture[str], filled_dir: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "export"
    code, out, _ = _run(
        capsys, "--data-dir", str(filled_dir), "archive", "export", "--format", "jsonl",
        "--out", str(out_dir),
    )  # fmt: skip
    assert code == 0 and "k-means check skipped: fewer than 4 analysed records" in out
    assert not (out_dir / "kmeans.json").exists()


def test_unknown_cluster_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], filled_dir: Path
) -> None:
    code, _, err = _run(
        capsys, "--data-dir", str(filled_dir), "archive", "list", "--cluster", "nope"
    )
    assert code == 2
    assert err.strip() == (
        "error: unknown cluster 'nope'; use one of clear_concept, text_as_image, "
        "indeterminacy, lost_in_translation"
    )


def test_serve_answers_over_http_in_public_mode(filled_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DREAMDRAW_DATA_DIR": str(filled_dir)}
    command = [
        sys.executable,
        "-m",
        "dreamdraw",
        "archive",
        "serve",
        "--port",
        str(port),
        "--public",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start in 90 s"
                time.sleep(0.2)
        assert health.json() == {"ok": True, "public": True}
        records = httpx.get(f"http://127.0.0.1:{port}/api/records").json()
        assert records["total"] == 2
    finally:
        server.terminate()
        server.wait(timeout=10)
