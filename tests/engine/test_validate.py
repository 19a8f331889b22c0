from __future__ import annotations

import pytest

from syncd.engine.validate import (
    INVALID_DATA,
    INVALID_FIELD,
    MANDATORY_NOT_FOUND,
    Problem,
    check_mapping,
    validate_row,
)
from syncd.zoho.fields import FieldMeta

FIELDS = {
    meta.api_name: meta
    for meta in (
        FieldMeta("Last_Name", "text", length=80, mandatory=True),
        FieldMeta("Nickname", "text"),
        FieldMeta("Description", "textarea"),
        FieldMeta("Email", "email"),
        FieldMeta("Phone", "phone"),
        FieldMeta("Lead_Source", "picklist", picklist_values=("Web", "Trade Show")),
        FieldMeta("Tags", "multiselectpicklist"),
        FieldMeta("Birthday", "date"),
        FieldMeta("Last_Seen", "datetime"),
        FieldMeta("Employees", "integer"),
        FieldMeta("Revenue", "currency"),
        FieldMeta("Score", "double", decimal_places=2),
        FieldMeta("Discount", "percent"),
        FieldMeta("Big", "bigint"),
        FieldMeta("Opt_Out", "boolean"),
        FieldMeta("Website", "website"),
        FieldMeta("Account_Name", "lookup", lookup_module="Accounts"),
        FieldMeta("Contact_No", "autonumber"),
        FieldMeta("Created_Time", "datetime", read_only=True),
    )
}


def problems(row: dict[str, object], *, insert: bool = False, **options: object) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in validate_row(row, FIELDS, insert=insert, **options)]  # type: ignore[arg-type]


def test_a_good_row_has_no_problems() -> None:
    row = {
        "Last_Name": "Boyle",
        "Email": "p.boyle@example.com",
        "Phone": "+919800000099",
        "Lead_Source": "A brand new source",
        "Tags": "Gold;Priority",
        "Birthday": "1990-04-01",
        "Last_Seen": "2025-01-02T10:00:00+05:30",
        "Employees": "999999999",
        "Revenue": "1234567890123456.123456789",
        "Score": "12.25",
        "Discount": "12.5",
        "Big": "123456789012345678",
        "Opt_Out": "false",
        "Website": "https://www.example.com/about?x=1",
        "Account_Name.id": "4150868000001136302",
        "Description": "x" * 32000,
    }
    assert validate_row(row, FIELDS, insert=True) == ()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Last_Name", "x" * 81, "81 characters, more than the 80 allowed"),
        ("Nickname", "x" * 256, "more than the 255 allowed"),
        ("Description", "x" * 32001, "more than the 32000 allowed"),
        ("Email", "not-an-email", "is not an email address"),
        ("Phone", "+1 (555) 123-4567", "only digits and '+'"),
        ("Phone", "1" * 31, "more than the 30 allowed"),
        ("Tags", ["a;b"], "contains ';'"),
        ("Birthday", "31/12/1990", "expected a date"),
        ("Last_Seen", "noon", "expected a date and time"),
        ("Employees", "1234567890", "10 digits before the decimal point, more than the 9 allowed"),
        ("Employees", "12.5", "is not a whole number"),
        ("Revenue", "12345678901234567", "more than the 16 allowed"),
        ("Revenue", "1.1234567891", "10 decimal places, more than the 9 allowed"),
        ("Score", "1.234", "3 decimal places, more than the 2 allowed"),
        ("Discount", "123456", "more than the 5 allowed"),
        ("Big", "1234567890123456789", "more than the 18 allowed"),
        ("Opt_Out", "perhaps", "expected true or false"),
        ("Website", "not a url", "is not a URL"),
        ("Account_Name.id", "Zylker", "is not a Zoho record id"),
    ],
)
def test_each_type_rejects_what_zoho_would(column: str, value: object, message: str) -> None:
    found = validate_row({column: value}, FIELDS, insert=False)
    assert [(p.field, p.code) for p in found] == [(column, INVALID_DATA)]
    assert message in found[0].message


def test_mandatory_fields_are_required_on_insert_only() -> None:
    assert problems({"Email": "a@b.co"}, insert=True) == [("Last_Name", MANDATORY_NOT_FOUND)]
    assert problems({"Email": "a@b.co"}, insert=False) == []


def test_blanking_a_mandatory_field_is_refused_even_on_update() -> None:
    assert problems({"Last_Name": "  "}) == [("Last_Name", MANDATORY_NOT_FOUND)]


def test_a_lookup_resolved_by_find_by_takes_text() -> None:
    assert problems({"Account_Name": "Zylker"}, find_by_columns={"Account_Name"}) == []
    assert problems({"Account_Name": "Zylker"}) == [("Account_Name", INVALID_DATA)]


def test_unknown_and_read_only_fields_are_refused() -> None:
    assert problems({"Shoe_Size": "9", "Contact_No": "7", "Created_Time": "2025-01-01T00:00:00Z"}) == [
        ("Shoe_Size", INVALID_FIELD),
        ("Contact_No", INVALID_FIELD),
        ("Created_Time", INVALID_FIELD),
    ]


def test_check_mapping_names_columns_the_module_cannot_take() -> None:
    found = check_mapping(["Last_Name", "Account_Name.id", "Shoe_Size", "Contact_No"], FIELDS)
    assert [p.field for p in found] == ["Shoe_Size", "Contact_No"]
    assert "no field 'Shoe_Size'" in found[0].message


def test_a_problem_reads_like_a_zoho_error() -> None:
    assert str(Problem("Email", INVALID_DATA, "'x' is not an email address")) == (
        "INVALID_DATA-Email: 'x' is not an email address"
    )
