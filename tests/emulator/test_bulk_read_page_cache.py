"""An unchanged whole-module page is zipped again from the text kept, never served stale."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.emulator.bulk_read import export
from syncd.emulator.bulk_read.export import PageCache
from syncd.emulator.seed import seed_module

from .bulk_read_client import BulkRead, client_for

FIELDS = ["Email", "Last_Name", "Phone"]


@pytest.fixture
def paged() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0, page_size=4)) as emu:
        seed_module(emu.state, "crm", "Contacts", 6, seed=3)
        yield emu


@pytest.fixture
def reads(paged: RunningEmulator) -> Iterator[BulkRead]:
    with client_for(paged) as api:
        yield BulkRead(api)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows each export rendered (0 when the page came from the kept text)."""
    counts: list[int] = []
    original = export.write_csv

    def counting(*args: Any, **kwargs: Any) -> int:
        count = original(*args, **kwargs)
        counts.append(count)
        return count

    monkeypatch.setattr("syncd.emulator.bulk_read.job.write_csv", counting)
    return counts


def _page(reads: BulkRead, query: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    job = reads.run(query)
    answer = reads.download(job["id"])
    with zipfile.ZipFile(BytesIO(answer.content)) as archive:
        (name,) = archive.namelist()
        return name, archive.read(name).decode(), job["result"]


def test_an_unchanged_page_is_the_same_page_without_rendering_it_again(
    reads: BulkRead, renders: list[int]
) -> None:
    query = {"module": {"api_name": "Contacts"}, "fields": FIELDS}
    first_name, first, first_result = _page(reads, query)
    second_name, second, second_result = _page(reads, query)

    assert renders == [4]  # the second job rendered nothing
    assert second == first and first.count("\r\n") == 5
    # Each job's file still holds its own member, named after the job.
    assert (first_name, second_name) == (f"{first_result['download_url'].split('/')[-2]}.csv",
                                         f"{second_result['download_url'].split('/')[-2]}.csv")  # fmt: skip
    assert first_name != second_name
    assert {k: v for k, v in second_result.items() if k not in ("download_url", "next_page_token")} == {
        k: v for k, v in first_result.items() if k not in ("download_url", "next_page_token")
    }
    assert second_result["more_records"] is True


def test_any_record_change_renders_the_page_anew(
    paged: RunningEmulator, reads: BulkRead, renders: list[int]
) -> None:
    query = {"module": {"api_name": "Contacts"}, "fields": FIELDS}
    _, before, _ = _page(reads, query)
    record_id = next(iter(paged.state.records.table("crm", "Contacts").rows))
    paged.state.records.update(
        "crm", "Contacts", record_id, {"Last_Name": "Changed"}, paged.state.records.users[0].id
    )

    _, after, _ = _page(reads, query)

    assert renders == [4, 4]
    assert "Changed" in after and after != before


def test_other_columns_or_criteria_are_other_pages(reads: BulkRead, renders: list[int]) -> None:
    _page(reads, {"module": {"api_name": "Contacts"}, "fields": FIELDS})
    _, fewer, _ = _page(reads, {"module": {"api_name": "Contacts"}, "fields": FIELDS[:2]})
    criteria = {"field": {"api_name": "Last_Name"}, "comparator": "not_equal", "value": "nobody"}
    _page(reads, {"module": {"api_name": "Contacts"}, "fields": FIELDS, "criteria": criteria})
    _page(reads, {"module": {"api_name": "Contacts"}, "fields": FIELDS, "criteria": criteria})

    assert renders == [4, 4, 4, 4]  # criteria pages are never kept
    assert fewer.splitlines()[0] == "Id,Email,Last_Name"


def test_the_cache_keeps_within_its_budget_oldest_first() -> None:
    cache = PageCache(budget=10)
    cache.put("a", 1, "aaaa", 1, False)
    cache.put("b", 1, "bbbb", 1, False)
    assert cache.get("a", 1) == ("aaaa", 1, False)  # now the newest used
    cache.put("c", 1, "cccc", 1, True)

    assert cache.get("b", 1) is None and cache.get("a", 1) is not None and cache.get("c", 1) is not None
    assert cache.get("a", 2) is None  # kept at another change count: stale, not served
