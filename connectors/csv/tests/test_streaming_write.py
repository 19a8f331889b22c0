"""Write-back streams the file: edits by key in one pass, creates at the end, memory for the batch only."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from syncd_csv import CsvConnector

from syncd import Change, FatalError
from syncd.testing import FakeClock


def connector(options: dict[str, Any]) -> CsvConnector:
    clock = FakeClock(dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC))
    return CsvConnector.from_options(options, name="files", clock=clock)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_a_batch_edits_rows_in_place_and_appends_creates_in_change_order(
    folder: Path, options: dict[str, Any]
) -> None:
    (folder / "tags.csv").write_text("code,label\na,Alpha\nb,Beta\nc,Gamma\n", encoding="utf-8")
    outcomes = connector(options).write(
        "tags",
        [
            Change.upsert({"code": "x"}, {"label": "X"}),
            Change.upsert({"code": "b"}, {"label": "B"}),
            Change.upsert({"code": "c"}, {"label": 7}),  # refused: a string column
            Change.delete({"code": "c"}),
            Change.upsert({"code": "y"}, {"label": "Y"}),
            Change.upsert({"code": "x"}, {"label": "X2"}),
            Change.delete({"code": "nowhere"}),
        ],
    )
    assert [o.ok for o in outcomes] == [True, True, False, True, True, True, True]
    assert [dict(o.key) for o in outcomes][2] == {"code": "c"}
    assert lines(folder / "tags.csv") == ["code,label", "a,Alpha", "b,B", "x,X2", "y,Y"]


def test_a_delete_then_an_upsert_moves_the_key_to_the_end(folder: Path, options: dict[str, Any]) -> None:
    connector(options).write(
        "tags",
        [
            Change.delete({"code": "a"}),
            Change.upsert({"code": "a"}, {}),
            Change.upsert({"code": "n"}, {"label": "New"}),
            Change.delete({"code": "n"}),  # created and deleted in one batch: never written
        ],
    )
    assert lines(folder / "tags.csv") == ["code,label", "b,Beta", "a,"]


def test_only_the_first_valid_row_of_a_key_is_edited(folder: Path, options: dict[str, Any]) -> None:
    (folder / "contacts.csv").write_text(
        "id,name,age,modified,notes\n3,Bad,x,,\n007,Seven,1,,\n7,Again,2,,\n", encoding="utf-8"
    )
    connector(options).write(
        "contacts", [Change.upsert({"id": 7}, {"name": "S"}), Change.upsert({"id": 3}, {"name": "T"})]
    )
    assert lines(folder / "contacts.csv") == [
        "id,name,age,modified,notes",
        "3,Bad,x,,",  # not a valid record: kept as it is, the upsert creates the key
        "7,S,1,2024-05-01T08:00:00+00:00,",  # matched by the key's value ("007" is 7), written as sent
        "7,Again,2,,",
        "3,T,,2024-05-01T08:00:00+00:00,",
    ]
    connector(options).write("contacts", [Change.delete({"id": 7})])
    assert lines(folder / "contacts.csv")[2:] == ["7,Again,2,,", "3,T,,2024-05-01T08:00:00+00:00,"]


def test_a_file_found_malformed_while_writing_is_left_as_it_was(
    folder: Path, options: dict[str, Any]
) -> None:
    original = 'code,label\na,Alpha\nb,"Be"ta\n'
    (folder / "tags.csv").write_text(original, encoding="utf-8")
    with pytest.raises(FatalError, match=r"tags.csv:3: malformed CSV"):
        connector(options).write("tags", [Change.upsert({"code": "a"}, {"label": "A"})])
    assert (folder / "tags.csv").read_text(encoding="utf-8") == original
    assert sorted(p.name for p in folder.iterdir()) == ["contacts.csv", "tags.csv"]


_KILLED_WRITE = """
import os, signal, sys
import syncd_csv.writer
from syncd import Change
from syncd_csv import CsvConnector

stage, directory = sys.argv[1], sys.argv[2]
edited_rows = syncd_csv.writer.edited_rows

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def dying_rows(*args):
    for number, row in enumerate(edited_rows(*args)):
        if stage == "rows" and number == 5_000:
            die()
        yield row

syncd_csv.writer.edited_rows = dying_rows
if stage == "rename":
    os.replace = lambda *args: die()
files = CsvConnector.from_options({"directory": directory, "streams": {"tags": {"key": ["code"]}}})
files.write("tags", [Change.upsert({"code": "k1"}, {"label": "changed"})])
"""


@pytest.mark.parametrize("stage", ["rows", "rename"])
def test_a_write_killed_midway_leaves_the_file_whole(folder: Path, stage: str) -> None:
    rows = "".join(f"k{number},label {number}\n" for number in range(10_000))
    (folder / "tags.csv").write_text(f"code,label\n{rows}", encoding="utf-8")
    original = (folder / "tags.csv").read_bytes()
    script = textwrap.dedent(_KILLED_WRITE)
    killed = subprocess.run([sys.executable, "-c", script, stage, str(folder)], check=False, timeout=120)
    assert killed.returncode == -9
    assert (folder / "tags.csv").read_bytes() == original


def test_a_write_holds_the_batch_in_memory_not_the_file(folder: Path, options: dict[str, Any]) -> None:
    rows = "".join(f"k{number},{'label ' * 8}{number}\n" for number in range(30_000))
    (folder / "tags.csv").write_text(f"code,label\n{rows}", encoding="utf-8")
    size = (folder / "tags.csv").stat().st_size
    files = connector(options)
    changes = [
        Change.upsert({"code": f"k{number}"}, {"label": "changed"}) for number in range(0, 100_000, 1000)
    ]
    tracemalloc.start()
    try:
        outcomes = files.write("tags", changes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(o.ok for o in outcomes)
    assert lines(folder / "tags.csv")[1] == "k0,changed"
    # about a sixth of the file here (buffers and the batch); reading the file into lists took 6x it
    assert peak < size / 3, f"peak {peak} bytes for a {size}-byte file"


def test_a_write_removes_the_temporary_files_killed_writes_left(
    folder: Path, options: dict[str, Any]
) -> None:
    import os
    import time

    stale, fresh = folder / ".tags.csv.abc123.tmp", folder / ".tags.csv.def456.tmp"
    other = folder / ".contacts.csv.abc123.tmp"
    for leftover in (stale, fresh, other):
        leftover.write_text("half a file", encoding="utf-8")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))

    outcomes = connector(options).write("tags", [Change.upsert({"code": "z"}, {"label": "Zed"})])

    assert [o.ok for o in outcomes] == [True]
    assert not stale.exists()
    assert fresh.exists()  # it may be another write's, still going on
    assert other.exists()  # another file's: that file's writes clean it
    assert lines(folder / "tags.csv")[-1] == "z,Zed"
