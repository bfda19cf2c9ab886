"""The archive's tables (SQLAlchemy Core); migrations under archive/migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "MAX_RECORD_ID",
    "audit_log",
    "curator_sessions",
    "curators",
    "metadata",
    "record_blobs",
    "record_id_high_water",
    "records",
]

metadata = MetaData()

# records.id is an INTEGER: 32 bits on PostgreSQL. No record has an id outside 1..this.
MAX_RECORD_ID = 2**31 - 1

records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("venue", String(200), nullable=False),
    Column("language", String(16), nullable=False),
    # Search copies of the transcript's texts; the exact words live in transcript_json.
    Column("dream_text", Text, nullable=False),
    Column("english_text", Text, nullable=False),
    Column("transcript_json", Text, nullable=False),
    Column("drawing_json", Text, nullable=False),
    Column("plot_status", String(16), nullable=False),
    Column("plot_log", Text, nullable=False),
    Column("analysis_json", Text),
    Column("clip_score", Float),
    Column("cluster", String(32)),
    Column("cluster_confidence", Float),
    Column("cluster_rationale", Text, nullable=False),
    Column("cluster_evidence_json", Text, nullable=False),
    Column("label", String(32)),
    Column("hidden", Boolean, nullable=False),
    Column("consent_public", Boolean, nullable=False),
    Column("consent_research", Boolean, nullable=False),
    Column("consent_audio", Boolean, nullable=False),
)

# SQLite only (migration 0003): the largest record id ever given. SQLite's own choice is
# the largest id in the table plus one, which would give a deleted newest record's id (and
# its audit entries) to the next record; PostgreSQL's sequence never goes back.
record_id_high_water = Table(
    "record_id_high_water",
    metadata,
    Column("one", Integer, primary_key=True),
    Column("last_id", Integer, nullable=False),
)

record_blobs = Table(
    "record_blobs",
    metadata,
    Column(
        "record_id",
        Integer,
        ForeignKey("records.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
)

curators = Table(
    "curators",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A logged-in curator: the cookie carries the token, the database only its sha256, so a
# copy of the database opens no session. Deleting the row ends the session.
curator_sessions = Table(
    "curator_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column(
        "curator",
        String(100),
        ForeignKey("curators.name", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("record_id", Integer),
    Column("detail_json", Text, nullable=False),
)
