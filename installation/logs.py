"""Logging: readable lines on stderr, structured JSON lines in the data directory."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

__all__ = ["setup_logging", "JsonLineFormatter"]

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record; `extra=` fields are kept as keys."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                data[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
                )
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "INFO", data_dir: Path | None = None, verbose: int = 0) -> None:
    """Configure the root logger once: stderr at `level` (DEBUG with -v), JSON file under data_dir/logs."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        # Ours from an earlier call, or the stderr handler logging.basicConfig() adds when a
        # library logs at import (vpype does): it would print every INFO line.
        implicit = type(handler) is logging.StreamHandler and handler.stream is sys.stderr
        if getattr(handler, "_dreamdraw", False) or implicit:
            root.removeHandler(handler)
    stderr_level = logging.DEBUG if verbose else getattr(logging, level.upper(), logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(stderr_level if verbose else max(stderr_level, logging.WARNING))
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    console._dreamdraw = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if data_dir is not None:
        log_dir = Path(data_dir) / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_dir / "dreamdraw.jsonl", encoding="utf-8")
        file_handler.setLevel(stderr_level)
        file_handler.setFormatter(JsonLineFormatter())
        file_handler._dreamdraw = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    root.setLevel(min(h.level for h in root.handlers if getattr(h, "_dreamdraw", False)))
