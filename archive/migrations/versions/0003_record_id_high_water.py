"""SQLite: remember the largest record id ever given, so a deleted record's id is not reused.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's id sequence never goes back
    op.create_table(
        "record_id_high_water",
        sa.Column("one", sa.Integer, primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
    )
    # Deleted records are remembered by their audit entries.
    op.execute(
        "INSERT INTO record_id_high_water (one, last_id) VALUES (1, max("
        "(SELECT coalesce(max(id), 0) FROM records), "
        "(SELECT coalesce(max(record_id), 0) FROM audit_log)))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_table("record_id_high_water")
