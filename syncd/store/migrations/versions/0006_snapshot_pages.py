"""Snapshot pages that came back unchanged: ``snapshot_pages``.

A full snapshot's page whose compressed CSV is byte for byte the one of the last run, while nothing of
the pipeline's record state or ID map was written since, holds nothing to read: the run counts its
records as unchanged without parsing it. Any write to ``record_state`` or ``id_map`` deletes the
pipeline's rows here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snapshot_pages",
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column(
            "digest",
            sa.String(length=64),
            nullable=False,
            comment="of its compressed CSV, keyed by the query",
        ),
        sa.Column("rows", sa.Integer(), nullable=False, comment="records on the page"),
        sa.Column(
            "newest", sa.String(length=40), nullable=False, comment="the page's latest Modified_Time, as sent"
        ),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pipeline", "page", name=op.f("pk_snapshot_pages")),
    )


def downgrade() -> None:
    op.drop_table("snapshot_pages")
