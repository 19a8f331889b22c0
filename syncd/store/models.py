"""The state store's tables, one per question an operator asks.

=================  ==========================================================================
table              answers
=================  ==========================================================================
checkpoints        where did each pipeline stop reading, per direction (cursor, snapshot page)?
id_map             which CRM record is this source record, and the other way round?
record_state       what did the two sides agree on last time (values, fingerprint, timestamps)?
record_layouts     which fields, in which order, do a pipeline's stored value arrays hold?
snapshot_pages     which snapshot pages came back unchanged, with nothing in them to read again?
journal            which bulk or REST batches are in flight, at which step, with which job?
credit_accounts    one row per Zoho org: what Zoho last said was left (and the lock for it)
credit_ledger      how many credits were spent or reserved in the last 24 hours?
rejects            which rows were refused, why, can a retry fix them, how often did we try?
conflicts          which records changed on both sides, with both values and the base?
runs               what did each run do, and how did it end?
leases             which process runs this pipeline right now, until when?
oauth_tokens       which access token can the next run reuse (never the refresh token)?
=================  ==========================================================================

Values are plain columns and JSON documents, never pickles. Every datetime is UTC. A record's
canonical values are a JSON array whose field names ``record_layouts`` keeps once per pipeline; the
``record_values`` view joins them back into one JSON object per record for operators.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from syncd.store.types import Json, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Key = String(255)
Name = String(100)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: Json, list[Any]: Json}


class CheckpointRow(Base):
    __tablename__ = "checkpoints"
    pipeline: Mapped[str] = mapped_column(Name, primary_key=True)
    direction: Mapped[str] = mapped_column(String(10), primary_key=True, comment="pull or push")
    cursor: Mapped[str | None] = mapped_column(Text, comment="incremental cursor, opaque to the store")
    snapshot_page: Mapped[int | None] = mapped_column(Integer, comment="last snapshot page fully applied")
    page_token: Mapped[str | None] = mapped_column(Text, comment="next_page_token of that page")
    page_token_expires_at: Mapped[datetime | None]
    last_full_snapshot_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class IdMappingRow(Base):
    __tablename__ = "id_map"
    pipeline: Mapped[str] = mapped_column(Name, primary_key=True)
    source_key: Mapped[str] = mapped_column(Key, primary_key=True)
    crm_id: Mapped[str] = mapped_column(String(40))
    crm_fingerprint: Mapped[str | None] = mapped_column(
        String(120), comment="raw bulk-read hash and the record-state fingerprint it was taken with"
    )
    updated_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("pipeline", "crm_id", name="uq_id_map_pipeline_crm_id"),
        {"sqlite_with_rowid": False},  # the primary key is the table: one b-tree to write, not two
    )


class RecordStateRow(Base):
    __tablename__ = "record_state"
    pipeline: Mapped[str] = mapped_column(Name, primary_key=True)
    source_key: Mapped[str] = mapped_column(Key, primary_key=True)
    layout: Mapped[int] = mapped_column(BigInteger, comment="record_layouts.layout naming the values")
    # Plain ``json`` on PostgreSQL too: ``jsonb`` would cost more than the rest of a page's load.
    canonical_values: Mapped[list[Any]] = mapped_column(
        JSON(), comment="last-synced canonical values, in the order of the layout's fields"
    )
    fingerprint: Mapped[str] = mapped_column(String(128))
    source_modified_at: Mapped[datetime | None]
    crm_modified_at: Mapped[datetime | None]
    synced_at: Mapped[datetime]
    # Every stored fingerprint of a pipeline, read without reading the values.
    __table_args__ = (Index("ix_record_state_fingerprint", "pipeline", "source_key", "fingerprint"),)


class RecordLayoutRow(Base):
    __tablename__ = "record_layouts"
    pipeline: Mapped[str] = mapped_column(Name, primary_key=True)
    layout: Mapped[int] = mapped_column(BigInteger, primary_key=True, comment="a hash of the field list")
    fields: Mapped[list[Any]] = mapped_column(comment="field names, in the order of the value arrays")


class SnapshotPageRow(Base):
    """A full snapshot's page whose every record was at rest (both sides agreed, its bulk-read hash
    remembered) when the pipeline's state was last written. Any write to the pipeline's record state
    or ID map deletes its rows, so a row here always describes the state as it is."""

    __tablename__ = "snapshot_pages"
    pipeline: Mapped[str] = mapped_column(Name, primary_key=True)
    page: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), comment="of its compressed CSV, keyed by the query")
    rows: Mapped[int] = mapped_column(comment="records on the page")
    newest: Mapped[str] = mapped_column(String(40), comment="the page's latest Modified_Time, as sent")
    taken_at: Mapped[datetime]


class JournalEntryRow(Base):
    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    pipeline: Mapped[str] = mapped_column(Name)
    direction: Mapped[str] = mapped_column(String(10))
    operation: Mapped[str] = mapped_column(String(20), comment="bulk_write, bulk_read, rest_upsert, ...")
    step: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(128))
    row_keys: Mapped[list[Any]] = mapped_column(comment="source key of each CSV row, in row order")
    row_count: Mapped[int]
    file_id: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(255))
    result: Mapped[dict[str, Any] | None]
    credits_planned: Mapped[int]
    credits_charged: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (
        Index("ix_journal_pipeline_step", "pipeline", "step"),
        Index("ix_journal_content_hash", "content_hash"),
    )


class CreditAccountRow(Base):
    __tablename__ = "credit_accounts"
    org: Mapped[str] = mapped_column(Name, primary_key=True)
    reported_remaining: Mapped[int | None] = mapped_column(comment="X-API-CREDITS-REMAINING last seen")
    reported_at: Mapped[datetime | None]


class CreditEntryRow(Base):
    __tablename__ = "credit_ledger"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    org: Mapped[str] = mapped_column(ForeignKey("credit_accounts.org"))
    status: Mapped[str] = mapped_column(String(10), comment="reserved, spent or released")
    amount: Mapped[int]
    purpose: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(comment="when reserved, then when spent")
    __table_args__ = (Index("ix_credit_ledger_org_at", "org", "at"),)


class RejectRow(Base):
    __tablename__ = "rejects"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    pipeline: Mapped[str] = mapped_column(Name)
    source_key: Mapped[str] = mapped_column(Key)
    direction: Mapped[str] = mapped_column(String(10))
    row: Mapped[dict[str, Any]] = mapped_column(comment="the refused row as it was sent")
    error_codes: Mapped[list[Any]]
    message: Mapped[str] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column(comment="false: needs a fix before a retry can work")
    status: Mapped[str] = mapped_column(String(10), comment="open, retry or resolved")
    attempts: Mapped[int]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("pipeline", "source_key", name="uq_rejects_pipeline_source_key"),
        Index("ix_rejects_pipeline_status", "pipeline", "status"),
    )


class ConflictRow(Base):
    __tablename__ = "conflicts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    pipeline: Mapped[str] = mapped_column(Name)
    source_key: Mapped[str] = mapped_column(Key)
    crm_id: Mapped[str | None] = mapped_column(String(40))
    base_values: Mapped[dict[str, Any]] = mapped_column(comment="the fields as last synced")
    source_values: Mapped[dict[str, Any]]
    crm_values: Mapped[dict[str, Any]]
    detected_at: Mapped[datetime]
    resolution: Mapped[str | None] = mapped_column(String(10), comment="source, crm or merged")
    resolved_values: Mapped[dict[str, Any] | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(
        comment="when a run applied the resolution or found it stale"
    )
    closed_as: Mapped[str | None] = mapped_column(String(10), comment="applied or stale")
    closed_note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_conflicts_pipeline_resolution", "pipeline", "resolution"),)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    pipeline: Mapped[str] = mapped_column(Name)
    holder: Mapped[str | None] = mapped_column(String(255), comment="process that ran it")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(12), comment="running, succeeded, partial or failed")
    counts: Mapped[dict[str, Any]]
    credits: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_runs_pipeline_started_at", "pipeline", "started_at"),)


class LeaseRow(Base):
    __tablename__ = "leases"
    pipeline: Mapped[str] = mapped_column(Name, primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class OAuthTokenRow(Base):
    __tablename__ = "oauth_tokens"
    key: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="hash of client and refresh token"
    )
    access_token: Mapped[str] = mapped_column(Text)
    api_domain: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


metadata = Base.metadata
