"""Bulk-read result files: ``{job_id}.zip`` holding ``{job_id}.csv`` (or ``{job_id}.ics``).

Rows are streamed into the zip one by one (``ZipFile.open(name, "w")`` under a text wrapper), so a
200,000-record page never exists as one string. The zip is written beside its final name and moved
into place when complete, so a download never sees half a file.

CSV: a header of ``Id`` then the requested field paths in order; values as ``values.to_csv``
prints them in the org's time zone (ISO-8601 date-times, lookups as ids, multi-select picklists
joined with ``;``, empty cells for empty values); RFC-4180 quoting by the csv module.
ICS: one ``VEVENT`` per event, times in UTC, text escaped and lines folded as RFC 5545 wants.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Any

from syncd.emulator.bulk_read.columns import Column, Row
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.values import to_csv

PLAIN_TEXT = frozenset({"text", "email", "phone", "website", "picklist", "autonumber"})
Rows = Iterable[tuple[int, Row]]


@contextmanager
def zipped_text(path: Path, member: str) -> Iterator[IO[str]]:
    """A text stream whose content becomes ``member`` inside the zip at ``path``."""
    partial = path.with_name(path.name + ".part")
    try:
        with (
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
            archive.open(member, "w", force_zip64=True) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False) as text,
        ):
            yield text
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _formatter(field: FieldDef, zone: tzinfo) -> Callable[[Any], str]:
    if field.data_type in PLAIN_TEXT:
        return lambda value: "" if value is None else str(value)
    return lambda value: to_csv(field, value, zone)


def _renderer(column: Column, zone: tzinfo) -> Callable[[Row], str]:
    fmt, get = _formatter(column.field, zone), column.get
    return lambda row: fmt(get(row))


def write_csv(path: Path, member: str, columns: Iterable[Column], rows: Rows, zone: tzinfo) -> int:
    """Write the CSV zip; returns the number of records written."""
    columns = list(columns)
    renderers = [_renderer(column, zone) for column in columns]
    count = 0
    with zipped_text(path, member) as text:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(["Id", *(column.name for column in columns)])
        for record_id, row in rows:
            writer.writerow([str(record_id), *[render(row) for render in renderers]])
            count += 1
    return count


# -- ICS ----------------------------------------------------------------------------------------
def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets joined by CRLF and a space."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            pieces.append("".join(current))
            current, size = [], 1  # continuation lines start with a space
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces) + "\r\n"


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(record_id: int, values: dict[str, Any], zone: tzinfo) -> list[str]:
    start, end = values.get("Start_DateTime"), values.get("End_DateTime")
    stamp = values.get("Modified_Time") or values.get("Created_Time") or start or 0
    lines = ["BEGIN:VEVENT", f"UID:{record_id}", f"DTSTAMP:{_utc(stamp)}"]
    if values.get("All_day") and start is not None:
        first = datetime.fromtimestamp(start, zone).date()
        last = datetime.fromtimestamp(end, zone).date() if end is not None else first
        lines += [f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{last + timedelta(days=1):%Y%m%d}"]
    else:
        lines += [f"DTSTART:{_utc(start)}"] if start is not None else []
        lines += [f"DTEND:{_utc(end)}"] if end is not None else []
    for key, api_name in (("SUMMARY", "Event_Title"), ("LOCATION", "Venue"), ("DESCRIPTION", "Description")):
        if values.get(api_name):
            lines.append(f"{key}:{_escape(str(values[api_name]))}")
    lines.append("END:VEVENT")
    return lines


def write_ics(path: Path, member: str, module: ModuleDef, rows: Rows, zone: tzinfo) -> int:
    """Write the ICS zip of Events; returns the number of events written."""
    names = list(module.index)
    count = 0
    with zipped_text(path, member) as text:
        text.write(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//syncd//Zoho emulator//EN\r\nCALSCALE:GREGORIAN\r\n"
        )
        for record_id, row in rows:
            for line in _event_lines(record_id, dict(zip(names, row, strict=True)), zone):
                text.write(fold(line))
            count += 1
        text.write("END:VCALENDAR\r\n")
    return count
