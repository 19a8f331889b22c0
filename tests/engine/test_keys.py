"""Placing CRM rows in the source's key space, chunk by chunk (:class:`syncd.engine.keys.KeyJoiner`)."""

from __future__ import annotations

from collections.abc import Mapping

from syncd.config.model import PipelineConfig
from syncd.connector import StreamSpec
from syncd.connector.streams import FieldSpec
from syncd.engine.keys import CrmRow, KeyJoiner
from syncd.engine.mapping import FieldMapping
from syncd.zoho.fields import FieldMeta


def _mapping(key: str = "email") -> FieldMapping:
    pipeline = PipelineConfig.model_validate(
        {
            "connector": "shop",
            "stream": "customers",
            "module": "Contacts",
            "find_by": "Email",
            "fields": {"Email": "email", "Last_Name": "surname"},
        }
    )
    stream = StreamSpec("customers", (key,), (FieldSpec("email"), FieldSpec("surname"), FieldSpec("code")))
    metas = {"Email": FieldMeta("Email", "email"), "Last_Name": FieldMeta("Last_Name", "text")}
    return FieldMapping("contacts", pipeline, stream, metas)


def _row(crm_id: str, email: str | None, surname: str = "X") -> CrmRow:
    return CrmRow(crm_id, {"Email": email, "Last_Name": surname}, None)


def _none(keys: list[str]) -> Mapping[str, str]:
    return {}


def test_rows_are_placed_by_id_map_then_find_by_then_their_own_values() -> None:
    source = {
        "ada@example.com": {"Email": "ADA@example.com"},
        "bob@example.com": {"Email": "bob@example.com"},
    }
    joiner = KeyJoiner(source, {"bob@example.com"}, _mapping())

    joined = joiner.join(
        [_row("1", "bob@example.com"), _row("2", "ada@EXAMPLE.com"), _row("3", "cy@example.com")],
        {"1": "bob@example.com"},
        _none,
    )

    assert joined.ids == {"bob@example.com": "1", "ada@example.com": "2", "cy@example.com": "3"}
    assert joined.matched == {"ada@example.com": "2"}  # case-insensitively, as Zoho's unique fields
    assert joined.unplaced == {}


def test_a_source_record_is_matched_once_across_chunks() -> None:
    joiner = KeyJoiner({"ada": {"Email": "ada@example.com"}}, set(), _mapping())

    first = joiner.join([_row("1", "ada@example.com")], {}, _none)
    second = joiner.join([_row("2", "ada@example.com")], {}, _none)

    assert first.matched == {"ada": "1"}
    assert second.matched == {} and second.ids == {"ada@example.com": "2"}  # derived, not matched again


def test_a_key_held_in_this_chunk_or_an_earlier_one_is_a_duplicate() -> None:
    joiner = KeyJoiner({}, set(), _mapping())
    earlier = {"dup@example.com": "1"}  # what the ID map says after an earlier chunk was stored

    joined = joiner.join(
        [_row("2", "dup@example.com"), _row("3", "new@example.com"), _row("4", "new@example.com")],
        {},
        lambda keys: {key: earlier[key] for key in keys if key in earlier},
    )

    assert joined.ids == {"new@example.com": "3"}
    assert joined.unplaced == {
        "2": "duplicate key 'dup@example.com' (CRM record 1 holds it)",
        "4": "duplicate key 'new@example.com'",
    }


def test_a_row_whose_key_cannot_be_derived_is_unplaced_with_the_reason() -> None:
    joiner = KeyJoiner({}, set(), _mapping(key="code"))

    joined = joiner.join([_row("1", "ada@example.com")], {}, _none)

    assert joined.ids == {}
    assert "code are not mapped from a CRM field" in joined.unplaced["1"]
