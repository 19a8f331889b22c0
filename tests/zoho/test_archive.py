from __future__ import annotations

import csv
import io

import pytest

from syncd.zoho.archive import _lines

TRICKY = '\ufeffId,Name,Note\r\n1,"Zoë, ""the"" one","line one\r\nline two"\r\n2,Ünïcödé,\r\n3,"",plain\n'


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 20])
def test_rows_survive_any_chunk_boundary(chunk: int) -> None:
    expected = list(csv.reader(io.StringIO(TRICKY.removeprefix("\ufeff"), newline="")))
    got = list(csv.reader(_lines(io.BytesIO(TRICKY.encode("utf-8")), chunk)))
    assert got == expected
    assert got[1][2] == "line one\r\nline two"


def test_a_last_line_without_a_newline_is_kept() -> None:
    assert list(csv.reader(_lines(io.BytesIO(b"a,b\n1,2"), 3))) == [["a", "b"], ["1", "2"]]
