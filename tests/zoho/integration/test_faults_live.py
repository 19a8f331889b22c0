"""Every fault the emulator can inject, met by the client over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from syncd.emulator import RunningEmulator
from syncd.errors import JobFailedError
from syncd.zoho import BulkQuery, CreditInfo, RetryPolicy, ZohoClient

QUERY = BulkQuery("Contacts", fields=("Last_Name", "Email"))


def faults(emulator: RunningEmulator, **settings: object) -> None:
    with emulator.admin() as admin:
        admin.put("faults", json=settings).raise_for_status()


def advance(emulator: RunningEmulator, seconds: float) -> None:
    with emulator.admin() as admin:
        admin.post("clock/advance", json={"seconds": seconds}).raise_for_status()


def ids_read(client: ZohoClient, query: BulkQuery = QUERY) -> list[str]:
    return [record.get("Id") or record["id"] for record in client.bulk_read.read_all(query)]


def test_tokens_expired_by_the_server_mid_job_are_refreshed(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    reader = client.bulk_read
    job_id = reader.create_job(QUERY.at_page(1, None))
    faults(emulator, expire_tokens=True)
    with reader.download(reader.wait(job_id)) as result:
        assert len(list(result)) == 100
    assert client.auth.tokens_minted == 2


def test_429_on_downloads_is_waited_out(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    job = client.bulk_read.wait(client.bulk_read.create_job(QUERY.at_page(1, None)))
    faults(emulator, throttle_next=1)
    with client.bulk_read.download(job) as result:
        assert len(list(result)) == 100


def test_500s_and_dropped_connections_are_retried(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect(retry=RetryPolicy(attempts=8, initial_wait=0.01, max_wait=0.05, jitter=0.01, timeout=10))
    faults(emulator, seed=3, error_rate=0.2, drop_next=1)
    assert len(ids_read(client)) == 250


def test_a_cut_download_is_fetched_again(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    job = client.bulk_read.wait(client.bulk_read.create_job(QUERY.at_page(1, None)))
    faults(emulator, cut_next_downloads=1)
    with client.bulk_read.download(job) as result:
        assert len(list(result)) == 100


def test_a_job_ending_in_failure_raises(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    faults(emulator, fail_next_jobs=1)
    with pytest.raises(JobFailedError):
        client.bulk_read.wait(client.bulk_read.create_job(QUERY))


def test_an_expired_result_is_read_from_a_new_job(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    reader = client.bulk_read
    query = QUERY.at_page(1, None)
    job = reader.wait(reader.create_job(query))
    advance(emulator, 25 * 3600)
    with reader.fetch_page(query, job) as result:
        assert result.job.id != job.id
        assert len(list(result)) == 100


def test_a_lapsed_page_token_still_reaches_the_page(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    reader = client.bulk_read
    first = reader.wait(reader.create_job(QUERY.at_page(1, None)))
    assert first.more_records and first.next_page_token
    advance(emulator, 25 * 3600)
    second = reader.run_page(QUERY.at_page(2, first.next_page_token))
    with reader.fetch_page(QUERY.at_page(2, None), second) as result:
        assert len(list(result)) == 100


def test_throttling_and_its_cause_reach_the_caller(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    seen: list[CreditInfo] = []
    client = connect(on_credits=seen.append)
    faults(emulator, throttle_next=1)
    client.rest.org()
    assert seen and seen[0].throttled and seen[0].cause


def test_a_write_job_ending_in_failure_raises(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    writer = connect().bulk_write
    rows = [{"Email": "fail@example.com", "Last_Name": "Faulty"}]
    (batch,) = writer.prepare(
        "Contacts", rows, columns=["Email", "Last_Name"], key=lambda row: row["Email"]
    ).batches
    faults(emulator, fail_next_jobs=1)
    job_id = writer.create_job(batch, writer.upload(batch), operation="upsert", find_by="Email")
    with pytest.raises(JobFailedError):
        writer.wait(job_id)


def test_a_write_result_survives_throttling_and_a_cut_download(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    client = connect()
    writer = client.bulk_write
    rows = [{"Email": "cut@example.com", "Last_Name": "Cut"}]
    (batch,) = writer.prepare(
        "Contacts", rows, columns=["Email", "Last_Name"], key=lambda row: row["Email"]
    ).batches
    job = writer.wait(writer.create_job(batch, writer.upload(batch), operation="upsert", find_by="Email"))
    faults(emulator, throttle_next=1, cut_next_downloads=1)
    (outcome,) = writer.fetch_result(job, batch)
    assert (outcome.key, outcome.status) == ("cut@example.com", "ADDED")
