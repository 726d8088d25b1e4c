"""initial schema

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


def upgrade() -> None:
    op.create_table(
        "run_lock",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "source_state",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("last_ok", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pmid", sa.String(length=20), nullable=True),
        sa.Column("doi", sa.String(length=300), nullable=True),
        sa.Column("pmcid", sa.String(length=20), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_key", sa.String(length=500), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("author_key", sa.String(length=100), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("journal", sa.String(length=500), nullable=False),
        sa.Column("volume", sa.String(length=50), nullable=False),
        sa.Column("issue", sa.String(length=50), nullable=False),
        sa.Column("pages", sa.String(length=50), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("pub_types", sa.JSON(), nullable=False),
        sa.Column("mesh", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("is_preprint", sa.Boolean(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("design", sa.String(length=50), nullable=False),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("doi"),
        sa.UniqueConstraint("pmid"),
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studies_author_key"), ["author_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_title_key"), ["title_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_year"), ["year"], unique=False)

    op.create_table(
        "windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=30), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rendered", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("delivered", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_error", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("label"),
    )
    op.create_table(
        "claim_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=100), nullable=False),
        sa.Column("stance", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id", "claim_id"),
    )
    with op.batch_alter_table("claim_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_links_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_links_study_id"), ["study_id"], unique=False)

    op.create_table(
        "digest_items",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("study_id"),
    )
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_items_window_id"), ["window_id"], unique=False)

    op.create_table(
        "sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id", "source"),
    )
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sightings_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sightings_window_id"), ["window_id"], unique=False)

    op.create_table(
        "study_news",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id", "kind"),
    )
    with op.batch_alter_table("study_news", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_study_news_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_study_news_window_id"), ["window_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("study_news", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_study_news_window_id"))
        batch_op.drop_index(batch_op.f("ix_study_news_study_id"))

    op.drop_table("study_news")
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sightings_window_id"))
        batch_op.drop_index(batch_op.f("ix_sightings_study_id"))

    op.drop_table("sightings")
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_items_window_id"))

    op.drop_table("digest_items")
    with op.batch_alter_table("claim_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_links_study_id"))
        batch_op.drop_index(batch_op.f("ix_claim_links_claim_id"))

    op.drop_table("claim_links")
    op.drop_table("windows")
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studies_year"))
        batch_op.drop_index(batch_op.f("ix_studies_title_key"))
        batch_op.drop_index(batch_op.f("ix_studies_author_key"))

    op.drop_table("studies")
    op.drop_table("source_state")
    op.drop_table("run_lock")
