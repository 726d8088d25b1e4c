"""blocking keys for deduplication: the title's head and where a work is printed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from kapwatch.store import dedupe

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.add_column(sa.Column("title_head", sa.String(60), nullable=False, server_default=""))
        batch.add_column(sa.Column("locus", sa.String(60), nullable=False, server_default=""))
        batch.create_index("ix_studies_title_head", ["title_head"])
        batch.create_index("ix_studies_locus", ["locus"])
    # Fill the keys of the studies already stored, the way new ones get them.
    conn = op.get_bind()
    studies = sa.table(
        "studies",
        sa.column("id", sa.Integer),
        sa.column("title_key", sa.String),
        sa.column("year", sa.Integer),
        sa.column("volume", sa.String),
        sa.column("pages", sa.String),
        sa.column("title_head", sa.String),
        sa.column("locus", sa.String),
    )
    rows = conn.execute(
        sa.select(
            studies.c.id, studies.c.title_key, studies.c.year, studies.c.volume, studies.c.pages
        )
    ).all()
    updates = [
        {
            "key": row.id,
            "head": dedupe.title_head(row.title_key or ""),
            "where": dedupe.locus(row.year, row.volume or "", row.pages or ""),
        }
        for row in rows
    ]
    if updates:
        conn.execute(
            studies.update()
            .where(studies.c.id == sa.bindparam("key"))
            .values(title_head=sa.bindparam("head"), locus=sa.bindparam("where")),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.drop_index("ix_studies_locus")
        batch.drop_index("ix_studies_title_head")
        batch.drop_column("locus")
        batch.drop_column("title_head")
