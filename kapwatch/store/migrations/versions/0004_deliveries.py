"""deliveries: a window's delivery state per channel (moved out of windows)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Until now a window had one delivery: the email, sent over SMTP ("sent") or written to the
# outbox ("outbox"). Its state, whatever it is, becomes the state on the "email" channel.
CHANNEL = "email"

windows = sa.table(
    "windows",
    sa.column("id", sa.Integer),
    sa.column("started", sa.DateTime(timezone=True)),
    sa.column("delivery", sa.String),
    sa.column("delivered", sa.DateTime(timezone=True)),
    sa.column("delivery_error", sa.Text),
)


def upgrade() -> None:
    deliveries = op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["window_id"], ["windows.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("window_id", "channel"),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_index(batch.f("ix_deliveries_window_id"), ["window_id"], unique=False)
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            windows.c.id,
            windows.c.started,
            windows.c.delivery,
            windows.c.delivered,
            windows.c.delivery_error,
        )
    ).all()
    moved = [
        {
            "window_id": row.id,
            "channel": CHANNEL,
            "state": row.delivery or "pending",
            "detail": row.delivery_error or "",
            "updated": row.delivered or row.started,
        }
        for row in rows
    ]
    if moved:
        conn.execute(deliveries.insert(), moved)
    # ALTER TABLE ... DROP COLUMN, not a batch copy: SQLite (3.35 or later) drops a plain column
    # in place, and copying windows would break the foreign keys that point at it.
    for column in ("delivery_error", "delivered", "delivery"):
        op.drop_column("windows", column)


def downgrade() -> None:
    op.add_column(
        "windows",
        sa.Column("delivery", sa.String(length=20), nullable=False, server_default="pending"),
    )
    op.add_column("windows", sa.Column("delivered", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "windows", sa.Column("delivery_error", sa.Text(), nullable=False, server_default="")
    )
    deliveries = sa.table(
        "deliveries",
        sa.column("window_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("state", sa.String),
        sa.column("detail", sa.Text),
        sa.column("updated", sa.DateTime(timezone=True)),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(deliveries).where(deliveries.c.channel == CHANNEL)).all():
        done = row.state in ("sent", "outbox")  # then the detail is where it went, no error
        conn.execute(
            windows.update()
            .where(windows.c.id == row.window_id)
            .values(
                delivery=row.state,
                delivered=row.updated if done else None,
                delivery_error="" if done else row.detail,
            )
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index(batch.f("ix_deliveries_window_id"))
    op.drop_table("deliveries")
