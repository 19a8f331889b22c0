from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from syncd.errors import RecordError
from syncd.zoho import FieldMeta
from syncd.zoho.csvio import format_cell, format_row, header_for, row_formatter


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


@pytest.mark.parametrize(
    "row",
    [
        {"Last_Name": "Boyle", "Email": None, "Notes": 'a,"b"\nc'},
        {"Last_Name": "Boyle", "Email": "p@x.io", "Notes": 12},
        {"Last_Name": True, "Email": "p@x.io"},
        {"Last_Name": "x", "Birthday": date(2024, 1, 2), "Score": Decimal("1.50")},
    ],
)
def test_the_row_formatter_writes_what_format_row_writes(row: dict[str, object]) -> None:
    metas = {"Last_Name": FieldMeta("Last_Name", "text"), "Email": FieldMeta("Email", "email")}
    for columns, extra in (
        (["Last_Name", "Email", "Notes"], {}),
        (["Last_Name", "Birthday", "Score"], DATED),
    ):
        written, expected = io.StringIO(), io.StringIO()
        csv.writer(written).writerow(row_formatter(columns, {**metas, **extra})(row))
        csv.writer(expected).writerow(format_row(columns, {**metas, **extra}, row))
        assert written.getvalue() == expected.getvalue()


def test_the_row_formatter_rejects_what_format_row_rejects() -> None:
    with pytest.raises(RecordError, match="Last_Name"):
        row_formatter(["Last_Name"], {"Last_Name": FieldMeta("Last_Name", "text")})({"Last_Name": ["a"]})


DATED = {"Birthday": FieldMeta("Birthday", "date"), "Score": FieldMeta("Score", "double")}
