"""Server-side curator sessions, so logout, a new password or removal ends them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "curator_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column(
            "curator",
            sa.String(100),
            sa.ForeignKey("curators.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("seen_at", _TZ, nullable=False),
    )
    op.create_index("ix_curator_sessions_curator", "curator_sessions", ["curator"])


def downgrade() -> None:
    op.drop_table("curator_sessions")
