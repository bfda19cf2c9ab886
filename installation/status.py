"""The technician's view: status.json in the data directory, `dreamdraw status`, a status page."""

from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["STALE_AFTER_S", "StatusServer", "format_status", "read_status", "write_status"]

log = logging.getLogger("dreamdraw.status")

STALE_AFTER_S = 10.0  # a running show rewrites its status at least every second


def _status_path(data_dir: Path) -> Path:
    return Path(data_dir) / "status.json"


def write_status(data_dir: Path, status: dict[str, Any]) -> None:
    """Replace DATA/status.json atomically (readers never see half a file)."""
    path = _status_path(data_dir)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(status, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a full disk must not stop the show; the fault is reported elsewhere
        log.debug("cannot write %s: %s", path, exc)
        tmp.unlink(missing_ok=True)


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """The last status a show wrote here, with `running` (fresh heartbeat); None if none ever ran."""
    try:
        status = json.loads(_status_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    age = time.time() - float(status.get("heartbeat", 0))
    status["running"] = bool(status.get("running")) and age < STALE_AFTER_S
    status["age_s"] = round(age, 1)
    return status


def format_status(status: dict[str, Any] | None) -> str:
    """Plain lines for a terminal: state, queues, plotter, active faults, counters."""
    if status is None:
        return "no show has run with this data directory (no status.json)"
    lines = [
        f"show: {'running' if status['running'] else 'not running'}"
        f" (status written {status['age_s']:.0f} s ago, venue {status.get('venue', '')!r})",
        f"state: {status.get('state')}  visitor: {status.get('visitor')}"
        f"  input: {'keyboard' if status.get('keyboard_mode') else 'microphone'}",
        f"drawing device: {status.get('drawing_device')}",
    ]
    for name, q in status.get("queues", {}).items():
        lines.append(f"queue {name}: {q['size']}/{q['bound']} (most {q['most']})")
    plot = status.get("plotter", {})
    lines.append(
        f"plotter: {plot.get('state')}"
        + (f", record {plot['record']} {plot['fraction']:.0%}" if plot.get("record") else "")
    )
    faults = status.get("faults", [])
    lines.append(f"active faults: {len(faults)}")
    lines += [f"  {f['kind']} ({f['severity']}, {f['at']}): {f['message']}" for f in faults]
    counters = status.get("counters", {})
    if counters:
        lines.append("counts: " + ", ".join(f"{k} {v}" for k, v in sorted(counters.items())))
    return "\n".join(lines)


class StatusServer:
    """GET /status.json (the status as JSON) and / (the same, as an escaped HTML page)."""

    def __init__(self, status: Callable[[], dict[str, Any]], host: str, port: int) -> None:
        get_status = status

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                if self.path == "/status.json":
                    body = json.dumps(get_status(), ensure_ascii=False).encode("utf-8")
                    kind = "application/json"
                elif self.path == "/":
                    text = format_status({**get_status(), "running": True, "age_s": 0.0})
                    body = (
                        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5>"
                        f"<title>dreamdraw status</title><pre>{html.escape(text)}</pre>"
                    ).encode()
                    kind = "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("status page: " + format, *args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="status-page", daemon=True
        )

    def start(self) -> StatusServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
