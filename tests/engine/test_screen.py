"""The column-wise push path gives exactly what mapping, validating and canonicalising row by row gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.config.model import PipelineConfig
from syncd.connector import FieldSpec, Record, StreamSpec
from syncd.engine.canonical import canonical_text, canonical_texts
from syncd.engine.mapping import FieldMapping, key_function, source_key
from syncd.engine.push import SourceRead, _map_one, map_records
from syncd.engine.screen import screen
from syncd.engine.validate import check_value, screen_texts
from syncd.zoho.fields import FieldMeta

METAS = {
    meta.api_name: meta
    for meta in (
        FieldMeta("Last_Name", "text", length=12, mandatory=True),
        FieldMeta("First_Name", "text"),
        FieldMeta("Description", "textarea", length=20),
        FieldMeta("Email", "email"),
        FieldMeta("Phone", "phone"),
        FieldMeta("Website", "website"),
        FieldMeta("Lead_Source", "picklist"),
        FieldMeta("Tags", "multiselectpicklist"),
        FieldMeta("Employees", "integer"),
        FieldMeta("Birthday", "date"),
        FieldMeta("Account_Name", "lookup", lookup_module="Accounts"),
        FieldMeta("Vendor_Name", "lookup", lookup_module="Vendors"),
        FieldMeta("Created_Time", "datetime", read_only=True),
    )
}
SOURCE_FIELDS = (
    "id",
    "surname",
    "given",
    "notes",
    "email",
    "phone",
    "site",
    "tags",
    "staff",
    "born",
    "company",
)
STREAM = StreamSpec("people", ("id",), tuple(FieldSpec(name) for name in SOURCE_FIELDS))
FULL = {
    "Last_Name": "surname",
    "First_Name": {"source": "given", "default": "Friend"},
    "Description": "notes",
    "Email": "email",
    "Phone": "phone",
    "Website": "site",
    "Lead_Source": {"constant": "Web"},
    "Tags": "tags",
    "Employees": "staff",
    "Birthday": "born",
    "Account_Name.id": {"pipeline": "accounts", "key": "company"},
    "Vendor_Name": {"find_by": "Vendor_Code", "source": "company"},
}
PIPELINES = {
    "full": FULL,
    "no mandatory field": {"Email": "email", "First_Name": "given"},
    "a read-only field": {"Last_Name": "surname", "Created_Time": "notes"},
    "an unknown field": {"Last_Name": "surname", "Shoe_Size": "staff"},
}
LOOKUPS = {"accounts": {"acme": "4150868000000224005", "odd": "not-an-id"}}

texts = st.one_of(
    st.sampled_from(
        ["", " ", "Boyle", " Boyle ", "a\r\nb", "x\ry", "Ünïcødé", "twelve chars", "thirteen char"]
    ),
    st.text(max_size=25),
)
emails = st.sampled_from(["p@example.com", "p@example", "not an email", " q@example.org ", "@x.y"])
phones = st.sampled_from(["+4420794600", "020 7946", "+" + "9" * 30, "12", "abc"])
sites = st.sampled_from(["https://example.com/a?b", "example.com", "no spaces allowed.com x", "x"])
odd = st.one_of(st.none(), st.integers(-5, 10**10), st.booleans(), st.decimals(allow_nan=False, places=2))
any_text = st.one_of(st.none(), texts, odd)
source_rows = st.fixed_dictionaries(
    {
        "surname": any_text,
        "given": any_text,
        "notes": any_text,
        "email": st.one_of(st.none(), emails, texts),
        "phone": st.one_of(st.none(), phones),
        "site": st.one_of(st.none(), sites),
        "tags": st.one_of(
            st.none(), st.sampled_from(["a;b", "", "x"]), st.lists(st.sampled_from(["a", "b;c"]))
        ),
        "staff": st.one_of(st.none(), st.sampled_from(["12", "1e3", "lots", "1234567890"]), odd),
        "born": st.one_of(st.none(), st.sampled_from(["2025-01-31", "31/01/2025", ""])),
        "company": st.one_of(st.none(), st.sampled_from(["acme", "odd", "unknown"])),
    }
)


def mapping(fields: dict[str, Any]) -> FieldMapping:
    config = {
        "connector": "shop",
        "stream": "people",
        "module": "Contacts",
        "find_by": "Email",
        "fields": fields,
    }
    return FieldMapping("contacts", PipelineConfig.model_validate(config), STREAM, METAS)


def records_of(rows: list[dict[str, Any]]) -> dict[str, Record]:
    return {str(index): Record({"id": str(index), **row}) for index, row in enumerate(rows)}


@settings(max_examples=300, deadline=None)
@given(
    pipeline=st.sampled_from(sorted(PIPELINES)),
    rows=st.lists(source_rows, max_size=12),
    known=st.sets(st.integers(0, 11)),
)
def test_the_column_wise_path_equals_the_per_row_path(
    pipeline: str, rows: list[dict[str, Any]], known: set[int]
) -> None:
    fields = mapping(PIPELINES[pipeline])
    records = records_of(rows)
    known_keys = {str(index) for index in known}
    expected = SourceRead()
    for key, record in records.items():
        _map_one(expected, fields, key, record, LOOKUPS, insert=key not in known_keys)
    actual = SourceRead()
    map_records(actual, fields, records, LOOKUPS, known_keys)
    assert list(actual.values.items()) == list(expected.values.items())
    assert actual.modified == expected.modified
    assert actual.rejects == expected.rejects


def test_good_plain_rows_are_cleared_in_bulk_without_the_per_row_path() -> None:
    rows = [
        {
            "surname": f" Name{n} ",
            "given": "",
            "email": f"p{n}@example.com",
            "phone": "+4420",
            "company": "acme",
        }
        for n in range(50)
    ]
    fields = mapping({name: spec for name, spec in FULL.items() if name != "Vendor_Name"})
    screened = screen(fields, [{"id": str(n), **row} for n, row in enumerate(rows)], LOOKUPS, [True] * 50)
    assert all(values is not None for values in screened)
    assert screened[3] == {
        "Last_Name": "Name3",
        "First_Name": "Friend",  # the default for an empty source value
        "Description": None,
        "Email": "p3@example.com",
        "Phone": "+4420",
        "Website": None,
        "Lead_Source": "Web",
        "Tags": None,
        "Employees": None,
        "Birthday": None,
        "Account_Name.id": "4150868000000224005",
    }


def test_a_row_with_a_problem_is_left_to_the_per_row_path() -> None:
    rows = [{"surname": "Boyle", "email": "p@example.com"}, {"surname": "Boyle", "email": "nope"}]
    screened = screen(mapping(FULL), rows, LOOKUPS, [True, True])
    assert screened[0] is not None and screened[1] is None


@given(st.lists(st.one_of(st.none(), texts, odd, st.lists(st.text(max_size=2), max_size=2))))
def test_canonical_texts_is_canonical_text_for_each_value(values: list[Any]) -> None:
    result = canonical_texts(values)
    if all(value is None or type(value) is str for value in values):
        assert result == [None if value is None else canonical_text(value) for value in values]
    else:
        assert result is None


@given(
    st.sampled_from(["Last_Name", "First_Name", "Description", "Email", "Phone", "Website", "Lead_Source"]),
    st.lists(st.one_of(st.none(), texts, emails, phones, sites)),
)
def test_screen_texts_finds_the_values_the_check_refuses(column: str, values: list[str | None]) -> None:
    canonical = canonical_texts(values)
    assert canonical is not None
    bad = screen_texts(canonical, METAS[column], METAS[column].data_type)
    assert bad == {
        index
        for index, value in enumerate(canonical)
        if value is not None and check_value(column, value, METAS) is not None
    }


def test_screen_texts_declines_types_not_read_as_text() -> None:
    assert screen_texts(["1"], METAS["Employees"], "integer") is None
    assert screen_texts(["a"], METAS["Tags"], "multiselectpicklist") is None


@given(st.one_of(st.none(), st.integers(), st.text(max_size=3), st.decimals(allow_nan=False)))
def test_the_key_function_is_source_key(value: object) -> None:
    values = {"id": value}
    assert key_function(STREAM)(values) == source_key(STREAM, values)
    two = StreamSpec("t", ("a", "b"), (FieldSpec("a"), FieldSpec("b")))
    assert key_function(two)({"a": value, "b": "x"}) == source_key(two, {"a": value, "b": "x"})


def test_decimal_text_goes_the_general_way() -> None:
    screened = screen(mapping({"Last_Name": "surname"}), [{"surname": Decimal("1.50")}], {}, [True])
    assert screened == [{"Last_Name": "1.50"}]
