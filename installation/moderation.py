"""The moderation word list: whole words or phrases, any case, `word*` for any ending."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["WordList"]


def _fold(text: str) -> str:
    """Lower case without accents, so 'Mátalo' and 'matalo' match the same entry."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class WordList:
    """Entries match whole words (or phrases, any whitespace between words) in a dream."""

    def __init__(self, entries: list[str]) -> None:
        patterns = []
        for entry in entries:
            words = _fold(entry).strip().split()
            if not words:
                continue
            prefix = words[-1].endswith("*")
            words[-1] = words[-1].rstrip("*")
            body = r"\s+".join(re.escape(w) for w in words if w)
            if body:
                patterns.append(rf"(?<!\w){body}" + (r"\w*" if prefix else r"(?!\w)"))
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def blocked_by(self, text: str) -> str | None:
        """The first matching entry's text in the dream, or None when the dream may be drawn."""
        if self._pattern is None:
            return None
        match = self._pattern.search(_fold(text))
        return match.group(0) if match else None
