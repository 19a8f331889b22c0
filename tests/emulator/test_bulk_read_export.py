"""The result-file writers: CSV cells are what ``values.to_csv`` prints, ICS lines are folded."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.emulator import EmulatorSettings
from syncd.emulator.bulk_read.columns import PathResolver
from syncd.emulator.bulk_read.export import DateTimeCells, fold, row_renderer, write_csv
from syncd.emulator.state import EmulatorState
from syncd.emulator.values import format_datetime, to_csv

SAMPLES: dict[str, Any] = {
    "Last_Name": 'Müller, "Jr"\n',
    "Email": "a@b.example",
    "Account_Name": 4876876000001000099,
    "Owner": 4876876000001000015,
    "Lead_Source": "Web Download",
    "Date_of_Birth": date(1990, 5, 1),
    "Last_Contacted": 1_700_000_000,
    "Email_Opt_Out": False,
    "Interests": ("Cloud", "AI"),
    "Loyalty_Points": 0,
    "Customer_Number": 123456789012345678,
    "Credit_Limit": Decimal("1500.50"),
    "Discount": Decimal("12.5"),
    "Score": Decimal("0.25"),
    "Phone": None,
}


@pytest.fixture
def org() -> EmulatorState:
    return EmulatorState(EmulatorSettings(timezone="America/Los_Angeles"))


@pytest.mark.parametrize("with_dotted_column", [False, True])
def test_csv_cells_are_what_to_csv_prints(
    org: EmulatorState, tmp_path: Path, with_dotted_column: bool
) -> None:
    owner = org.records.users[0]
    record_id = org.records.insert("crm", "Contacts", {**SAMPLES, "Owner": owner.id}, owner.id)
    module = org.records.module("crm", "Contacts")
    assert module is not None
    resolver = PathResolver(org.records, "crm", module)
    names = [*SAMPLES, "Created_Time"] + (["Owner.last_name"] if with_dotted_column else [])
    columns = [resolver.resolve(name) for name in names]
    zone = ZoneInfo("America/Los_Angeles")
    path = tmp_path / "out.zip"
    assert write_csv(path, "out.csv", columns, org.records.iter_rows("crm", "Contacts"), zone) == 1
    with zipfile.ZipFile(path) as archive:
        header, row = list(csv.reader(io.StringIO(archive.read("out.csv").decode(), newline="")))
    assert header == ["Id", *names]
    ((_, stored),) = list(org.records.iter_rows("crm", "Contacts"))
    expected = [str(record_id), *(to_csv(column.field, column.get(stored), zone) for column in columns)]
    assert row == expected
    assert row[names.index("Last_Contacted") + 1] == "2023-11-14T14:13:20-08:00"
    assert row[names.index("Email_Opt_Out") + 1] == "false"
    assert row[names.index("Loyalty_Points") + 1] == "0"
    assert row[names.index("Phone") + 1] == ""


def test_a_single_column_export_works(org: EmulatorState, tmp_path: Path) -> None:
    owner = org.records.users[0].id
    record_id = org.records.insert("crm", "Contacts", {"Last_Name": "Solo"}, owner)
    module = org.records.module("crm", "Contacts")
    assert module is not None
    column = PathResolver(org.records, "crm", module).resolve("Last_Name")
    render = row_renderer([column], org.zone)
    row = next(r for _, r in org.records.iter_rows("crm", "Contacts"))
    assert render(record_id, row) == [record_id, "Solo"]


def test_ics_lines_fold_at_75_octets_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    pieces = folded.removesuffix("\r\n").split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join(piece.removeprefix(" ") if i else piece for i, piece in enumerate(pieces)) == line


@pytest.mark.parametrize(
    "zone_name",
    ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/Dublin"],
)
def test_date_time_cells_print_exactly_what_format_datetime_prints(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    cells = DateTimeCells(zone)
    rng = random.Random(zone_name)
    # random instants since 1850 (local mean time included), and every second around DST changes
    instants = [rng.randrange(-3_800_000_000, 2_000_000_000) for _ in range(5_000)]
    for change in (1_710_054_000, 1_730_613_600, 1_711_846_800, 1_712_419_200, 1_728_144_000):
        instants += range(change - 3_700, change + 3_700, 7)
    for seconds in instants:
        assert cells(seconds) == format_datetime(seconds, zone), seconds
    assert cells(None) == ""
