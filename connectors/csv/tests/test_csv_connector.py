from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from syncd_csv import CsvConnector
from syncd_csv.table import Layout, rewrite

from syncd import Change, ConfigError, Cursor, FatalError, Record, Rejected, Tombstone
from syncd.testing import FakeClock, read_all


def connector(options: dict[str, Any], clock: FakeClock | None = None) -> CsvConnector:
    return CsvConnector.from_options(options, name="files", clock=clock or FakeClock())


def records(items: list[Any]) -> list[dict[str, Any]]:
    return [dict(item.values) for item in items if isinstance(item, Record)]


def test_rows_become_typed_records_with_quoting_kept(options: dict[str, Any]) -> None:
    items, cursor = read_all(connector(options), "contacts")
    assert records(items)[0] == {
        "id": 1,
        "name": "Ada",
        "age": 36,
        "modified": dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC),
        "notes": 'likes "quotes", commas',
    }
    assert records(items)[1]["notes"] is None
    assert cursor.position == dt.datetime(2024, 1, 2, 10, tzinfo=dt.UTC)


def test_incremental_read_returns_rows_at_or_after_the_cursor(options: dict[str, Any]) -> None:
    since = Cursor(dt.datetime(2024, 1, 2, 10, tzinfo=dt.UTC))
    items, cursor = read_all(connector(options), "contacts", since)
    assert [r["id"] for r in records(items)] == [2]  # the same timestamp comes again: at least once
    assert cursor.position == since.position


def test_a_malformed_row_is_rejected_with_its_line_number(folder: Path, options: dict[str, Any]) -> None:
    with (folder / "contacts.csv").open("a", encoding="utf-8") as handle:
        handle.write('3,"Multi\nline",x,2024-01-03T00:00:00Z,\n4,Short\n5,Eve,50,2024-01-04T00:00:00Z,\n')
    items, _ = read_all(connector(options), "contacts")
    rejects = [item for item in items if isinstance(item, Rejected)]
    assert [r.location for r in rejects] == ["contacts.csv:4", "contacts.csv:6"]
    assert "column 'age'" in rejects[0].reason and "'x' is not a valid integer" in rejects[0].reason
    assert rejects[0].key == {"id": "3"}
    assert "has 2 columns, the header has 5" in rejects[1].reason
    assert [r["id"] for r in records(items)] == [1, 2, 5]


def test_broken_quoting_stops_the_read_naming_the_line(folder: Path, options: dict[str, Any]) -> None:
    (folder / "tags.csv").write_text('code,label\na,Alpha\nb,"Be"ta\n', encoding="utf-8")
    with pytest.raises(FatalError, match=r"tags.csv:3: malformed CSV"):
        read_all(connector(options), "tags")


def test_a_byte_order_mark_is_not_part_of_the_first_column(folder: Path, options: dict[str, Any]) -> None:
    (folder / "tags.csv").write_bytes(b"\xef\xbb\xbfcode,label\r\na,Alpha\r\n")
    items, _ = read_all(connector(options), "tags")
    assert records(items) == [{"code": "a", "label": "Alpha"}]


def test_other_encodings_read_and_write_back(folder: Path, options: dict[str, Any]) -> None:
    (folder / "tags.csv").write_bytes("code,label\na,Café\n".encode("cp1252"))
    latin = {**options, "encoding": "cp1252"}
    assert records(read_all(connector(latin), "tags")[0]) == [{"code": "a", "label": "Café"}]
    outcomes = connector(latin).write("tags", [Change.upsert({"code": "b"}, {"label": "Crème"})])
    assert outcomes[0].ok
    assert (folder / "tags.csv").read_bytes() == "code,label\na,Café\nb,Crème\n".encode("cp1252")
    rejected = connector(latin).write("tags", [Change.upsert({"code": "c"}, {"label": "日本"})])
    assert not rejected[0].ok and "cannot be written in cp1252" in (rejected[0].reason or "")


def test_undecodable_text_names_the_file_line_and_the_fix(folder: Path, options: dict[str, Any]) -> None:
    (folder / "tags.csv").write_bytes("code,label\na,Alpha\nb,Café\n".encode("cp1252"))
    with pytest.raises(FatalError, match=r"tags.csv:3: the text is not valid utf-8-sig; set `encoding`"):
        read_all(connector(options), "tags")


def test_full_reads_return_only_changed_rows_and_tombstones(folder: Path, options: dict[str, Any]) -> None:
    files = connector(options)
    first_items, first = read_all(files, "tags")
    assert len(records(first_items)) == 2 and first.position == 1
    (folder / "tags.csv").write_text("code,label\na,Alpha\nc,Gamma\n", encoding="utf-8")
    items, second = read_all(files, "tags", first)
    assert records(items) == [{"code": "c", "label": "Gamma"}]
    assert [dict(t.key) for t in items if isinstance(t, Tombstone)] == [{"code": "b"}]
    assert second.position == 2
    assert records(read_all(files, "tags", second)[0]) == []


def test_a_row_that_turns_malformed_is_not_taken_for_a_delete(folder: Path, options: dict[str, Any]) -> None:
    files = connector(options)
    _, first = read_all(files, "tags")
    (folder / "tags.csv").write_text("code,label\na,Alpha\nb,Beta,extra\n", encoding="utf-8")
    items, second = read_all(files, "tags", first)
    assert not [item for item in items if isinstance(item, Tombstone)]
    assert [r.location for r in items if isinstance(r, Rejected)] == ["tags.csv:3"]
    (folder / "tags.csv").write_text("code,label\na,Alpha\nb,Beta\n", encoding="utf-8")
    assert records(read_all(files, "tags", second)[0]) == []  # fixed back: nothing changed


def test_write_back_keeps_unknown_columns_and_order(folder: Path, options: dict[str, Any]) -> None:
    clock = FakeClock(dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC))
    outcomes = connector(options, clock).write(
        "contacts",
        [
            Change.upsert({"id": 2}, {"name": "Grace H."}),
            Change.upsert({"id": 7}, {"name": "New", "age": 20}),
        ],
    )
    assert all(o.ok for o in outcomes)
    assert (folder / "contacts.csv").read_text(encoding="utf-8").splitlines() == [
        "id,name,age,modified,notes",
        '1,Ada,36,2024-01-01T10:00:00+00:00,"likes ""quotes"", commas"',
        "2,Grace H.,45,2024-05-01T08:00:00+00:00,",
        "7,New,20,2024-05-01T08:00:00+00:00,",
    ]
    assert (folder / "contacts.csv").read_bytes().endswith(b"\r\n")  # the file's line ending is kept


def test_write_back_replaces_the_file_atomically(folder: Path, options: dict[str, Any]) -> None:
    before = (folder / "tags.csv").stat().st_ino
    connector(options).write("tags", [Change.delete({"code": "a"})])
    assert (folder / "tags.csv").stat().st_ino != before  # a new file renamed over the old one
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.csv", "tags.csv"]
    assert (folder / "tags.csv").read_text(encoding="utf-8") == "code,label\nb,Beta\n"


def test_write_back_keeps_malformed_rows_verbatim(folder: Path, options: dict[str, Any]) -> None:
    (folder / "tags.csv").write_text("code,label\na,Alpha,extra\nb,Beta\n", encoding="utf-8")
    connector(options).write("tags", [Change.upsert({"code": "b"}, {"label": "B"})])
    assert (folder / "tags.csv").read_text(encoding="utf-8") == "code,label\na,Alpha,extra\nb,B\n"


def test_a_rewrite_that_fails_leaves_the_file_as_it_was(folder: Path) -> None:
    original = (folder / "tags.csv").read_bytes()

    def rows() -> Iterator[list[str]]:
        yield ["code", "label"]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        rewrite(folder / "tags.csv", rows(), encoding="utf-8", delimiter=",", layout=Layout())
    assert (folder / "tags.csv").read_bytes() == original
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.csv", "tags.csv"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (Change.upsert({"id": 9}, {"age": "old"}), "field 'age': expected an int"),
        (Change.upsert({"id": 9}, {"email": "x@y"}), "contacts.csv has no column 'email'"),
    ],
)
def test_bad_changes_are_rejected_with_a_reason(options: dict[str, Any], change: Change, reason: str) -> None:
    [outcome] = connector(options).write("contacts", [change])
    assert not outcome.ok and reason in (outcome.reason or "")


def test_config_errors_name_the_connector_and_the_key(options: dict[str, Any]) -> None:
    broken = {**options, "streams": {"contacts": {"fields": {"age": "number"}}}}
    with pytest.raises(ConfigError) as caught:
        CsvConnector.from_options(broken, name="files")
    message = str(caught.value)
    assert "connector 'files'" in message
    assert "streams.contacts.key: Field required" in message
    assert "streams.contacts.fields.age" in message


def test_check_names_a_missing_column(folder: Path, options: dict[str, Any]) -> None:
    options["streams"]["tags"] = {"key": ["slug"]}  # type: ignore[index]
    with pytest.raises(
        ConfigError, match=r"stream 'tags' \(tags.csv\): no column 'slug' \(columns: code, label\)"
    ):
        connector(options).check()


def test_check_names_a_missing_file(folder: Path, options: dict[str, Any]) -> None:
    (folder / "tags.csv").unlink()
    with pytest.raises(ConfigError, match=r"tags.csv: the file does not exist"):
        connector(options).check()
