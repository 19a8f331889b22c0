from __future__ import annotations

import datetime as dt
import importlib
import types
from decimal import Decimal
from typing import Any

import pytest

import syncd
from syncd import Change, ConfigError, ConnectorOutputError, Cursor, Record, Rejected, Tombstone, WriteOutcome
from syncd.connector import (
    FieldSpec,
    FieldType,
    StreamSpec,
    checked_read,
    checked_write,
    load_config,
    redacted,
    scrub,
)
from syncd.connector.checked import RecordChecks

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def read_until_error(connector: syncd.Connector[Any], cursor: Cursor | None = None) -> tuple[list[Any], str]:
    handed_on: list[Any] = []
    with pytest.raises(ConnectorOutputError) as caught:
        for item in checked_read(connector, "people", cursor):
            handed_on.append(item)
    return handed_on, str(caught.value)


def memory(fakes: types.ModuleType, *items: object) -> syncd.Connector[Any]:
    connector = fakes.MemoryConnector.from_options({})
    connector.items = items
    return connector


def test_a_record_without_its_key_names_connector_stream_and_field(fakes: types.ModuleType) -> None:
    good = Record({"id": 1, "name": "Ada"})
    handed_on, error = read_until_error(memory(fakes, good, Record({"name": "Nameless"}), Cursor(NOW)))
    assert handed_on == [good]  # what came before is not lost
    assert error.startswith("connector 'memory', stream 'people' (record id=None): key field 'id' is missing")
    assert "field=id" in error


def test_an_undeclared_field_is_named_with_the_record_key(fakes: types.ModuleType) -> None:
    _, error = read_until_error(memory(fakes, Record({"id": 7, "nickname": "x"}), Cursor(NOW)))
    assert "(record id=7): field 'nickname' is not declared by the stream" in error


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"id": "7"}, "field 'id': expected an int (integer), got str '7'"),
        ({"id": True}, "field 'id': expected an int (integer), got bool True"),
        ({"id": 7, "name": 3}, "field 'name': expected a str (string), got int 3"),
        ({"id": 7, "seen": dt.datetime(2024, 1, 1)}, "expected a timezone-aware datetime.datetime"),
    ],
)
def test_a_wrong_type_is_named(fakes: types.ModuleType, values: dict[str, Any], expected: str) -> None:
    _, error = read_until_error(memory(fakes, Record(values), Cursor(NOW)))
    assert expected in error


def test_a_cursor_that_moves_backwards_is_an_error(fakes: types.ModuleType) -> None:
    handed_on, error = read_until_error(memory(fakes, Cursor(NOW - dt.timedelta(seconds=1))), Cursor(NOW))
    assert handed_on == [] and "cursor moved backwards" in error


def test_a_read_must_end_with_a_cursor(fakes: types.ModuleType) -> None:
    handed_on, error = read_until_error(memory(fakes, Record({"id": 1}), Cursor(NOW), Record({"id": 2})))
    assert len(handed_on) == 3 and "read ended without a final cursor" in error


def test_a_tombstone_needs_a_stream_that_declares_deletes(fakes: types.ModuleType) -> None:
    _, error = read_until_error(memory(fakes, Tombstone({"id": 1}), Cursor(NOW)))
    assert "does not declare deletes" in error


def test_rejects_and_good_records_pass_through(fakes: types.ModuleType) -> None:
    items = [Record({"id": 1, "name": "Ada"}), Rejected("line 3: bad", "f.csv:3"), Cursor(NOW)]
    assert list(checked_read(memory(fakes, *items), "people", None)) == items


def test_write_outcomes_come_one_per_change(fakes: types.ModuleType) -> None:
    connector = memory(fakes)
    changes = [Change.upsert({"id": 1}, {"name": "A"}), Change.delete({"id": 2})]
    assert [o.ok for o in checked_write(connector, "people", changes)] == [True, True]
    connector.write = lambda stream, changes: [WriteOutcome.applied({"id": 1})]  # type: ignore[method-assign]
    with pytest.raises(ConnectorOutputError, match="write returned 1 outcomes for 2 changes"):
        checked_write(connector, "people", changes)


def test_values_are_frozen_and_cursors_round_trip_through_json() -> None:
    record = Record({"id": 1})
    with pytest.raises(TypeError):
        record.values["id"] = 2  # type: ignore[index]
    cursor = Cursor(NOW, {"key": [1, "a"]})
    assert Cursor.from_json(cursor.to_json()) == cursor
    assert Change.upsert({"id": 1}, {"name": "x"}).values == {"id": 1, "name": "x"}
    with pytest.raises(ValueError, match="timezone-aware"):
        Cursor(dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="needs a reason"):
        WriteOutcome(record.values, syncd.OutcomeStatus.REJECTED)


def test_stream_specs_refuse_keys_that_are_not_fields() -> None:
    with pytest.raises(ValueError, match="key field 'code' is not one of its fields"):
        syncd.StreamSpec("tags", ("code",), (syncd.FieldSpec("label"),))
    assert syncd.FieldSpec("total", syncd.FieldType.DECIMAL).problem(Decimal("1.5")) is None


def test_config_errors_never_echo_a_secret(fakes: types.ModuleType) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(fakes.MemoryConfig, {"password": 12345, "lable": "x"}, connector="mem")
    message = str(caught.value)
    assert "connector 'mem'" in message and "lable: Extra inputs are not permitted" in message
    assert "12345" not in message


def test_secrets_are_redacted_in_repr_dumps_and_scrubbed_text(fakes: types.ModuleType) -> None:
    config = load_config(fakes.MemoryConfig, {"password": "s3cr3t-value"}, connector="mem")
    assert "s3cr3t-value" not in repr(config)
    assert redacted(config) == {"label": "memory", "password": "**********"}
    assert scrub("login failed for s3cr3t-value", config) == "login failed for **********"


NOT_EXPORTED = {"annotations", "version", "PackageNotFoundError"}  # imports the façade itself uses


def test_all_is_honest() -> None:
    public = {name for name in dir(syncd) if not name.startswith("_") or name == "__version__"}
    modules = {name for name in public if isinstance(getattr(syncd, name), types.ModuleType)}
    assert set(syncd.__all__) == public - modules - NOT_EXPORTED
    testing = importlib.import_module("syncd.testing")
    assert all(hasattr(testing, name) for name in testing.__all__)


SAMPLES = [None, "x", 3, True, 2.5, Decimal("1.5"), dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3)]
SAMPLES += [dt.datetime(2024, 1, 2, 3, tzinfo=dt.UTC), [1], b"x"]


@pytest.mark.parametrize("kind", list(FieldType))
def test_a_type_accepted_for_every_value_fits_for_each_sample(kind: FieldType) -> None:
    field = FieldSpec("f", kind)
    for value in SAMPLES:
        if field.accepts_every(type(value)):
            assert field.problem(value) is None, value
    assert not FieldSpec("f", FieldType.DATETIME).accepts_every(dt.datetime)  # the offset decides


def test_records_of_a_checked_shape_still_have_their_date_times_checked() -> None:
    spec = StreamSpec("s", ("id",), (FieldSpec("id", FieldType.INTEGER), FieldSpec("at", FieldType.DATETIME)))
    checks = RecordChecks("c", spec)
    checks.check({"id": 1, "at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)})
    checks.check({"id": 2, "at": dt.datetime(2024, 1, 2, tzinfo=dt.UTC)})  # the same shape, remembered
    with pytest.raises(ConnectorOutputError, match=r"record id=3.*field 'at'"):
        checks.check({"id": 3, "at": dt.datetime(2024, 1, 3)})  # naive
    checks.check({"id": 4, "at": None})
    with pytest.raises(ConnectorOutputError, match="key field 'id' is missing"):
        checks.check({"id": None, "at": None})


def test_a_record_owning_its_values_is_read_only_and_equal() -> None:
    values = {"id": 1}
    record = Record.owning(values)
    assert record == Record({"id": 1}) and isinstance(record.values, types.MappingProxyType)
    with pytest.raises(TypeError):
        record.values["id"] = 2  # type: ignore[index]
