"""Zip archives from Zoho, opened safely and read as a stream.

A bulk result is spooled to a temporary file and read entry by entry; nothing holds a whole page in
memory. Entries whose names carry path components, and entries that would expand absurdly, are
refused before a byte is extracted (:class:`~syncd.errors.UnsafeArchiveError`).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from syncd.errors import TransientError, UnsafeArchiveError
from syncd.zoho.limits import MAX_ENTRY_BYTES, MAX_EXPANSION_RATIO

# Below this size a high ratio is just a small, repetitive file.
_RATIO_FLOOR_BYTES = 1 << 20
_CHUNK = 1 << 20
# A zip entry's local header (PKWARE APPNOTE 4.3.7): its fixed part, then the name and the extra field.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def check_entry(info: zipfile.ZipInfo, archive: str) -> None:
    name = info.filename
    if not name or "/" in name or "\\" in name or name in (".", "..") or ":" in name:
        raise UnsafeArchiveError(
            f"refusing archive entry {name!r}: entries must be plain file names", archive=archive
        )
    if info.file_size > MAX_ENTRY_BYTES:
        raise UnsafeArchiveError(
            f"refusing archive entry {name!r}: {info.file_size} bytes is beyond the {MAX_ENTRY_BYTES} limit",
            archive=archive,
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_EXPANSION_RATIO:
        raise UnsafeArchiveError(
            f"refusing archive entry {name!r}: it would expand {ratio:.0f} times "
            f"(limit {MAX_EXPANSION_RATIO})",
            archive=archive,
        )


def open_zip(path: Path, *, label: str) -> zipfile.ZipFile:
    """Open and vet every entry; a file that is not a zip means the download was cut or garbled."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise TransientError(f"the downloaded {label} is not a complete zip archive", archive=label) from None
    try:
        for info in archive.infolist():
            check_entry(info, label)
    except UnsafeArchiveError:
        archive.close()
        raise
    return archive


def _lines(raw: IO[bytes], chunk: int = _CHUNK) -> Iterator[str]:
    """Lines (ends kept) decoded from big chunks: cheaper per row than a TextIOWrapper over a zip entry."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    tail = ""
    while True:
        data = raw.read(chunk)
        text = tail + decoder.decode(data, final=not data)
        if not data:
            if text:
                yield text
            return
        cut = text.rfind("\n") + 1
        tail = text[cut:]
        yield from io.StringIO(text[:cut], newline="")


class ResultFile:
    """A spooled bulk result: a zip on disk whose entries are read as streams, deleted on close."""

    def __init__(self, path: Path, *, label: str, owned: bool = True) -> None:
        self.path = path
        self.label = label
        self._owned = owned
        self._zip = open_zip(path, label=label)
        self._streams: list[IO[Any]] = []

    @classmethod
    def spool(cls, directory: str | os.PathLike[str] | None, label: str) -> tuple[Path, io.BufferedRandom]:
        handle = tempfile.NamedTemporaryFile(prefix="syncd-", suffix=".zip", dir=directory, delete=False)  # noqa: SIM115
        return Path(handle.name), handle  # type: ignore[return-value]

    @property
    def names(self) -> list[str]:
        return self._zip.namelist()

    def open_text(self, name: str | None = None) -> io.TextIOWrapper:
        """One entry (the only one by default) decoded as UTF-8, BOM tolerated."""
        entry = name or self._single_name()
        stream = io.TextIOWrapper(self._zip.open(entry), encoding="utf-8-sig", newline="")
        self._streams.append(stream)
        return stream

    def csv_rows(self, name: str | None = None) -> Iterator[list[str]]:
        """Every row of a CSV entry, header included, as lists of strings."""
        raw = self._zip.open(name or self._single_name())
        self._streams.append(raw)
        with raw:
            try:
                yield from csv.reader(_lines(raw))
            except (zipfile.BadZipFile, EOFError, csv.Error, UnicodeDecodeError) as exc:
                raise TransientError(
                    f"the downloaded {self.label} is damaged: {exc}", archive=self.label
                ) from None

    def entry_digest(self, key: bytes, name: str | None = None) -> str:
        """A keyed BLAKE2b of an entry's compressed bytes, with its method, CRC-32 and size.

        Equal digests mean equal content (inflating the same bytes gives the same text) at the cost
        of hashing the compressed bytes, a fraction of reading the entry. Unequal digests say
        nothing: another compressor may pack the same text differently.
        """
        info = self._zip.getinfo(name or self._single_name())
        digest = hashlib.blake2b(key=key, digest_size=32)
        digest.update(f"{info.compress_type}:{info.CRC}:{info.file_size}:{info.compress_size}".encode())
        with self.path.open("rb") as raw:
            raw.seek(info.header_offset)
            header = raw.read(_LOCAL_HEADER.size)
            if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
                damaged = f"the downloaded {self.label} is damaged: no local header"
                raise TransientError(damaged, archive=self.label)
            *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
            raw.seek(name_length + extra_length, os.SEEK_CUR)
            left = info.compress_size
            while left > 0:
                data = raw.read(min(left, _CHUNK))
                if not data:
                    raise TransientError(f"the downloaded {self.label} is cut short", archive=self.label)
                digest.update(data)
                left -= len(data)
        return digest.hexdigest()

    def _single_name(self) -> str:
        names = self.names
        if len(names) != 1:
            raise UnsafeArchiveError(
                f"expected one file in {self.label}, found {len(names)}: {names[:5]}", archive=self.label
            )
        return names[0]

    def close(self) -> None:
        """Close every stream still open on the archive, the archive, and delete an owned spool."""
        for stream in self._streams:
            stream.close()
        self._zip.close()
        if self._owned:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
