from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from syncd.errors import TransientError
from syncd.zoho.archive import ResultFile, _lines

TRICKY = '\ufeffId,Name,Note\r\n1,"Zoë, ""the"" one","line one\r\nline two"\r\n2,Ünïcödé,\r\n3,"",plain\n'


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 20])
def test_rows_survive_any_chunk_boundary(chunk: int) -> None:
    expected = list(csv.reader(io.StringIO(TRICKY.removeprefix("\ufeff"), newline="")))
    got = list(csv.reader(_lines(io.BytesIO(TRICKY.encode("utf-8")), chunk)))
    assert got == expected
    assert got[1][2] == "line one\r\nline two"


def test_a_last_line_without_a_newline_is_kept() -> None:
    assert list(csv.reader(_lines(io.BytesIO(b"a,b\n1,2"), 3))) == [["a", "b"], ["1", "2"]]


def _zip(path: Path, member: str, text: str, level: int = 1) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr(member, text)
    return path


def test_an_entry_digest_follows_the_content_not_the_member_name(tmp_path: Path) -> None:
    text = "Id,Email\r\n" + "".join(f"{n},p{n}@example.com\r\n" for n in range(1000))

    def digest(path: Path, key: bytes = b"key") -> str:
        with ResultFile(path, label="page", owned=False) as result:
            return result.entry_digest(key)

    same = digest(_zip(tmp_path / "a.zip", "111.csv", text))
    assert digest(_zip(tmp_path / "b.zip", "222.csv", text)) == same
    assert digest(_zip(tmp_path / "c.zip", "111.csv", text.replace("p999@", "q999@"))) != same
    assert digest(tmp_path / "a.zip", b"another key") != same  # another query: another digest


def test_a_cut_entry_has_no_digest(tmp_path: Path) -> None:
    path = _zip(tmp_path / "page.zip", "1.csv", "Id\r\n" + "".join(f"{n}\r\n" for n in range(5000)), level=0)
    with ResultFile(path, label="page", owned=False) as result:
        info = result._zip.getinfo("1.csv")
        data = path.read_bytes()
        # Keep the central directory, lose the entry's bytes: the zip still opens.
        cut = data[: info.header_offset + 30 + len(info.filename) + 10] + data[-200:]
        path.write_bytes(data[: info.header_offset] + b"XXXX" + data[info.header_offset + 4 :])
        with pytest.raises(TransientError, match="damaged"):
            result.entry_digest(b"key")
        path.write_bytes(cut)
        with pytest.raises(TransientError):
            result.entry_digest(b"key")
