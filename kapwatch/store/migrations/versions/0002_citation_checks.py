"""citation checks: cached verdicts, and the ones each digest showed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citation_checks",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("checked", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint"),
    )
    with op.batch_alter_table("windows") as batch:
        batch.add_column(sa.Column("citations", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("citations")
    op.drop_table("citation_checks")
