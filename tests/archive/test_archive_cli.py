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
from archive_samples import add_dream, free_port
from cli_runner import run_cli as _run

from archive import open_archive


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
        "installation.cli",
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
