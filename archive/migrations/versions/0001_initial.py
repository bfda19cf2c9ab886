"""Initial schema: records, their blobs, curators, audit log, full-text index.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("venue", sa.String(200), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("dream_text", sa.Text, nullable=False),
        sa.Column("english_text", sa.Text, nullable=False),
        sa.Column("transcript_json", sa.Text, nullable=False),
        sa.Column("drawing_json", sa.Text, nullable=False),
        sa.Column("plot_status", sa.String(16), nullable=False),
        sa.Column("plot_log", sa.Text, nullable=False),
        sa.Column("analysis_json", sa.Text),
        sa.Column("clip_score", sa.Float),
        sa.Column("cluster", sa.String(32)),
        sa.Column("cluster_confidence", sa.Float),
        sa.Column("cluster_rationale", sa.Text, nullable=False),
        sa.Column("cluster_evidence_json", sa.Text, nullable=False),
        sa.Column("label", sa.String(32)),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("consent_public", sa.Boolean, nullable=False),
        sa.Column("consent_research", sa.Boolean, nullable=False),
        sa.Column("consent_audio", sa.Boolean, nullable=False),
    )
    # Gallery pages and their counts read only these indexes: visibility first, then time.
    visible = ["hidden", "consent_public", "created_at", "id"]
    op.create_index("ix_records_created_at", "records", ["created_at", "id"])
    op.create_index("ix_records_visible", "records", visible)
    op.create_index("ix_records_cluster", "records", ["cluster", *visible])
    op.create_index("ix_records_label", "records", ["label", *visible])
    # Lets a full-text count check visibility without reading the wide rows.
    op.create_index("ix_records_id_visibility", "records", ["id", "hidden", "consent_public"])
    op.create_index("ix_records_venue", "records", ["venue"])
    op.create_index("ix_records_language", "records", ["language"])
    op.create_table(
        "record_blobs",
        sa.Column(
            "record_id",
            sa.Integer,
            sa.ForeignKey("records.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_record_blobs_sha256", "record_blobs", ["sha256"])
    op.create_table(
        "curators",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("record_id", sa.Integer),
        sa.Column("detail_json", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_record_id", "audit_log", ["record_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE records ADD COLUMN search tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple', dream_text || ' ' || english_text)) STORED"
        )
        op.execute("CREATE INDEX ix_records_search ON records USING GIN (search)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE records_fts USING fts5(dream_text, english_text, "
            "content='records', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN "
            "INSERT INTO records_fts(rowid, dream_text, english_text) "
            "VALUES (new.id, new.dream_text, new.english_text); END"
        )
        op.execute(
            "CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN "
            "INSERT INTO records_fts(records_fts, rowid, dream_text, english_text) "
            "VALUES ('delete', old.id, old.dream_text, old.english_text); END"
        )
        op.execute(
            "CREATE TRIGGER records_fts_update AFTER UPDATE OF dream_text, english_text "
            "ON records BEGIN "
            "INSERT INTO records_fts(records_fts, rowid, dream_text, english_text) "
            "VALUES ('delete', old.id, old.dream_text, old.english_text); "
            "INSERT INTO records_fts(rowid, dream_text, english_text) "
            "VALUES (new.id, new.dream_text, new.english_text); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE records_fts")
    op.drop_table("audit_log")
    op.drop_table("curators")
    op.drop_table("record_blobs")
    op.drop_table("records")
