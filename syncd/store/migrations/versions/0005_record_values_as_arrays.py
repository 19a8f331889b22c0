"""Record values as JSON arrays, their field names once per pipeline in ``record_layouts``.

Storing ``{"First_Name": ..., "Last_Name": ...}`` for every record repeats the field names in each
row: about half of a 200,000-record page's bytes. Each row now holds ``[..., ...]`` and a ``layout``,
the number of its field list in ``record_layouts``. The ``record_values`` view joins them back into
one JSON object per record, for operators. Upgrade and downgrade convert every stored row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OBJECT_COMMENT = "last-synced canonical value per field"
ARRAY_COMMENT = "last-synced canonical values, in the order of the layout's fields"
#: Rows converted per statement.
CHUNK = 10_000
# Frozen copies of the tables as this revision sees them.
JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
STATE = sa.table(
    "record_state",
    sa.column("pipeline", sa.String),
    sa.column("source_key", sa.String),
    sa.column("layout", sa.BigInteger),
    sa.column("canonical_values", sa.JSON),
)
LAYOUTS = sa.table(
    "record_layouts",
    sa.column("pipeline", sa.String),
    sa.column("layout", sa.BigInteger),
    sa.column("fields", JSONB),
)

SQLITE_VIEW = """
CREATE VIEW record_values AS
SELECT r.pipeline, r.source_key,
       (SELECT json_group_object(f.value, CASE v.type WHEN 'true' THEN json('true')
                                                      WHEN 'false' THEN json('false') ELSE v.value END)
          FROM json_each(l.fields) AS f JOIN json_each(r.canonical_values) AS v ON v.key = f.key
       ) AS canonical_values,
       r.fingerprint, r.source_modified_at, r.crm_modified_at, r.synced_at
  FROM record_state AS r JOIN record_layouts AS l ON l.pipeline = r.pipeline AND l.layout = r.layout
"""
POSTGRESQL_VIEW = """
CREATE VIEW record_values AS
SELECT r.pipeline, r.source_key,
       (SELECT coalesce(json_object_agg(f.name, v.value ORDER BY f.i), '{}'::json)
          FROM jsonb_array_elements_text(l.fields) WITH ORDINALITY AS f(name, i)
          JOIN json_array_elements(r.canonical_values) WITH ORDINALITY AS v(value, i) ON v.i = f.i
       ) AS canonical_values,
       r.fingerprint, r.source_modified_at, r.crm_modified_at, r.synced_at
  FROM record_state AS r JOIN record_layouts AS l ON l.pipeline = r.pipeline AND l.layout = r.layout
"""


def upgrade() -> None:
    op.create_table(
        "record_layouts",
        sa.Column("pipeline", sa.String(length=100), nullable=False),
        sa.Column("layout", sa.BigInteger(), nullable=False, comment="a hash of the field list"),
        sa.Column("fields", JSONB, nullable=False, comment="field names, in the order of the value arrays"),
        sa.PrimaryKeyConstraint("pipeline", "layout", name=op.f("pk_record_layouts")),
    )
    op.add_column(
        "record_state",
        sa.Column(
            "layout", sa.BigInteger(), nullable=True, comment="record_layouts.layout naming the values"
        ),
    )
    _objects_to_arrays()
    with op.batch_alter_table("record_state") as batch:
        batch.alter_column("layout", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column(
            "canonical_values",
            existing_type=sa.JSON(),
            existing_nullable=False,
            comment=ARRAY_COMMENT,
            existing_comment=OBJECT_COMMENT,
        )
    op.execute(POSTGRESQL_VIEW if _dialect() == "postgresql" else SQLITE_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW record_values")
    _arrays_to_objects()
    with op.batch_alter_table("record_state") as batch:
        batch.drop_column("layout")
        batch.alter_column(
            "canonical_values",
            existing_type=sa.JSON(),
            existing_nullable=False,
            comment=OBJECT_COMMENT,
            existing_comment=ARRAY_COMMENT,
        )
    op.drop_table("record_layouts")


def layout_number(fields: Sequence[str]) -> int:
    """As :func:`syncd.store.layouts.layout_number`: the first 8 bytes of the fields' SHA-256."""
    encoded = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":")).encode()
    return int.from_bytes(hashlib.sha256(encoded).digest()[:8], "big", signed=True)


def _objects_to_arrays() -> None:
    connection = op.get_bind()
    layouts: set[tuple[str, int]] = set()
    for rows in _chunks(sa.select(STATE.c.pipeline, STATE.c.source_key, STATE.c.canonical_values)):
        updates = []
        for pipeline, key, values in rows:
            fields = list(values)
            layout = layout_number(fields)
            if (pipeline, layout) not in layouts:
                layouts.add((pipeline, layout))
                connection.execute(sa.insert(LAYOUTS).values(pipeline=pipeline, layout=layout, fields=fields))
            updates.append({"p": pipeline, "k": key, "layout": layout, "values": list(values.values())})
        _update(updates)


def _arrays_to_objects() -> None:
    connection = op.get_bind()
    fields = {(p, n): names for p, n, names in connection.execute(sa.select(LAYOUTS))}
    query = sa.select(STATE.c.pipeline, STATE.c.source_key, STATE.c.layout, STATE.c.canonical_values)
    for rows in _chunks(query):
        updates = [
            {"p": pipeline, "k": key, "values": dict(zip(fields[pipeline, layout], values, strict=True))}
            for pipeline, key, layout, values in rows
        ]
        _update(updates)


def _chunks(query: sa.Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of ``query`` in chunks, read by key ranges so updating them cannot disturb the reading."""
    after: tuple[str, str] | None = None
    ordered = query.order_by(STATE.c.pipeline, STATE.c.source_key).limit(CHUNK)
    while True:
        page = ordered
        if after is not None:
            page = ordered.where(sa.tuple_(STATE.c.pipeline, STATE.c.source_key) > sa.tuple_(*after))
        rows = [tuple(row) for row in op.get_bind().execute(page)]
        if not rows:
            return
        yield rows
        after = (rows[-1][0], rows[-1][1])


def _update(updates: list[dict[str, Any]]) -> None:
    statement = (
        sa.update(STATE)
        .where(STATE.c.pipeline == sa.bindparam("p"), STATE.c.source_key == sa.bindparam("k"))
        .values(canonical_values=sa.bindparam("values"))
    )
    if "layout" in updates[0]:
        statement = statement.values(layout=sa.bindparam("layout"))
    op.get_bind().execute(statement, updates)


def _dialect() -> str:
    return op.get_context().dialect.name
