"""The ID map remembers what the CRM record looked like, raw, when both sides last agreed.

``crm_fingerprint`` is a hash of the bulk-read cells of the record's compared columns, joined with
the record state's fingerprint at that moment. While both still match, a snapshot knows the CRM
record is unchanged without canonicalising a single value (:mod:`syncd.engine.crmread`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("id_map") as table:
        table.add_column(
            sa.Column(
                "crm_fingerprint",
                sa.String(120),
                nullable=True,
                comment="raw bulk-read hash and the record-state fingerprint it was taken with",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("id_map") as table:
        table.drop_column("crm_fingerprint")
