from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from syncd.errors import RecordError
from syncd.zoho import FieldMeta
from syncd.zoho.csvio import format_cell, header_for


@pytest.mark.parametrize(
    ("data_type", "value", "cell"),
    [
        ("date", date(2025, 2, 3), "2025-02-03"),
        ("date", "2025-02-03", "2025-02-03"),
        (
            "datetime",
            datetime(2025, 2, 3, 10, 15, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2025-02-03T10:15:00+05:30",
        ),
        ("datetime", datetime(2025, 2, 3, tzinfo=UTC), "2025-02-03T00:00:00+00:00"),
        ("boolean", True, "true"),
        ("boolean", "FALSE", "false"),
        ("multiselectpicklist", ["Gold", "Priority"], "Gold;Priority"),
        ("multiselectpicklist", {"b", "a"}, "a;b"),
        ("lookup", {"id": "4150868000001136302", "name": "Zylker"}, "4150868000001136302"),
        ("ownerlookup", 4150868000000225013, "4150868000000225013"),
        ("currency", Decimal("1E+3"), "1000"),
        ("double", 0.1, "0.1"),
        ("integer", "42", "42"),
        ("text", "O'Leary, Mike", "O'Leary, Mike"),
        ("text", None, ""),
    ],
)
def test_values_are_written_as_zoho_reads_them(data_type: str, value: object, cell: str) -> None:
    assert format_cell("F", FieldMeta("F", data_type), value) == cell


@pytest.mark.parametrize(
    ("data_type", "value", "reason"),
    [
        ("datetime", datetime(2025, 2, 3, 10, 0), "UTC offset"),
        ("date", datetime(2025, 2, 3, tzinfo=UTC), "not a date-time"),
        ("integer", "4.5", "whole number"),
        ("double", "NaN", "finite"),
        ("boolean", "maybe", "true or false"),
        ("multiselectpicklist", ["a;b"], "may not contain"),
        ("text", ["a"], "one value"),
    ],
)
def test_values_that_cannot_be_written_faithfully_reject_the_row(
    data_type: str, value: object, reason: str
) -> None:
    with pytest.raises(RecordError, match=reason) as caught:
        format_cell("Field_X", FieldMeta("Field_X", data_type), value)
    assert caught.value.field == "Field_X"


def test_lookup_columns_are_matched_by_id() -> None:
    assert header_for("Account_Name", FieldMeta("Account_Name", "lookup")) == "Account_Name.id"
    assert header_for("Email", FieldMeta("Email", "email")) == "Email"
