"""The CSV files of a bulk write job: read out of the uploaded zip, and the result zip written back.

Input CSVs are decoded with the job's ``character_encoding`` (UTF-8 by default, a byte-order mark
tolerated); the delimiter is whichever of ``,`` ``;`` ``:`` ``|`` the header row uses most. Blank
lines are not rows. The result zip holds one CSV per resource, ``{module}-{input name}.csv``: the
input columns as uploaded, then ``STATUS``, ``RECORD_ID`` and ``ERRORS``, rows in input order.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from syncd.emulator.wire import ZohoError

DELIMITERS = ",;:|"
RESULT_COLUMNS = ("STATUS", "RECORD_ID", "ERRORS")


@dataclass(frozen=True)
class CsvFile:
    name: str
    header: tuple[str, ...]
    rows: list[list[str]]
    delimiter: str


def check_encoding(name: str) -> str:
    """The codec for ``character_encoding``, or Zoho's INVALID_DATA naming the key."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ZohoError(
            "INVALID_DATA",
            f"invalid character_encoding {name!r}: not a known charset",
            400,
            {"api_name": "character_encoding"},
        ) from None


def _decode(raw: bytes, encoding: str | None, name: str) -> str:
    codec = check_encoding(encoding) if encoding else "utf-8"
    if codec == "utf-8":
        codec = "utf-8-sig"  # a BOM is tolerated
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise ZohoError(
            "INVALID_DATA",
            f"{name} cannot be read as {encoding or 'UTF-8'} (byte {exc.start}); "
            "give the file's charset in character_encoding",
            400,
            {"api_name": "character_encoding", "file_name": name},
        ) from None


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(name: str, text: str) -> CsvFile:
    first_line = text.split("\n", 1)[0]
    delimiter = detect_delimiter(first_line)
    try:
        lines = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    except csv.Error as exc:
        raise ZohoError(
            "INVALID_DATA", f"{name} is not a readable CSV file: {exc}", 400, {"file_name": name}
        ) from None
    if not lines:
        raise ZohoError("INVALID_DATA", f"{name} has no header row", 400, {"file_name": name})
    header = tuple(cell.strip() for cell in lines[0])
    return CsvFile(name, header, lines[1:], delimiter)


def read_csv(content: bytes, name: str, encoding: str | None) -> CsvFile:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        raw = archive.read(name)
    return parse_csv(name, _decode(raw, encoding, name))


@dataclass(frozen=True)
class ResultRow:
    status: str
    record_id: int | None
    errors: str


def result_csv(source: CsvFile, results: Sequence[ResultRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*source.header, *RESULT_COLUMNS])
    width = len(source.header)
    for row, result in zip(source.rows, results, strict=True):
        echoed = (row + [""] * width)[:width]
        record_id = "" if result.record_id is None else str(result.record_id)
        writer.writerow([*echoed, result.status, record_id, result.errors])
    return out.getvalue()


def result_name(module: str, source_name: str) -> str:
    stem = source_name.rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    return f"{module}-{stem}.csv"


def result_zip(parts: Sequence[tuple[str, str]]) -> bytes:
    """A zip of ``(file name, CSV text)`` parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts:
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
