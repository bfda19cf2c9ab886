"""`dreamdraw archive serve` checks its port before it says where the archive is."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def serve(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dreamdraw", "archive", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DREAMDRAW_DATA_DIR": str(tmp_path / "data")},
    )


def test_a_port_out_of_range_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    process = serve(tmp_path, "--port", "99999")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and out == ""
    assert "99999 is not in the range 0<=x<=65535" in err and "Traceback" not in err


def test_a_busy_port_is_one_line_and_no_address_is_announced(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = serve(tmp_path, "--port", str(port))
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "archive at" not in out
    assert err.strip() == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port"
    )


def test_port_zero_serves_on_the_free_port_it_announces(tmp_path: Path) -> None:
    process = serve(tmp_path, "--port", "0", "--public")
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"archive at http://127\.0\.0\.1:(\d+)/ \(public, read-only\)\n", line)
        assert match, line
        url = f"http://127.0.0.1:{match.group(1)}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
