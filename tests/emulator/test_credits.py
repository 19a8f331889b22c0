"""Credits and concurrency end to end over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator

from .conftest import mint


@pytest.fixture
def free() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    """A Free edition org: 5,000 credits a day, 5 concurrent calls."""
    with start_emulator(EmulatorSettings(edition="free", token_seconds=3 * 86400)) as emu:
        token = mint(emu.url).json()["access_token"]
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        with httpx.Client(base_url=emu.url, headers=headers) as client:
            yield emu, client


def _used(admin: httpx.Client, product: str = "crm") -> int:
    return int(admin.get("stats").json()["products"][product]["credits"]["used"])


def test_an_upsert_costs_one_credit_per_ten_records(admin: httpx.Client, api: httpx.Client) -> None:
    records = [{"Last_Name": f"N{i}"} for i in range(25)]
    assert api.post("/crm/v8/Contacts/upsert", json={"data": records}).status_code == 200
    assert _used(admin) == 3
    api.post("/crm/v8/Contacts/upsert", json={"data": records[:1]})
    assert _used(admin) == 4


def test_other_calls_cost_one_credit_and_errors_none(admin: httpx.Client, api: httpx.Client) -> None:
    api.get("/crm/v8/org")
    api.get("/crm/v8/Contacts")
    api.get("/crm/v8/settings/fields", params={"module": "Contacts"})
    assert _used(admin) == 3
    api.get("/crm/v8/Spaceships")
    assert _used(admin) == 3
    api.get("/bigin/v2/org")
    assert (_used(admin), _used(admin, "bigin")) == (3, 1)


def test_remaining_credits_are_shown_once_half_are_used(
    free: tuple[RunningEmulator, httpx.Client],
) -> None:
    emu, api = free
    emu.state.credits["crm"].spend(2_498)
    below = api.get("/crm/v8/org")
    assert "X-API-CREDITS-REMAINING" not in below.headers
    half = api.get("/crm/v8/org")
    assert half.headers["X-API-CREDITS-REMAINING"] == "2500"


def test_a_spent_budget_answers_429_until_the_window_rolls(
    free: tuple[RunningEmulator, httpx.Client],
) -> None:
    emu, api = free
    emu.state.credits["crm"].spend(4_999)
    assert api.get("/crm/v8/org").status_code == 200
    refused = api.get("/crm/v8/org")
    assert (refused.status_code, refused.json()["code"]) == (429, "TOO_MANY_REQUESTS")
    assert refused.headers["X-API-CREDITS-REMAINING"] == "0"
    upsert = api.post("/crm/v8/Contacts/upsert", json={"data": [{"Last_Name": "A"}]})
    assert upsert.status_code == 429
    assert emu.state.records.count("crm", "Contacts") == 0
    emu.state.clock.advance(24 * 3600 + 1)
    assert api.get("/crm/v8/org").status_code == 200


def test_an_upsert_needing_more_credits_than_left_writes_nothing(
    free: tuple[RunningEmulator, httpx.Client],
) -> None:
    emu, api = free
    emu.state.credits["crm"].spend(4_998)
    records = [{"Last_Name": f"N{i}"} for i in range(25)]
    assert api.post("/crm/v8/Contacts/upsert", json={"data": records}).status_code == 429
    assert emu.state.records.count("crm", "Contacts") == 0


def test_calls_beyond_the_edition_concurrency_are_refused(
    free: tuple[RunningEmulator, httpx.Client],
) -> None:
    emu, api = free
    slots = emu.state.concurrency["crm"]
    for _ in range(5):  # five calls in flight: the Free edition's limit
        slots.acquire(False)
    refused = api.get("/crm/v8/org")
    assert (refused.status_code, refused.json()["code"]) == (429, "TOO_MANY_REQUESTS")
    assert "concurrency" in refused.json()["message"]
    assert api.get("/bigin/v2/org").status_code == 200
    slots.release(False)
    assert api.get("/crm/v8/org").status_code == 200


def test_upserts_above_ten_records_share_the_heavy_sub_pool(
    emulator: RunningEmulator, api: httpx.Client
) -> None:
    slots = emulator.state.concurrency["crm"]
    for _ in range(10):  # ten heavy calls in flight
        slots.enter_heavy()
    eleven = [{"Last_Name": f"N{i}"} for i in range(11)]
    refused = api.post("/crm/v8/Contacts/upsert", json={"data": eleven})
    assert (refused.status_code, refused.json()["code"]) == (429, "TOO_MANY_REQUESTS")
    assert api.post("/crm/v8/Contacts/upsert", json={"data": eleven[:10]}).status_code == 200
    slots.leave_heavy()
    assert api.post("/crm/v8/Contacts/upsert", json={"data": eleven}).status_code == 200
    assert emulator.state.records.count("crm", "Contacts") == 21
