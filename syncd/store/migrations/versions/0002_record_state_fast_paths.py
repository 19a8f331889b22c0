"""Record state for 200,000-record pages: plain ``json`` values on PostgreSQL, a fingerprint index.

``jsonb`` costs PostgreSQL more to build than the rest of a page's ``COPY`` together; ``json`` keeps
the document as written (still readable, still queryable with ``->>``). The index on
``(pipeline, source_key, fingerprint)`` lets a page's comparison read every stored fingerprint of a
pipeline without reading the values.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT = "last-synced canonical value per field"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _values_type(postgresql.JSONB(), sa.JSON(), "json")
    op.create_index("ix_record_state_fingerprint", "record_state", ["pipeline", "source_key", "fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_record_state_fingerprint", table_name="record_state")
    if op.get_context().dialect.name == "postgresql":
        _values_type(sa.JSON(), postgresql.JSONB(), "jsonb")


def _values_type(old: sa.types.TypeEngine[object], new: sa.types.TypeEngine[object], name: str) -> None:
    op.alter_column(
        "record_state",
        "canonical_values",
        type_=new,
        existing_type=old,
        existing_nullable=False,
        existing_comment=COMMENT,
        postgresql_using=f"canonical_values::{name}",
    )
