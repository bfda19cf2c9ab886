"""A short soak: four writer processes and a browsing curator on one archive lose nothing."""

from __future__ import annotations

from pathlib import Path

from bench.archive_soak import run_soak


def test_four_writers_and_the_web_server_for_a_few_seconds_lose_nothing(tmp_path: Path) -> None:
    result = run_soak(seconds=4, processes=4, root=tmp_path)
    assert result["worker_exit_codes"] == [0, 0, 0, 0]
    assert result["worker_errors"] == {}
    assert result["adds"] > 0 and result["deletes"] > 0
    assert result["relabels"] + result["hides"] > 0
    assert result["http_requests"] > 0 and result["http_5xx"] == 0
    assert result["server_tracebacks"] == 0
    assert result["acknowledged_missing"] == 0 and result["missing_files"] == 0
    assert result["records_at_end"] == result["acknowledged_kept"]
    assert result["check_exit_code"] == 0 and result["check"].endswith(": ok")
