"""Bulk-read criteria: every comparator per field type, ${EMPTY}, groups, and each validation error."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from syncd.emulator import EmulatorSettings
from syncd.emulator.bulk_read.columns import PathResolver
from syncd.emulator.bulk_read.criteria import CriteriaCompiler
from syncd.emulator.state import EmulatorState
from syncd.emulator.wire import ZohoError


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


@pytest.fixture(scope="module")
def org() -> EmulatorState:
    state = EmulatorState(EmulatorSettings())
    records, users = state.records, state.records.users
    zylker = records.insert("crm", "Accounts", {"Account_Name": "Zylker", "Phone": "+1998070"}, users[0].id)
    acme = records.insert("crm", "Accounts", {"Account_Name": "Acme", "Phone": "12345"}, users[0].id)
    records.insert(
        "crm",
        "Contacts",
        {
            "Last_Name": "Boyle",
            "Email": "p.boyle@example.com",
            "Loyalty_Points": 10,
            "Credit_Limit": Decimal("100.50"),
            "Date_of_Birth": date(1990, 5, 1),
            "Last_Contacted": _ts("2024-01-01T10:00:00+00:00"),
            "Email_Opt_Out": False,
            "Interests": ("Cloud", "AI"),
            "Account_Name": zylker,
            "Lead_Source": "Advertisement",
        },
        users[0].id,
    )
    records.insert(
        "crm",
        "Contacts",
        {
            "Last_Name": "O'Leary",
            "Loyalty_Points": 500,
            "Credit_Limit": Decimal("2000.00"),
            "Date_of_Birth": date(1985, 12, 31),
            "Last_Contacted": _ts("2024-06-01T08:30:00+00:00"),
            "Email_Opt_Out": True,
            "Interests": ("Security",),
            "Lead_Source": "Trade Show",
        },
        users[0].id,
    )
    records.insert(
        "crm",
        "Contacts",
        {"Last_Name": "Tanaka", "Email": "aiko@zylker.example", "Email_Opt_Out": False, "Account_Name": acme},
        users[1].id,
    )
    return state


def compiler(org: EmulatorState, legacy: bool = False) -> CriteriaCompiler:
    module = org.records.module("crm", "Contacts")
    assert module is not None
    return CriteriaCompiler(PathResolver(org.records, "crm", module), legacy=legacy)


def matching(org: EmulatorState, criteria: dict[str, Any]) -> set[str]:
    predicate = compiler(org).compile(criteria).predicate
    last_name = org.records.module("crm", "Contacts").index["Last_Name"]  # type: ignore[union-attr]
    return {row[last_name] for _, row in org.records.iter_rows("crm", "Contacts") if predicate(row)}


def leaf(api_name: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"field": {"api_name": api_name}, "comparator": comparator, "value": value}


ALL = {"Boyle", "O'Leary", "Tanaka"}


@pytest.mark.parametrize(
    ("api_name", "comparator", "value", "expected"),
    [
        # numbers
        ("Loyalty_Points", "equal", 10, {"Boyle"}),
        ("Loyalty_Points", "not_equal", 10, {"O'Leary", "Tanaka"}),
        ("Loyalty_Points", "in", [10, 500], {"Boyle", "O'Leary"}),
        ("Loyalty_Points", "not_in", [10], {"O'Leary", "Tanaka"}),
        ("Loyalty_Points", "less_than", 500, {"Boyle"}),
        ("Loyalty_Points", "less_equal", 500, {"Boyle", "O'Leary"}),
        ("Loyalty_Points", "greater_than", 10, {"O'Leary"}),
        ("Loyalty_Points", "greater_equal", 10, {"Boyle", "O'Leary"}),
        ("Loyalty_Points", "equal", "${EMPTY}", {"Tanaka"}),
        ("Loyalty_Points", "in", ["${EMPTY}", 10], {"Boyle", "Tanaka"}),
        ("Credit_Limit", "equal", "100.5", {"Boyle"}),
        ("Credit_Limit", "greater_than", 150.25, {"O'Leary"}),
        # text
        ("Last_Name", "equal", "boyle", {"Boyle"}),
        ("Last_Name", "not_equal", "Boyle", {"O'Leary", "Tanaka"}),
        ("Last_Name", "in", ["Boyle", "Tanaka"], {"Boyle", "Tanaka"}),
        ("Last_Name", "not_in", ["Boyle", "Tanaka"], {"O'Leary"}),
        ("Last_Name", "contains", "LEA", {"O'Leary"}),
        ("Last_Name", "not_contains", "a", {"Boyle"}),
        ("Last_Name", "starts_with", "ta", {"Tanaka"}),
        ("Last_Name", "ends_with", "le", {"Boyle"}),
        ("Email", "equal", "${EMPTY}", {"O'Leary"}),
        ("Email", "not_equal", "${EMPTY}", {"Boyle", "Tanaka"}),
        ("Lead_Source", "in", ["Advertisement", "Trade Show"], {"Boyle", "O'Leary"}),
        # multi-select picklists match on any of their values
        ("Interests", "equal", "cloud", {"Boyle"}),
        ("Interests", "contains", "sec", {"O'Leary"}),
        ("Interests", "not_equal", "Cloud", {"O'Leary", "Tanaka"}),
        # dates and date-times
        ("Date_of_Birth", "between", ["1989-01-01", "1995-01-01"], {"Boyle"}),
        ("Date_of_Birth", "not_between", ["1989-01-01", "1995-01-01"], {"O'Leary", "Tanaka"}),
        ("Date_of_Birth", "greater_than", "1986-01-01", {"Boyle"}),
        ("Date_of_Birth", "equal", "1985-12-31", {"O'Leary"}),
        ("Date_of_Birth", "in", ["1985-12-31", "${EMPTY}"], {"O'Leary", "Tanaka"}),
        ("Date_of_Birth", "less_equal", "1985-12-31", {"O'Leary"}),
        ("Last_Contacted", "equal", "2024-01-01T11:00:00+01:00", {"Boyle"}),
        ("Last_Contacted", "greater_equal", "2024-03-01T00:00:00+05:30", {"O'Leary"}),
        ("Last_Contacted", "less_than", "2024-03-01T00:00:00Z", {"Boyle"}),
        (
            "Last_Contacted",
            "between",
            ["2024-01-01T00:00:00+00:00", "2024-12-31T00:00:00+00:00"],
            {"Boyle", "O'Leary"},
        ),
        ("Last_Contacted", "not_equal", "${EMPTY}", {"Boyle", "O'Leary"}),
        # booleans
        ("Email_Opt_Out", "equal", True, {"O'Leary"}),
        ("Email_Opt_Out", "equal", "false", {"Boyle", "Tanaka"}),
        # lookups and dot notation
        ("Account_Name", "equal", "${EMPTY}", {"O'Leary"}),
        ("Account_Name.Phone", "contains", "99807", {"Boyle"}),
        ("Account_Name.Account_Name", "equal", "acme", {"Tanaka"}),
        ("Owner.last_name", "equal", "Boyle", {"Boyle", "O'Leary"}),
    ],
)
def test_comparators_per_field_type(
    org: EmulatorState, api_name: str, comparator: str, value: Any, expected: set[str]
) -> None:
    assert matching(org, leaf(api_name, comparator, value)) == expected


def test_lookups_compare_record_ids(org: EmulatorState) -> None:
    zylker = org.records.find("crm", "Accounts", "Account_Name", "Zylker")
    tanaka_owner = str(org.records.users[1].id)
    assert matching(org, leaf("Account_Name", "equal", str(zylker))) == {"Boyle"}
    assert matching(org, leaf("Account_Name", "not_in", [str(zylker)])) == {"O'Leary", "Tanaka"}
    assert matching(org, leaf("Owner", "equal", tanaka_owner)) == {"Tanaka"}


def test_groups_nest_and_their_operator_ignores_case(org: EmulatorState) -> None:
    criteria = {
        "group_operator": "OR",
        "group": [
            leaf("Last_Name", "equal", "Tanaka"),
            {
                "group_operator": "And",
                "group": [leaf("Email_Opt_Out", "equal", True), leaf("Loyalty_Points", "greater_than", 100)],
            },
        ],
    }
    assert matching(org, criteria) == {"Tanaka", "O'Leary"}
    assert compiler(org).compile(criteria).count == 3


def test_the_older_leaf_form_names_the_field_directly(org: EmulatorState) -> None:
    assert matching(org, {"api_name": "Last_Name", "comparator": "equal", "value": "Boyle"}) == {"Boyle"}


def test_echo_follows_the_api_version(org: EmulatorState) -> None:
    criteria = {
        "group_operator": "AND",
        "group": [{"api_name": "Last_Name", "comparator": "equal", "value": "X"}],
    }
    modern = compiler(org).compile(criteria).echo
    legacy = compiler(org, legacy=True).compile(criteria).echo
    assert modern == {
        "group_operator": "and",
        "group": [{"field": {"id": None, "api_name": "Last_Name"}, "comparator": "equal", "value": "X"}],
    }
    assert legacy["group"] == [{"api_name": "Last_Name", "comparator": "equal", "value": "X"}]


@pytest.mark.parametrize(
    ("criteria", "code"),
    [
        (leaf("Nickname", "equal", "x"), "FIELD_IN_CRITERIA_NOT_AVAILABLE"),
        (leaf("Account_Name.Nope", "equal", "x"), "FIELD_IN_CRITERIA_NOT_AVAILABLE"),
        (leaf("Last_Name.First_Name", "equal", "x"), "FIELD_IN_CRITERIA_NOT_AVAILABLE"),
        (leaf("Description", "equal", "x"), "FIELD_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Interested_Products", "equal", "1"), "FIELD_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Contact_Sub", "equal", "1"), "FIELD_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Loyalty_Points", "contains", "1"), "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "between", ["a", "b"]), "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Email_Opt_Out", "not_equal", True), "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Account_Name", "greater_than", "1"), "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "like", "x"), "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Last_Name", "in", [f"n{i}" for i in range(21)]), "VALUE_LIMIT_EXCEEDED_IN_CRITERIA"),
        (leaf("Last_Name", "in", "Boyle"), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "equal", ["Boyle"]), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Date_of_Birth", "between", ["2020-01-01"]), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Loyalty_Points", "less_than", "${EMPTY}"), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "contains", "${EMPTY}"), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Loyalty_Points", "equal", "ten"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Loyalty_Points", "equal", 1.5), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (
            leaf("Last_Contacted", "equal", "2024-01-01T10:00:00.000+00:00"),
            "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
        ),
        (leaf("Last_Contacted", "equal", "2024-01-01"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Date_of_Birth", "equal", "01/05/1990"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "equal", "x" * 256), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Email_Opt_Out", "equal", "${EMPTY}"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Email_Opt_Out", "equal", "yes"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Account_Name", "equal", "Zylker"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "equal", {"x": 1}), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Last_Name", "in", [None]), "VALUE_TYPE_NOT_SUPPORTED"),
        (
            {"group_operator": "xor", "group": [leaf("Last_Name", "equal", "x")]},
            "GROUP_OPERATOR_NOT_SUPPORTED",
        ),
        ({"group": [leaf("Last_Name", "equal", "x")]}, "AMBIGUOUS_GROUP_IN_CRITERIA"),
        ({"group_operator": "and", "group": []}, "INVALID_CRITERIA"),
        ({"group_operator": "and", "group": [], "comparator": "equal"}, "AMBIGUOUS_CRITERIA"),
        (
            {"api_name": "Last_Name", "field": {"api_name": "Email"}, "comparator": "equal", "value": "x"},
            "AMBIGUOUS_CRITERIA",
        ),
        ({"comparator": "equal", "value": "x"}, "INVALID_CRITERIA"),
        ({"api_name": "Last_Name", "value": "x"}, "INVALID_CRITERIA"),
        ({"api_name": "Last_Name", "comparator": "equal"}, "INVALID_CRITERIA"),
        ([leaf("Last_Name", "equal", "x")], "INVALID_CRITERIA"),
    ],
)
def test_invalid_criteria_get_zohos_codes(org: EmulatorState, criteria: Any, code: str) -> None:
    with pytest.raises(ZohoError) as caught:
        compiler(org).compile(criteria)
    assert caught.value.code == code
    assert caught.value.http_status == 400


def test_errors_name_the_offending_leaf_and_what_is_supported(org: EmulatorState) -> None:
    criteria = {
        "group_operator": "and",
        "group": [leaf("Last_Name", "equal", "x"), leaf("Score", "contains", "1")],
    }
    with pytest.raises(ZohoError) as caught:
        compiler(org).compile(criteria)
    details = caught.value.details
    assert details["json_path"] == "$.query.criteria.group[1]"
    assert details["api_name"] == "Score"
    assert details["comparator"] == "contains"
    assert "greater_than" in details["supported"]
    assert "group[1]" in caught.value.message


def test_values_are_compared_in_utc_whatever_the_offset(org: EmulatorState) -> None:
    instant = datetime(2024, 1, 1, 10, 0, tzinfo=UTC).astimezone().isoformat(timespec="seconds")
    assert matching(org, leaf("Last_Contacted", "equal", instant)) == {"Boyle"}
    assert matching(org, leaf("Last_Name", "not_in", ["nobody"])) == ALL
