from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.engine.canonical import (
    CanonicalError,
    canonical,
    canonical_row,
    fingerprint,
    to_json,
)
from syncd.zoho.fields import FieldMeta


@pytest.mark.parametrize(
    ("data_type", "ours", "zohos"),
    [
        ("datetime", "2025-01-02T04:30:00Z", "2025-01-02T10:00:00+05:30"),
        ("datetime", datetime(2025, 1, 2, 4, 30, 0, 250_000, tzinfo=UTC), "2025-01-02T04:30:00+00:00"),
        ("datetime", "01/02/2025 04:30:00", "2025-01-01T20:30:00-08:00"),
        ("currency", "12.50", "12.5"),
        ("double", 12.5, "12.500000000"),
        ("integer", 350, "350"),
        ("bigint", "0012345600012", "12345600012"),
        ("multiselectpicklist", ["a", "b"], "b;a"),
        ("multiselectpicklist", ("a", " b", "a"), "b;a"),
        ("boolean", True, "true"),
        ("boolean", "FALSE", "false"),
        ("date", date(2025, 1, 31), "2025-01-31"),
        ("date", "01/31/2025", "2025-01-31"),
        ("text", "  Mike O'Leary ", "Mike O'Leary"),
        ("textarea", "line one\r\nline two", "line one\nline two"),
        ("lookup", 4150868000001136302, "4150868000001136302"),
        ("lookup", {"id": "4150868000001136302", "name": "Zylker"}, "4150868000001136302"),
    ],
)
def test_what_zoho_returns_for_a_written_value_compares_equal(
    data_type: str, ours: object, zohos: str
) -> None:
    assert canonical(ours, data_type) == canonical(zohos, data_type)


@pytest.mark.parametrize(
    ("data_type", "empty"),
    [
        ("text", "   "),
        ("multiselectpicklist", ";"),
        ("multiselectpicklist", []),
        ("date", ""),
        ("integer", ""),
    ],
)
def test_empty_values_are_none(data_type: str, empty: object) -> None:
    assert canonical(empty, data_type) is None


def test_different_values_stay_different() -> None:
    assert canonical("12.5", "currency") != canonical("12.05", "currency")
    assert canonical("2025-01-02T10:00:00+05:30", "datetime") != canonical("2025-01-02T10:00:00Z", "datetime")
    assert canonical("a;b", "multiselectpicklist") != canonical("a", "multiselectpicklist")


def test_large_numbers_are_not_rounded() -> None:
    assert to_json(canonical("1234567890123456.123456789", "currency")) == "1234567890123456.123456789"
    assert to_json(canonical("1E+3", "double")) == "1000"


@pytest.mark.parametrize(
    ("data_type", "value", "problem"),
    [
        ("integer", "twelve", "expected a number"),
        ("integer", True, "expected a number"),
        ("double", "NaN", "finite"),
        ("date", "31.01.2025", "expected a date"),
        ("datetime", "yesterday", "expected a date and time"),
        ("boolean", "maybe", "expected true or false"),
        ("text", ["a"], "expected text"),
    ],
)
def test_unreadable_values_say_what_was_expected(data_type: str, value: object, problem: str) -> None:
    with pytest.raises(CanonicalError, match=problem):
        canonical(value, data_type)


def test_a_row_uses_each_fields_type_and_lookup_ids() -> None:
    fields = {
        "Amount": FieldMeta("Amount", "currency"),
        "Account_Name": FieldMeta("Account_Name", "lookup", lookup_module="Accounts"),
    }
    row = canonical_row({"Amount": "10.10", "Account_Name.id": 41508680, "Nickname": " Bo "}, fields)
    assert row == {"Amount": Decimal("10.1"), "Account_Name.id": "41508680", "Nickname": "Bo"}


def test_fingerprint_ignores_order_and_empty_fields_but_not_values() -> None:
    one = fingerprint({"a": Decimal("1.50"), "b": ("x", "y"), "c": None})
    assert one == fingerprint({"b": ("x", "y"), "a": Decimal("1.5")})
    assert one != fingerprint({"a": Decimal("1.51"), "b": ("x", "y")})
    assert len(one) == 64


# --- Property tests: Zoho's CSV spellings and JSON storage round-trip to the same canonical value ---

offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
amounts = st.decimals(min_value=-(10**15), max_value=10**15, places=9, allow_nan=False, allow_infinity=False)
choices = st.lists(st.text(st.characters(blacklist_characters=";\r\n"), min_size=1, max_size=8), max_size=5)


@given(moment=moments, offset=offsets)
def test_a_datetime_in_any_offset_is_the_same_instant(moment: datetime, offset: timezone) -> None:
    zoho_spelling = moment.astimezone(offset).isoformat()
    assert canonical(zoho_spelling, "datetime") == canonical(moment, "datetime")


@given(amount=amounts, trailing=st.integers(min_value=0, max_value=4))
def test_a_decimal_with_trailing_zeros_is_the_same_number(amount: Decimal, trailing: int) -> None:
    zoho_spelling = format(amount, "f") + ("0" * trailing if "." in format(amount, "f") else "")
    assert canonical(zoho_spelling, "currency") == canonical(amount, "currency")


@given(selection=choices, data=st.data())
def test_a_multiselect_in_any_order_is_the_same_set(selection: list[str], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(selection))
    assert canonical(";".join(shuffled), "multiselectpicklist") == canonical(selection, "multiselectpicklist")


@given(
    pair=st.one_of(
        moments.map(lambda v: ("datetime", v)),
        amounts.map(lambda v: ("double", v)),
        st.dates().map(lambda v: ("date", v)),
        st.booleans().map(lambda v: ("boolean", v)),
        choices.map(lambda v: ("multiselectpicklist", v)),
        st.text(max_size=20).map(lambda v: ("text", v)),
    )
)
def test_canonical_values_survive_json_storage_unchanged(pair: tuple[str, object]) -> None:
    data_type, value = pair
    once = canonical(value, data_type)
    assert canonical(to_json(once), data_type) == once
    assert canonical(once, data_type) == once
