from __future__ import annotations

import pytest

from syncd.errors import ConfigError
from syncd.zoho import BulkQuery, FieldMeta, all_of, any_of, where

FIELDS = {
    "Last_Name": FieldMeta("Last_Name", "text"),
    "Email": FieldMeta("Email", "email"),
    "Description": FieldMeta("Description", "textarea"),
    "Modified_Time": FieldMeta("Modified_Time", "datetime"),
    "Email_Opt_Out": FieldMeta("Email_Opt_Out", "boolean"),
    "Account_Name": FieldMeta("Account_Name", "lookup", lookup_module="Accounts"),
    "Annual_Revenue": FieldMeta("Annual_Revenue", "currency"),
}


def test_a_v8_request_uses_module_objects_and_field_leaves() -> None:
    query = BulkQuery(
        "Contacts",
        fields=("Last_Name", "Account_Name.Account_Name"),
        criteria=all_of(
            where("Modified_Time", "greater_equal", "2025-01-01T00:00:00+00:00"),
            where("Email", "in", ("a", "b")),
        ),
        cvid="99",
    )
    query.validate(FIELDS)
    body = query.to_request(version=8, callback_url="https://hooks.example/cb")
    assert body == {
        "query": {
            "module": {"api_name": "Contacts"},
            "fields": ["Last_Name", "Account_Name.Account_Name"],
            "criteria": {
                "group_operator": "and",
                "group": [
                    {
                        "field": {"api_name": "Modified_Time"},
                        "comparator": "greater_equal",
                        "value": "2025-01-01T00:00:00+00:00",
                    },
                    {"field": {"api_name": "Email"}, "comparator": "in", "value": ["a", "b"]},
                ],
            },
            "cvid": "99",
        },
        "callback": {"url": "https://hooks.example/cb", "method": "post"},
    }


def test_v2_uses_a_bare_module_name_and_api_name_leaves() -> None:
    body = BulkQuery("Leads", criteria=where("Last_Name", "equal", "Boyle"), page=2).to_request(version=2)
    assert body["query"] == {
        "module": "Leads",
        "criteria": {"api_name": "Last_Name", "comparator": "equal", "value": "Boyle"},
        "page": 2,
    }


def test_page_tokens_are_sent_from_v7_and_page_numbers_before() -> None:
    query = BulkQuery("Leads").at_page(2, "tok")
    assert query.to_request(version=8)["query"] == {"module": {"api_name": "Leads"}, "page_token": "tok"}
    assert query.to_request(version=6)["query"]["page"] == 2


def test_ics_puts_file_type_on_the_request_and_refuses_fields() -> None:
    assert BulkQuery("Events", file_type="ics").to_request(version=8)["file_type"] == "ics"
    with pytest.raises(ConfigError, match="ICS export takes no field list"):
        BulkQuery("Events", fields=("Subject",), file_type="ics").validate()
    with pytest.raises(ConfigError, match="only for Events"):
        BulkQuery("Contacts", file_type="ics").validate()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (BulkQuery("Contacts", fields=tuple(f"F{i}" for i in range(201))), "201 fields, Zoho allows 200"),
        (
            BulkQuery("Contacts", criteria=any_of(*[where("Email", "equal", str(i)) for i in range(26)])),
            "26 criteria",
        ),
        (BulkQuery("Contacts", criteria=where("Email", "in", [str(i) for i in range(21)])), "21 values"),
        (BulkQuery("Contacts", criteria=where("Email", "in", "a")), "takes a list"),
        (BulkQuery("Contacts", criteria=where("Modified_Time", "between", ["x"])), r"\[from, to\] pair"),
        (BulkQuery("Contacts", criteria=where("Email", "equal", "x" * 256)), "256 characters"),
        (BulkQuery("Contacts", criteria=where("Email", "like", "x")), "unknown comparator 'like'"),
        (
            BulkQuery("Contacts", criteria=where("Email", "greater_than", "x")),
            "email field does not take 'greater_than'",
        ),
        (BulkQuery("Contacts", criteria=where("Email_Opt_Out", "not_equal", True)), "allowed: equal"),
        (BulkQuery("Contacts", criteria=where("Description", "equal", "x")), "cannot be filtered"),
        (BulkQuery("Contacts", criteria=where("Account_Name", "contains", "x")), "lookup field"),
        (BulkQuery("Contacts", fields=("Nope",)), "unknown field 'Nope'"),
        (BulkQuery("Contacts", fields=("Email.Domain",)), "dot notation on a non-lookup"),
        (BulkQuery("Contacts", page=501), "outside 1..500"),
    ],
)
def test_queries_zoho_would_refuse_are_refused_before_spending_credits(
    query: BulkQuery, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        query.validate(FIELDS)


def test_numbers_take_ranges_and_system_fields_pass() -> None:
    BulkQuery(
        "Contacts",
        fields=("Id", "Account_Name.Account_Name"),
        criteria=all_of(where("Annual_Revenue", "greater_than", 10), where("$converted", "equal", False)),
    ).validate(FIELDS)
