"""Signed session cookies (itsdangerous) carrying the curator's name and a CSRF token."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dreamdraw.archive.errors import ArchiveError
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = ["COOKIE_NAME", "SessionCodec", "load_or_create_secret", "new_csrf_token"]

COOKIE_NAME = "dreamdraw_session"


class SessionCodec:
    """Turns a session dict into a signed, timestamped cookie value and back."""

    def __init__(self, secret: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="dreamdraw.archive.session")
        self.max_age_s = max_age_s

    def dumps(self, session: dict[str, Any]) -> str:
        return self._serializer.dumps(session)

    def loads(self, value: str | None) -> dict[str, Any]:
        """The session in `value`; an empty one when absent, forged or expired."""
        if not value:
            return {}
        try:
            data = self._serializer.loads(value, max_age=self.max_age_s)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def load_or_create_secret(path: str | Path) -> str:
    """The session key kept in `path` (created with mode 0600 on first use)."""
    path = Path(path)
    try:
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        secret = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret + "\n")
        return secret
    except OSError as exc:
        raise ArchiveError(f"cannot read or create the session key {path}: {exc}") from None
