from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.config import CreditCosts
from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.engine.criteria import parse_criteria, parse_criterion
from syncd.engine.export import CallMeter, ExportRequest, export_module
from syncd.errors import ConfigError
from syncd.zoho import Credentials, Endpoints, PollPolicy, ZohoClient, all_of, where

from .conftest import Run


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(job_seconds=0.02, page_size=40, seed={"Contacts": 100})
    with start_emulator(settings) as emu, emu.admin() as admin:
        admin.post("seed", json={"module": "Events", "count": 90, "seed": 1}).raise_for_status()
        yield emu


@pytest.fixture
def metered(emulator: RunningEmulator, tmp_path: Path) -> Iterator[tuple[ZohoClient, CallMeter]]:
    meter = CallMeter()
    client = ZohoClient(
        Endpoints.explicit(emulator.url), Credentials("demo", "demo", "demo"), transport=meter,
        poll=PollPolicy(initial=0.01, maximum=0.05, timeout=30), work_dir=tmp_path / "work",
    )  # fmt: skip
    with client:
        yield client, meter


def test_a_csv_export_has_every_page_under_one_header(
    metered: tuple[ZohoClient, CallMeter], emulator: RunningEmulator, tmp_path: Path
) -> None:
    client, meter = metered
    seen: list[tuple[int, int, bool]] = []
    request = ExportRequest("Contacts", tmp_path / "contacts.csv", fields=("Last_Name", "Email"))
    result = export_module(client, request, on_page=lambda *progress: seen.append(progress))
    with request.output.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Id", "Last_Name", "Email"] or sorted(rows[0]) == ["Email", "Id", "Last_Name"]
    assert len(rows) == 101 and (result.pages, result.records) == (3, 100)
    assert len({row[rows[0].index("Id")] for row in rows[1:]}) == 100
    assert seen == [(1, 40, True), (2, 80, True), (3, 100, False)]
    assert not (tmp_path / "contacts.csv.part").exists()
    # 3 jobs; per page at least a status call and a download; one field-metadata call
    assert meter.read_jobs == 3 and meter.calls >= 7
    assert meter.credits(CreditCosts()) == 150 + meter.calls


def test_criteria_reach_zoho(metered: tuple[ZohoClient, CallMeter], tmp_path: Path) -> None:
    client, _ = metered
    everyone = export_module(client, ExportRequest("Contacts", tmp_path / "all.csv", fields=("Email",)))
    some = ExportRequest(
        "Contacts", tmp_path / "some.csv", fields=("Email",),
        criteria=parse_criteria(["Email ends_with @wayne.example"]),
    )  # fmt: skip
    filtered = export_module(client, some)
    with some.output.open(newline="") as handle:
        emails = [row["Email"] for row in csv.DictReader(handle)]
    assert 0 < filtered.records < everyone.records
    assert all(email.endswith("@wayne.example") for email in emails) and len(emails) == filtered.records


def test_an_ics_export_is_one_calendar_of_every_page(
    metered: tuple[ZohoClient, CallMeter], tmp_path: Path
) -> None:
    client, meter = metered
    result = export_module(client, ExportRequest("Events", tmp_path / "events.ics", file_type="ics"))
    text = (tmp_path / "events.ics").read_bytes().decode()
    assert (result.pages, result.records) == (3, 90)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VCALENDAR") == 1 and text.count("END:VCALENDAR") == 1
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == 90
    assert meter.read_jobs == 3


def test_a_failed_export_leaves_no_file(metered: tuple[ZohoClient, CallMeter], tmp_path: Path) -> None:
    client, _ = metered
    request = ExportRequest("Contacts", tmp_path / "x.csv", criteria=where("Nope_Field", "equal", "1"))
    with pytest.raises(ConfigError, match="unknown field 'Nope_Field'"):
        export_module(client, request)
    assert list(tmp_path.glob("x.csv*")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lead_Source in Web,Trade Show", where("Lead_Source", "in", ["Web", "Trade Show"])),
        ("Modified_Time >= 2025-01-01T00:00Z", where("Modified_Time", "greater_equal", "2025-01-01T00:00Z")),
        ("Amount<100", where("Amount", "less_than", "100")),
        ("Email   ends_with   @example.com", where("Email", "ends_with", "@example.com")),
        ("Stage NOT IN Lost,Closed", where("Stage", "not_in", ["Lost", "Closed"])),
        ("Created_Time between 2025-01,2025-02", where("Created_Time", "between", ["2025-01", "2025-02"])),
        ("Last_Name != Smith Jones", where("Last_Name", "not_equal", "Smith Jones")),
    ],
)  # fmt: skip
def test_criteria_syntax(text: str, expected: object) -> None:
    assert parse_criterion(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Lead_Source", "write FIELD OPERATOR VALUE"),
        ("Lead_Source resembles Web", "write FIELD OPERATOR VALUE"),
        ("Lead_Source =", "no value after"),
        ("Stage in Lost,,Won", "an empty value"),
        ("Created_Time between 2025-01-01", "between takes two values"),
    ],
)
def test_bad_criteria_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_criterion(text)
    assert repr(text) in str(caught.value)


def test_several_criteria_must_all_hold() -> None:
    assert parse_criteria([]) is None
    assert parse_criteria(["A = 1", "B = 2"]) == all_of(where("A", "equal", "1"), where("B", "equal", "2"))


def test_the_export_command_on_the_embedded_emulator(syncd: Run, tmp_path: Path, config_file: Path) -> None:
    seed = tmp_path / "crm.json"
    seed.write_text('{"Contacts": [{"Last_Name": "Ada", "Email": "ada@example.com"}, {"Last_Name": "Bo"}]}')
    config_file.write_text(
        config_file.read_text().replace("emulator = true", f'emulator = true\nemulator_seed = "{seed}"')
    )
    target = tmp_path / "out.csv"
    code, out, err = syncd("export", "Contacts", "--fields", "Last_Name,Email", "-o", str(target))
    assert code == 0, err
    assert "2 record(s) in 1 page(s)" in out and "credits (1 bulk read job(s)" in out
    with target.open(newline="") as handle:
        assert sorted(row["Last_Name"] for row in csv.DictReader(handle)) == ["Ada", "Bo"]
    status = syncd("status", "--json")[1]
    assert '"spent": 5' in status  # 50 for the job plus its calls, booked in the ledger


def test_the_export_command_refuses_bad_criteria_before_spending(syncd: Run, tmp_path: Path) -> None:
    code, _, err = syncd("export", "Contacts", "--criteria", "Email", "-o", str(tmp_path / "x.csv"))
    assert code == 2 and "--criteria 'Email'" in err
    code, _, err = syncd("export", "Contacts", "--format", "ics", "-o", str(tmp_path / "x.ics"))
    assert code == 2 and "ICS export is only for Events" in err
