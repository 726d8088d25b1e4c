"""readers' verdicts on (study, claim) pairs: a stance or "none", who, when, a note

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "study_id",
            sa.Integer(),
            sa.ForeignKey("studies.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("claim_id", sa.String(100), nullable=False),
        sa.Column("stance", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.UniqueConstraint("study_id", "claim_id"),
    )
    op.create_index("ix_verdicts_study_id", "verdicts", ["study_id"])
    op.create_index("ix_verdicts_claim_id", "verdicts", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_verdicts_claim_id", "verdicts")
    op.drop_index("ix_verdicts_study_id", "verdicts")
    op.drop_table("verdicts")
