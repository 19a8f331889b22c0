"""Bulk read against the emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.zoho import BulkQuery, ZohoClient, where

QUERY = BulkQuery("Contacts", fields=("Last_Name", "Email"))


def ids_of(records: list[dict[str, str]]) -> list[str]:
    return [record.get("Id") or record["id"] for record in records]


def test_every_record_is_read_once_across_pages(connect: Callable[..., ZohoClient]) -> None:
    client = connect()
    pages = []
    ids: list[str] = []
    for page, result in client.bulk_read.read_pages(QUERY):
        pages.append(page.number)
        ids.extend(ids_of(list(result.records())))
    assert pages == [1, 2, 3]  # 250 records, 100 a page
    assert len(ids) == len(set(ids)) == 250


def test_criteria_are_applied_by_the_server(connect: Callable[..., ZohoClient]) -> None:
    client = connect()
    everyone = list(client.bulk_read.read_all(QUERY))
    initial = everyone[0]["Last_Name"][0]
    query = BulkQuery("Contacts", fields=("Last_Name",), criteria=where("Last_Name", "starts_with", initial))
    chosen = list(client.bulk_read.read_all(query))
    expected = [r for r in everyone if r["Last_Name"].startswith(initial)]
    assert chosen and len(chosen) == len(expected)
    assert all(record["Last_Name"].startswith(initial) for record in chosen)


@pytest.fixture
def short_tokens() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(job_seconds=1.5, page_size=100, token_seconds=1, seed={"Contacts": 120})
    with start_emulator(settings) as emu:
        yield emu


def test_a_token_expiring_mid_job_is_replaced(
    short_tokens: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect(url=short_tokens.url)
    ids = ids_of(list(client.bulk_read.read_all(QUERY)))
    assert len(ids) == 120
    assert client.auth.tokens_minted >= 2  # each token lives 1 s; each job takes 1.5 s


def test_events_export_as_icalendar(emulator: RunningEmulator, connect: Callable[..., ZohoClient]) -> None:
    with emulator.admin() as admin:
        admin.post(
            "seed", json={"module": "Events", "count": 5, "seed": 1, "product": "crm"}
        ).raise_for_status()
    reader = connect().bulk_read
    job = reader.wait(reader.create_job(BulkQuery("Events", file_type="ics")))
    with reader.download(job) as result, result.open_text() as calendar:
        text = calendar.read()
    assert text.startswith("BEGIN:VCALENDAR")
    assert text.count("BEGIN:VEVENT") == 5
