from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from syncd.emulator.schema import default_schema
from syncd.emulator.values import ValueProblem, java_to_strptime, parse, to_csv

CONTACTS = default_schema()["crm"]["Contacts"]


def field(name: str):  # type: ignore[no-untyped-def]
    found = CONTACTS.field(name)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("Credit_Limit", "12.345", Decimal("12.35")),
        ("Loyalty_Points", "350", 350),
        ("Customer_Number", "0012345600012", 12345600012),
        ("Email_Opt_Out", "TRUE", True),
        ("Date_of_Birth", "1990-03-04", date(1990, 3, 4)),
        ("Date_of_Birth", "03/04/1990", date(1990, 3, 4)),
        ("Interests", "Bigdata;Analytics", ("Bigdata", "Analytics")),
        ("Phone", "+9800000099", "+9800000099"),
        ("Last_Contacted", "2025-01-02T10:00:00+05:30", 1735792200),
        ("Last_Contacted", "01/02/2025 04:30:00", 1735792200),
        ("Account_Name", "4150868000001136302", 4150868000001136302),
        ("Title", "", None),
    ],
)
def test_accepted_values_take_their_internal_form(name: str, raw: str, expected: object) -> None:
    assert parse(field(name), raw) == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("Email", "not-an-email"),
        ("Phone", "555-0100 ext"),
        ("Loyalty_Points", "1234567890"),
        ("Loyalty_Points", "1.5"),
        ("Customer_Number", "1234567890123456789"),
        ("Email_Opt_Out", "yes"),
        ("Date_of_Birth", "1990-13-45"),
        ("Title", "x" * 101),
        ("Home_Page", "not a url"),
        ("Account_Name", "Zylker"),
    ],
)
def test_refused_values_are_invalid_data_naming_the_field(name: str, raw: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse(field(name), raw)
    assert caught.value.code == "INVALID_DATA"
    assert caught.value.api_name == name


def test_java_formats_translate_and_apply() -> None:
    assert java_to_strptime("dd/MM/yyyy HH:mm:ss") == "%d/%m/%Y %H:%M:%S"
    assert parse(field("Date_of_Birth"), "04.03.1990", fmt="dd.MM.yyyy") == date(1990, 3, 4)


def test_export_formats_are_zoho_s() -> None:
    assert to_csv(field("Last_Contacted"), 1735792200) == "2025-01-02T04:30:00+00:00"
    assert to_csv(field("Interests"), ("A", "B")) == "A;B"
    assert to_csv(field("Email_Opt_Out"), False) == "false"
    assert to_csv(field("Title"), None) == ""
