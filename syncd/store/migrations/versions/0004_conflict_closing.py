"""Conflicts say whether a run carried out their resolution: ``closed_at``, ``closed_as``, ``closed_note``.

A resolved conflict stays open for the engine until a run has written the chosen values to both
sides (``applied``) or found that a side changed the record again since (``stale``, with the
reason in ``closed_note``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED_AT = "when a run applied the resolution or found it stale"


def upgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True, comment=CLOSED_AT)
        )
        batch_op.add_column(
            sa.Column("closed_as", sa.String(length=10), nullable=True, comment="applied or stale")
        )
        batch_op.add_column(sa.Column("closed_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_column("closed_note")
        batch_op.drop_column("closed_as")
        batch_op.drop_column("closed_at")
