"""The archived dream-drawing pair (`Record`), its consent flags and the four clusters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from dreamdraw.archive.errors import ArchiveError
from dreamdraw.vocabulary import CLUSTERS, dump_tagged, load_tagged

__all__ = ["CLUSTERS", "PLOT_STATUSES", "Consent", "Record", "as_utc", "check_cluster"]

PLOT_STATUSES = ("pending", "plotting", "plotted", "failed", "skipped")


def check_cluster(value: str | None, what: str = "cluster") -> str | None:
    """Return `value` if it is None or one of the four cluster ids, else raise ArchiveError."""
    if value is not None and value not in CLUSTERS:
        raise ArchiveError(f"unknown {what} {value!r}; use one of {', '.join(CLUSTERS)}")
    return value


@dataclass
class Consent:
    """What the visitor allowed: showing the pair publicly, research use, keeping audio."""

    public: bool = True
    research: bool = True
    audio: bool = False


@dataclass
class Record:
    """One dream-drawing pair as archived.

    `transcript`, `drawing` and `analysis` are the JSON objects of the other packages'
    dataclasses (as dicts). `blobs` maps a role ("svg", "png", "thumbnail", "audio",
    "figure:<name>") to the sha256 hex of a file in the blob store. Times are UTC.
    """

    id: int | None
    created_at: datetime
    venue: str = ""
    transcript: dict[str, Any] = field(default_factory=dict)
    drawing: dict[str, Any] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)
    plot_status: str = "pending"
    plot_log: str = ""
    analysis: dict[str, Any] | None = None
    clip_score: float | None = None
    cluster: str | None = None
    cluster_confidence: float | None = None
    cluster_rationale: str = ""
    cluster_evidence: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    hidden: bool = False
    consent: Consent = field(default_factory=Consent)
    updated_at: datetime | None = None

    @property
    def dream(self) -> str:
        """The dream as spoken (the transcript's `text`)."""
        return str(self.transcript.get("text", ""))

    @property
    def english(self) -> str:
        """The dream in English: the translation, or the spoken text when it was English."""
        return str(self.transcript.get("english") or self.dream)

    @property
    def language(self) -> str:
        return str(self.transcript.get("language", "") or "")

    def to_json(self) -> str:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return dump_tagged(data, "record")

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = load_tagged(text, "record", ArchiveError)
        try:
            data["created_at"] = as_utc(datetime.fromisoformat(data["created_at"]))
            if data.get("updated_at"):
                data["updated_at"] = as_utc(datetime.fromisoformat(data["updated_at"]))
            data["consent"] = Consent(**data.get("consent", {}))
            return cls(**data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveError(f"record JSON is missing or has a bad field: {exc}") from None


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive time is taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
