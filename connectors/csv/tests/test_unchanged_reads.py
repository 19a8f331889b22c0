"""Reads of a file that has not changed since the cursor: the cursor back, nothing parsed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import syncd_csv.connector
from syncd_csv import CsvConnector
from syncd_csv.digest import file_digest

from syncd import Cursor, Record, Rejected, Tombstone
from syncd.testing import FakeClock, read_all


def connector(options: dict[str, Any]) -> CsvConnector:
    return CsvConnector.from_options(options, name="files", clock=FakeClock())


def changed(items: list[Any]) -> list[Any]:
    return [item for item in items if not isinstance(item, Cursor)]


@pytest.mark.parametrize("stream", ["contacts", "tags"])
def test_an_unchanged_file_yields_only_the_cursor_it_was_given(
    folder: Path, options: dict[str, Any], stream: str
) -> None:
    with (folder / f"{stream}.csv").open("a", encoding="utf-8") as handle:
        handle.write("9,too,many,columns,here,really\r\n")
    files = connector(options)
    first_items, first = read_all(files, stream)
    assert [item.location for item in first_items if isinstance(item, Rejected)]
    stored = Cursor.from_json(json.loads(json.dumps(first.to_json())))  # as the state store keeps it
    items, second = read_all(files, stream, stored)
    assert items == [stored]  # not even the reject again: no row was parsed
    assert second == stored == first


@pytest.mark.parametrize(
    ("stream", "edit", "expected"),
    [
        ("contacts", (b"Grace", b"Grace H."), [{"id": 2, "name": "Grace H."}]),
        ("tags", (b"a,Alpha", b"a,Alpha!"), [{"code": "a", "label": "Alpha!"}]),
    ],
)
def test_a_changed_file_is_read_again(
    folder: Path, options: dict[str, Any], stream: str, edit: tuple[bytes, bytes], expected: list[Any]
) -> None:
    files = connector(options)
    _, first = read_all(files, stream)
    path = folder / f"{stream}.csv"
    path.write_bytes(path.read_bytes().replace(*edit))
    items, second = read_all(files, stream, first)
    read = [{name: item.values[name] for name in expected[0]} for item in changed(items)]
    assert read == expected
    assert second.state["digest"] != first.state["digest"]
    assert read_all(files, stream, second)[0] == [second]


def test_a_cursor_without_a_digest_still_reads_by_fingerprints(folder: Path, options: dict[str, Any]) -> None:
    files = connector(options)
    _, first = read_all(files, "tags")
    older = Cursor(first.position, {"fingerprints": first.state["fingerprints"]})  # from before digests
    (folder / "tags.csv").write_text("code,label\na,Alpha\n", encoding="utf-8")
    items, second = read_all(files, "tags", older)
    assert changed(items) == [Tombstone({"code": "b"})]
    assert second.state["digest"] == file_digest(files._schema("tags"), files.config)


def test_a_changed_setting_reads_the_file_again(options: dict[str, Any]) -> None:
    _, first = read_all(connector(options), "contacts")
    options["timezone"] = "Europe/Paris"
    items, _ = read_all(connector(options), "contacts", first)
    assert [item.values["id"] for item in changed(items)] == [2]  # parsed: the newest row comes again


def test_the_digest_kept_is_of_the_bytes_parsed(
    folder: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file changes between the check and the parse, then changes back: the next read sees it."""
    files = connector(options)
    path = folder / "tags.csv"
    _, first = read_all(files, "tags")
    path.write_text("code,label\na,Alpha\nb,Bravo\n", encoding="utf-8")

    def digest_then_change(*args: Any) -> str:
        digest = file_digest(*args)
        path.write_text("code,label\na,Alpha\nb,Beta\n", encoding="utf-8")  # back as at `first`
        return digest

    monkeypatch.setattr(syncd_csv.connector, "file_digest", digest_then_change)
    items, second = read_all(files, "tags", first)
    assert changed(items) == []  # parsed: the file as at `first`
    monkeypatch.undo()
    path.write_text("code,label\na,Alpha\nb,Bravo\n", encoding="utf-8")
    items, _ = read_all(files, "tags", second)
    assert changed(items) == [Record({"code": "b", "label": "Bravo"})]


def test_a_file_larger_than_a_read_block_digests_the_same_both_ways(
    folder: Path, options: dict[str, Any]
) -> None:
    lines = "".join(f"k{number},{'label ' * 20}{number}\n" for number in range(40_000))
    (folder / "tags.csv").write_text(f"code,label\n{lines}", encoding="utf-8")
    files = connector(options)
    assert (folder / "tags.csv").stat().st_size > 4 * 1024 * 1024
    _, first = read_all(files, "tags")
    assert read_all(files, "tags", first)[0] == [first]
