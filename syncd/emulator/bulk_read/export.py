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
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from syncd.emulator.bulk_read.columns import Column, Row
from syncd.emulator.schema import ModuleDef
from syncd.emulator.values import format_datetime, to_csv

# Types whose CSV form is not what the csv module prints anyway (``str(value)``, None as empty).
FORMATTED = frozenset({"boolean", "date", "datetime", "multiselectpicklist"})
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


class DateTimeCells:
    """``values.to_csv`` for date-time cells, with the date, hour and offset computed once per quarter hour.

    Every time-zone offset and transition of the modern tz database falls on a quarter hour, so within
    one UTC quarter hour only the minutes and seconds change. Quarters that do not look like that
    (local mean time before 1900, say) are printed by ``format_datetime`` itself.
    """

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._quarters: dict[int, tuple[str, int, str] | None] = {}

    def __call__(self, seconds: Any) -> str:
        if seconds is None:
            return ""
        if type(seconds) is not int:
            return format_datetime(seconds, self.zone)
        quarter, within = divmod(seconds, 900)
        if quarter not in self._quarters:
            self._quarters[quarter] = self._base(quarter * 900)
        base = self._quarters[quarter]
        if base is None:
            return format_datetime(seconds, self.zone)
        prefix, minute, offset = base
        minutes, rest = divmod(within, 60)
        return f"{prefix}{minute + minutes:02d}:{rest:02d}{offset}"

    def _base(self, start: int) -> tuple[str, int, str] | None:
        text = format_datetime(start, self.zone)  # 2023-11-14T14:15:00-08:00
        minute, offset = int(text[14:16]), text[19:]
        if text[17:19] != "00" or minute % 15 or len(offset) != 6:
            return None
        return text[:14], minute, offset


def _picker(columns: Sequence[Column]) -> Callable[[Row], Sequence[Any]]:
    """Reads the columns' values from a stored row (one C call when none is a dotted path)."""
    positions = [column.position for column in columns]
    plain = [p for p in positions if p is not None]
    if len(plain) == len(positions) > 1:
        return itemgetter(*plain)
    getters = [column.get for column in columns]
    return lambda row: [get(row) for get in getters]


def row_renderer(columns: Sequence[Column], zone: tzinfo) -> Callable[[int, Row], list[Any]]:
    """The CSV row of a record: its id, then each column as ``values.to_csv`` prints it.

    Values whose printed form is plain ``str(value)`` (text, numbers, lookup ids) go to the csv
    module as they are, which prints them just so and None as an empty cell; the others are
    formatted here.
    """
    pick = _picker(columns)
    datetimes = DateTimeCells(zone)
    special = [
        (
            index + 1,
            datetimes if column.field.data_type == "datetime" else partial(to_csv, column.field, zone=zone),
        )
        for index, column in enumerate(columns)
        if column.field.data_type in FORMATTED
    ]

    def render(record_id: int, row: Row) -> list[Any]:
        values = [record_id, *pick(row)]
        for index, fmt in special:
            values[index] = fmt(values[index])
        return values

    return render


def write_csv(
    path: Path,
    member: str,
    columns: Iterable[Column],
    rows: Rows,
    zone: tzinfo,
    *,
    keep: PageText | None = None,
) -> int:
    """Write the CSV zip; returns the number of records written. ``keep`` receives the text too."""
    columns = list(columns)
    render = row_renderer(columns, zone)
    count = 0
    with zipped_text(path, member) as text:
        out: IO[str] | PageText = text
        if keep is not None:
            keep.into = text
            out = keep
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Id", *(column.name for column in columns)])
        for record_id, row in rows:
            writer.writerow(render(record_id, row))
            count += 1
    return count


def write_text(path: Path, member: str, text: str) -> None:
    """Write a CSV zip whose content is ``text``, rendered before."""
    with zipped_text(path, member) as out:
        out.write(text)


class PageText:
    """Passes a page's text on to the zip and keeps a copy while it fits in ``budget`` characters."""

    def __init__(self, budget: int) -> None:
        self.into: IO[str] | None = None
        self.parts: list[str] | None = []
        self._left = budget

    def write(self, text: str) -> int:
        assert self.into is not None
        if self.parts is not None:
            self._left -= len(text)
            if self._left < 0:
                self.parts = None  # too big to keep: the page is rendered again next time
            else:
                self.parts.append(text)
        return self.into.write(text)

    def text(self) -> str | None:
        return None if self.parts is None else "".join(self.parts)


class PageCache:
    """The text of recent whole-module CSV pages, keyed by query and the record store's change count.

    Rendering is most of a page's cost; a page asked for again while no record changed (no insert,
    update or delete anywhere, so no lookup name moved either) is zipped from the kept text instead.
    What is kept is bounded by ``budget`` characters, the oldest pages going first.
    """

    def __init__(self, budget: int = 256 << 20) -> None:
        self.budget = budget
        self._pages: OrderedDict[Hashable, tuple[int, str, int, bool]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, changes: int) -> tuple[str, int, bool] | None:
        """The text, record count and ``more_records`` of the page, if kept at this change count."""
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] != changes:
                return None
            self._pages.move_to_end(key)
            return found[1:]

    def put(self, key: Hashable, changes: int, text: str, count: int, more: bool) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._pages[key] = (changes, text, count, more)
            self._size += len(text)
            while self._size > self.budget and self._pages:
                _, dropped = self._pages.popitem(last=False)
                self._size -= len(dropped[1])

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._size = 0


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
