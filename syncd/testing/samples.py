"""Values of each field type that the conformance suite writes and expects to read back."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from syncd.connector import Change, FieldType, StreamSpec

_SAMPLES: dict[FieldType, Any] = {
    FieldType.STRING: 'Zoë «contract», "quoted"',
    FieldType.INTEGER: 42,
    FieldType.DECIMAL: Decimal("1234.50"),
    FieldType.FLOAT: 2.5,
    FieldType.BOOLEAN: True,
    FieldType.DATE: dt.date(2024, 2, 29),
    FieldType.DATETIME: dt.datetime(2024, 3, 1, 12, 30, 15, tzinfo=dt.UTC),
}


def unique_key_value(kind: FieldType, serial: int) -> Any:
    """A key value no ordinary test data uses."""
    token = uuid.uuid4().int % 10**8
    if kind is FieldType.STRING:
        return f"syncd-contract-{token}-{serial}"
    if kind in {FieldType.INTEGER, FieldType.DECIMAL, FieldType.FLOAT}:
        return 900_000_000 + token * 10 + serial
    raise ValueError(f"the conformance suite cannot invent a {kind} key; override `sample_change`")


def sample_change(spec: StreamSpec, serial: int) -> Change:
    """A new record with a value of every field's type; the cursor field is left to the connector."""
    fields = spec.field_map
    key = {name: unique_key_value(fields[name].type, serial) for name in spec.key}
    values = {
        f.name: _SAMPLES[f.type]
        for f in spec.fields
        if f.name not in spec.key and f.name != spec.cursor_field
    }
    return Change.upsert(key, values)
