"""Two ``syncd run`` processes with the engine's runner share pipelines on one PostgreSQL and one emulator."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorSettings, start_emulator
from syncd.testing.pipeline import EmulatorAdmin

from .daemons import Daemon, credits_spent, eventually, lease

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PIPELINES = ("north", "south", "west")
DAILY_LIMIT = 50_000


def config_text(state_url: str, zoho_url: str, shop: Path, holder: str) -> str:
    text = f"""
[state]
url = "{state_url}"

[zoho]
accounts_url = "{zoho_url}"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"

[credits]
daily_limit = {DAILY_LIMIT}
reserve = 0

[daemon]
holder = "{holder}"
stop_timeout = "10s"
lease_ttl = "3s"

[connectors.shop]
type = "csv"
directory = "{shop}"
"""
    for name in PIPELINES:
        text += f"""streams.{name} = {{ key = ["email"] }}\n"""
    for name in PIPELINES:
        text += f"""
[pipelines.{name}]
connector = "shop"
stream = "{name}"
module = "Contacts"
direction = "push"
find_by = "Email"
schedule = "1s"
fields = {{ Email = "email", Last_Name = "last_name" }}
"""
    return text


def add_customers(shop: Path, pipeline: str, numbers: range) -> set[str]:
    path = shop / f"{pipeline}.csv"
    new = not path.exists()
    emails = {f"{pipeline}{i}@shop.example" for i in numbers}
    with path.open("a", newline="") as file:
        writer = csv.writer(file)
        if new:
            writer.writerow(["email", "last_name"])
        writer.writerows([email, f"Customer {email}"] for email in sorted(emails))
    return emails


def crm_emails(admin: EmulatorAdmin) -> list[str]:
    return [str(record["Email"]) for record in admin.records("Contacts") if record.get("Email")]


@pytest.fixture
def emulator() -> Iterator[EmulatorAdmin]:
    with start_emulator(EmulatorSettings(job_seconds=0.1)) as running:
        yield EmulatorAdmin(running.url)


@pytest.fixture
def pair(tmp_path: Path, postgres_schema_url: str, emulator: EmulatorAdmin) -> Iterator[list[Daemon]]:
    shop = tmp_path / "shop"
    shop.mkdir()
    for name in PIPELINES:
        add_customers(shop, name, range(5))
    started = []
    for holder in ("a", "b"):
        config = tmp_path / f"{holder}.toml"
        config.write_text(config_text(postgres_schema_url, emulator.url, shop, holder))
        started.append(Daemon(config, tmp_path / f"{holder}.log", runner=None))
    yield started
    for daemon in started:
        daemon.kill()


def test_two_engine_daemons_sync_every_record_once_and_take_over_after_a_kill(
    pair: list[Daemon], emulator: EmulatorAdmin, postgres_schema_url: str, tmp_path: Path
) -> None:
    url, shop = postgres_schema_url, tmp_path / "shop"
    wanted = {f"{name}{i}@shop.example" for name in PIPELINES for i in range(5)}
    eventually(lambda: wanted <= set(crm_emails(emulator)), "every customer in the CRM", daemons=pair)
    holders = eventually(
        lambda: all(lease(url, p) for p in PIPELINES) and {p: lease(url, p).holder for p in PIPELINES},  # type: ignore[union-attr]
        "every pipeline leased",
        daemons=pair,
    )
    victim_name = holders[PIPELINES[0]]
    victim, survivor = (pair[0], pair[1]) if victim_name == "a" else (pair[1], pair[0])
    survivor_name = "b" if victim_name == "a" else "a"
    taken = [p for p, holder in holders.items() if holder == victim_name]

    victim.kill()
    later = set().union(*(add_customers(shop, p, range(5, 8)) for p in taken))
    eventually(
        lambda: all((held := lease(url, p)) and held.holder == survivor_name for p in taken),
        f"{survivor_name} holding {taken}",
        daemons=[survivor],
    )
    eventually(
        lambda: later <= set(crm_emails(emulator)), "the later customers in the CRM", daemons=[survivor]
    )
    assert survivor.stop() == 0

    emails = crm_emails(emulator)
    assert len(emails) == len(set(emails)), "a customer reached the CRM twice"
    used = emulator.stats()["products"]["crm"]["credits"]["used"]
    booked = credits_spent(url, survivor.config)
    # The ledger books every call Zoho charges, except those the killed daemon made after its last
    # booking: never more than Zoho counted.
    assert 0 < booked <= used <= DAILY_LIMIT
