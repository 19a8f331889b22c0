"""Reading a CSV file row by row with line numbers (and, on request, a digest of the bytes read),
and rewriting it atomically."""

from __future__ import annotations

import codecs
import csv
import glob
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from syncd import ConfigError, FatalError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


@dataclass(frozen=True)
class Row:
    line: int
    """The line the row starts on (1 is the header)."""
    cells: list[str]


@dataclass(frozen=True)
class Layout:
    """How a file is written, so a rewrite keeps it: byte-order mark and line ending."""

    bom: bool = False
    newline: str = "\r\n"


class _Digesting(io.RawIOBase):
    """A file read through it feeds every byte it returns to ``digest``."""

    def __init__(self, raw: io.FileIO, digest: hashlib.blake2b) -> None:
        super().__init__()
        self._raw = raw
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        count = self._raw.readinto(buffer) or 0
        self._digest.update(memoryview(buffer)[:count])
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def _text(path: Path, encoding: str, digest: hashlib.blake2b | None) -> IO[str]:
    if digest is None:
        return path.open(encoding=encoding, newline="")
    raw = io.BufferedReader(_Digesting(io.FileIO(path), digest))
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _open(path: Path, encoding: str, digest: hashlib.blake2b | None = None) -> Iterator[str]:
    try:
        with _text(path, encoding, digest) as handle:
            yield from handle
    except FileNotFoundError:
        raise ConfigError(f"{path}: the file does not exist", file=str(path)) from None
    except UnicodeDecodeError:
        line = _first_undecodable_line(path, encoding)
        raise FatalError(
            f'{path}:{line}: the text is not valid {encoding}; set `encoding` (for example "cp1252")',
            file=str(path),
        ) from None


def _first_undecodable_line(path: Path, encoding: str) -> int:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return number
    return 0


def read_rows(
    path: Path, encoding: str, delimiter: str, *, digest: hashlib.blake2b | None = None
) -> Iterator[Row]:
    """Every row of the file, the header first, each with the line it starts on.

    ``digest`` is fed the file's bytes as they are read, so once every row has been read it is the
    digest of exactly the bytes those rows came from, whatever happens to the file meanwhile.
    """
    reader = csv.reader(_open(path, encoding, digest), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FatalError(
                f"{path}:{line}: malformed CSV ({exc}); nothing after it was read", file=str(path)
            ) from None
        yield Row(line, cells)
        line = reader.line_num + 1


def read_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    for row in read_rows(path, encoding, delimiter):
        return row.cells
    raise ConfigError(f"{path}: the file is empty; it needs a header row", file=str(path))


def layout_of(path: Path, encoding: str) -> Layout:
    with path.open("rb") as handle:
        start = handle.read(64 * 1024)
    bom = encoding.replace("_", "-").lower() == "utf-8-sig" and start.startswith(codecs.BOM_UTF8)
    first_break = start.find(b"\n")
    crlf = first_break > 0 and start[first_break - 1 : first_break] == b"\r"
    return Layout(bom=bom, newline="\r\n" if crlf or first_break < 0 else "\n")


def rewrite(
    path: Path, rows: Iterable[Sequence[str]], *, encoding: str, delimiter: str, layout: Layout
) -> None:
    """Replace the file with ``rows`` atomically: write them one by one to a temporary file beside
    it, flush it to disk, then rename it over the file. ``rows`` may be read from the file itself:
    it is replaced only once they are all written, and left as it was if anything fails before."""
    if encoding.replace("_", "-").lower() == "utf-8-sig" and not layout.bom:
        encoding = "utf-8"
    remove_leftovers(path)
    options = {"dir": path.parent, "prefix": f".{path.name}.", "suffix": ".tmp", "delete": False}
    with tempfile.NamedTemporaryFile("w", encoding=encoding, newline="", **options) as handle:  # type: ignore[call-overload]
        temporary = Path(handle.name)
        try:
            csv.writer(handle, delimiter=delimiter, lineterminator=layout.newline).writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    try:
        if path.exists():
            temporary.chmod(path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


#: A temporary file this old was left by a write that was killed (a live write keeps touching its own).
LEFTOVER_AGE = 3600.0


def remove_leftovers(path: Path, *, now: float | None = None) -> list[Path]:
    """Delete the temporary files of :func:`rewrite` that a killed write left beside ``path``."""
    cutoff = (time.time() if now is None else now) - LEFTOVER_AGE
    removed = []
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed.append(leftover)
        except FileNotFoundError:
            continue
    return removed


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
