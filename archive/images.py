"""Thumbnails and media types of stored files."""

from __future__ import annotations

import io

from dreamdraw.archive.errors import ArchiveError
from PIL import Image, UnidentifiedImageError

__all__ = ["make_thumbnail", "media_type_of"]


def make_thumbnail(png: bytes, max_px: int) -> bytes:
    """A PNG whose longest side is at most `max_px` px, composited over white paper."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError) as exc:
        raise ArchiveError(f"the drawing PNG cannot be read: {exc}") from None
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    paper.alpha_composite(rgba)
    thumb = paper.convert("RGB")
    thumb.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, format="PNG", optimize=True)
    return out.getvalue()


def media_type_of(data: bytes) -> str:
    """The media type of a stored file, from its first bytes."""
    head = data[:512].lstrip()
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096]):
        return "image/svg+xml"
    if head.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "application/octet-stream"
