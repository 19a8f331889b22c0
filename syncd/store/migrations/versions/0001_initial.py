"""Initial schema: every table of the state store.

Checkpoints, ID map, record state, journal, credit accounts and ledger, rejects, conflicts, runs,
leases and the OAuth token cache.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False, comment="pull or push"),
        sa.Column("cursor", sa.Text(), nullable=True, comment="incremental cursor, opaque to the store"),
        sa.Column("snapshot_page", sa.Integer(), nullable=True, comment="last snapshot page fully applied"),
        sa.Column("page_token", sa.Text(), nullable=True, comment="next_page_token of that page"),
        sa.Column("page_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_snapshot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pipeline", "direction", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("crm_id", sa.String(length=40), nullable=True),
        sa.Column("base_values", JSON, nullable=False, comment="the fields as last synced"),
        sa.Column("source_values", JSON, nullable=False),
        sa.Column("crm_values", JSON, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(length=10), nullable=True, comment="source, crm or merged"),
        sa.Column("resolved_values", JSON, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index("ix_conflicts_pipeline_resolution", ["pipeline", "resolution"], unique=False)

    op.create_table(
        "credit_accounts",
        sa.Column("org", sa.String(length=100), nullable=False),
        sa.Column(
            "reported_remaining", sa.Integer(), nullable=True, comment="X-API-CREDITS-REMAINING last seen"
        ),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("org", name=op.f("pk_credit_accounts")),
    )
    op.create_table(
        "id_map",
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("crm_id", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pipeline", "source_key", name=op.f("pk_id_map")),
        sa.UniqueConstraint("pipeline", "crm_id", name="uq_id_map_pipeline_crm_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "leases",
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pipeline", name=op.f("pk_leases")),
    )
    op.create_table(
        "oauth_tokens",
        sa.Column("key", sa.String(length=128), nullable=False, comment="hash of client and refresh token"),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("api_domain", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_oauth_tokens")),
    )
    op.create_table(
        "record_state",
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("canonical_values", JSON, nullable=False, comment="last-synced canonical value per field"),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("source_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("crm_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pipeline", "source_key", name=op.f("pk_record_state")),
    )
    op.create_table(
        "rejects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("row", JSON, nullable=False, comment="the refused row as it was sent"),
        sa.Column("error_codes", JSON, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "retryable", sa.Boolean(), nullable=False, comment="false: needs a fix before a retry can work"
        ),
        sa.Column("status", sa.String(length=10), nullable=False, comment="open, retry or resolved"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejects")),
        sa.UniqueConstraint("pipeline", "source_key", name="uq_rejects_pipeline_source_key"),
    )
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.create_index("ix_rejects_pipeline_status", ["pipeline", "status"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True, comment="process that ran it"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome", sa.String(length=12), nullable=False, comment="running, succeeded, partial or failed"
        ),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_pipeline_started_at", ["pipeline", "started_at"], unique=False)

    op.create_table(
        "credit_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("org", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False, comment="reserved, spent or released"),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="when reserved, then when spent"),
        sa.ForeignKeyConstraint(
            ["org"], ["credit_accounts.org"], name=op.f("fk_credit_ledger_org_credit_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_ledger")),
    )
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_credit_ledger_org_at", ["org", "at"], unique=False)

    op.create_table(
        "journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column(
            "operation",
            sa.String(length=20),
            nullable=False,
            comment="bulk_write, bulk_read, rest_upsert, ...",
        ),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("content_hash", sa.String(length=128), nullable=False),
        sa.Column("row_keys", JSON, nullable=False, comment="source key of each CSV row, in row order"),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("job_id", sa.String(length=255), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("credits_planned", sa.Integer(), nullable=False),
        sa.Column("credits_charged", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_journal_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal")),
    )
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.create_index("ix_journal_content_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_journal_pipeline_step", ["pipeline", "step"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_pipeline_step")
        batch_op.drop_index("ix_journal_content_hash")

    op.drop_table("journal")
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_ledger_org_at")

    op.drop_table("credit_ledger")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_pipeline_started_at")

    op.drop_table("runs")
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.drop_index("ix_rejects_pipeline_status")

    op.drop_table("rejects")
    op.drop_table("record_state")
    op.drop_table("oauth_tokens")
    op.drop_table("leases")
    op.drop_table("id_map")
    op.drop_table("credit_accounts")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index("ix_conflicts_pipeline_resolution")

    op.drop_table("conflicts")
    op.drop_table("checkpoints")
