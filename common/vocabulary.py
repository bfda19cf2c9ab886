"""Words several parts share, with one owner: the four alignment clusters and the JSON format tag.

Dependency-free, so that every part (even those that import none of each other) may use it.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

__all__ = [
    "CLUSTERS",
    "Cluster",
    "dump_tagged",
    "format_tag",
    "load_tagged",
    "parse_cluster",
    "untag",
]


class Cluster(NamedTuple):
    """An alignment cluster's display name and its definition."""

    name: str
    definition: str


# The four alignment clusters of the Dream Painter study: stable id -> name and definition.
CLUSTERS: dict[str, Cluster] = {
    "clear_concept": Cluster(
        "clear concept",
        "The dream is clearly and directly depicted.",
    ),
    "text_as_image": Cluster(
        "text-to-text as image",
        "The drawing mimics the words (letters, writing) instead of depicting them.",
    ),
    "indeterminacy": Cluster(
        "indeterminacy and confusion",
        "The link between dream and drawing is fuzzy.",
    ),
    "lost_in_translation": Cluster(
        "lost in translation",
        "The drawing is coherent but depicts something else than the dream meant "
        "(homonym, ASR or translation error, a dominant side concept).",
    ),
}


def parse_cluster(label: str) -> str:
    """A cluster id from an id or a display name (any case); raises ValueError otherwise."""
    key = label.strip().lower()
    if key in CLUSTERS:
        return key
    for cluster_id, cluster in CLUSTERS.items():
        if key == cluster.name:
            return cluster_id
    raise ValueError(f"unknown cluster {label!r}; known: {', '.join(CLUSTERS)}")


def format_tag(kind: str) -> str:
    """The `format` value that marks a dreamdraw JSON document of `kind` (version 1)."""
    return f"dreamdraw.{kind}/1"


def dump_tagged(data: dict[str, Any], kind: str) -> str:
    """`data` as JSON text with its format tag (non-ASCII text kept as written)."""
    return json.dumps({**data, "format": format_tag(kind)}, ensure_ascii=False)


def untag(data: object, kind: str, error: type[Exception]) -> dict[str, Any]:
    """A copy of `data` without its format tag; raises `error` unless it is tagged as `kind`."""
    tag = format_tag(kind)
    if not isinstance(data, dict) or data.get("format") != tag:
        raise error(f"not a dreamdraw {kind} (missing format {tag!r})")
    return {k: v for k, v in data.items() if k != "format"}


def load_tagged(text: str, kind: str, error: type[Exception]) -> dict[str, Any]:
    """The fields of a tagged JSON document of `kind`; raises `error` with one line otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{kind} JSON is malformed: {exc}") from None
    return untag(data, kind, error)
