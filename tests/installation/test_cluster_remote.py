"""`dreamdraw analyse archive --ray ADDRESS` against a Ray cluster started apart (`ray start
--head`), as on a real head node; and an address where nothing listens."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from dreamdraw.archive import open_archive
from dreamdraw.installation.cli import main

from tests.installation.test_cluster import CONFIG, DREAMS, an_archive, analyses_per_record

pytest.importorskip("ray")


def a_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def head():
    """A Ray head node of 2 CPUs in its own process group, with its own temp folder (so no
    other test's `ray.init()` finds it) and token; killed, group and all, at the end (never
    `ray stop`, which would stop every Ray cluster on the machine)."""
    # Short: Ray's socket paths under it must stay within 107 characters.
    temp_dir = tempfile.mkdtemp(prefix="rayh")
    port = a_free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env |= {
        "RAY_AUTH_MODE": "token",  # Ray's default for a head; a driver must opt in by name
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    log = Path(temp_dir) / "head.log"
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", f"--port={port}"]
    command += ["--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"]
    command += [f"--temp-dir={temp_dir}", "--block"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the Ray head did not start in 90 s"
            time.sleep(0.2)
        yield f"127.0.0.1:{port}", env
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def dreamdraw(tmp_path, env, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "venue.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "dreamdraw", "--config", str(config)]
    command += ["--data-dir", str(tmp_path / "data"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_an_archive_is_analysed_on_a_cluster_started_apart_each_pair_stored_once(head, tmp_path):
    address, env = head
    an_archive(tmp_path / "data", DREAMS[:3]).close()
    done = dreamdraw(
        tmp_path,
        env,
        *("analyse", "archive", "--all", "--ray", address, "--workers", "1"),
        *("--batch-size", "1", "--clip", "test:tiny", "--no-fixlip"),
    )
    assert done.returncode == 0, done.stderr
    assert "analysed 3 pairs, 0 failed" in done.stdout
    with open_archive(tmp_path / "data") as archive:
        for record_id in (1, 2, 3):
            assert archive.get(record_id).cluster is not None
            assert analyses_per_record(archive, record_id) == 1


def test_an_address_where_nothing_listens_is_a_one_line_error_at_once(tmp_path, capsys):
    an_archive(tmp_path / "data", DREAMS[:1]).close()
    address = f"127.0.0.1:{a_free_port()}"
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        main(
            ["--data-dir", str(tmp_path / "data"), "analyse", "archive", "--all", "--ray", address]
        )
    assert time.monotonic() - started < 30  # Ray alone retries such an address for minutes
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no Ray cluster answers at {address} (") and err.count("\n") == 1
