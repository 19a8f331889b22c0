"""``syncd run`` with the engine's own runner: a CSV shop and the Zoho emulator, kept in sync."""

from __future__ import annotations

import csv
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from syncd.emulator import EmulatorSettings, start_emulator
from syncd.testing.pipeline import EmulatorAdmin

from .daemons import ROOT, Daemon, eventually

pytestmark = pytest.mark.slow

STOP_TIMEOUT = 10


def write_engine_config(
    path: Path,
    *,
    state_url: str,
    zoho_url: str,
    holder: str,
    extra: str = "",
    zoho_extra: str = "",
    pipeline_extra: str = "",
) -> Path:
    shop = path.parent / "shop"
    if not shop.exists():
        shutil.copytree(ROOT / "config" / "demo" / "shop", shop)
    path.write_text(f"""
[state]
url = "{state_url}"

[zoho]
accounts_url = "{zoho_url}"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"
{zoho_extra}

[daemon]
holder = "{holder}"
stop_timeout = "{STOP_TIMEOUT}s"
metrics_port = 0
{extra}

[connectors.shop]
type = "csv"
directory = "{shop}"
streams.customers = {{ key = ["email"] }}

[pipelines.contacts]
connector = "shop"
stream = "customers"
module = "Contacts"
direction = "both"
find_by = "Email"
schedule = "2s"
{pipeline_extra}

[pipelines.contacts.fields]
Email = "email"
Last_Name = "last_name"
""")
    return path


def shop_rows(config: Path) -> list[dict[str, str]]:
    with (config.parent / "shop" / "customers.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def add_shop_rows(config: Path, rows: list[dict[str, str]]) -> None:
    path = config.parent / "shop" / "customers.csv"
    with path.open("a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(shop_rows(config)[0]))
        writer.writerows(rows)


def crm_emails(admin: EmulatorAdmin) -> list[str]:
    return [str(record["Email"]).lower() for record in admin.records("Contacts") if record.get("Email")]


def metrics_url(daemon: Daemon) -> str:
    found = eventually(
        lambda: re.search(r"metrics at (http://\S+)/metrics", daemon.log()),
        "metrics served",
        daemons=[daemon],
    )
    return f"{found.group(1)}/metrics"


def samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(url, timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def emulator() -> Iterator[EmulatorAdmin]:
    with start_emulator(EmulatorSettings(job_seconds=0.5)) as running:
        yield EmulatorAdmin(running.url)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def test_the_daemon_keeps_the_shop_and_the_crm_in_sync(
    tmp_path: Path, emulator: EmulatorAdmin, daemons: list[Daemon]
) -> None:
    config = write_engine_config(
        tmp_path / "syncd.toml",
        state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
        zoho_url=emulator.url,
        holder="only",
    )
    daemons.append(Daemon(config, tmp_path / "run.log", runner=None))
    daemon = daemons[0]
    emails = {row["email"].lower() for row in shop_rows(config) if not row["email"].endswith("@")}

    eventually(
        lambda: emails <= set(crm_emails(emulator)), "the shop's customers in the CRM", daemons=daemons
    )
    ada = next(r for r in emulator.records("Contacts") if r["Email"] == "ada.lovelace@northwind.example")
    emulator.update("Contacts", str(ada["id"]), {"Last_Name": "Byron"})
    eventually(
        lambda: any(row["last_name"] == "Byron" for row in shop_rows(config)),
        "the CRM's change in the shop",
        daemons=daemons,
    )

    found = samples(metrics_url(daemon))
    assert value(found, "syncd_runs_total", pipeline="contacts", outcome="success") >= 2
    assert value(found, "syncd_rows_total", pipeline="contacts", direction="push", outcome="created") >= len(
        emails
    ) or value(found, "syncd_rows_total", pipeline="contacts", direction="push", outcome="updated") >= len(
        emails
    )
    assert value(found, "syncd_rows_total", pipeline="contacts", direction="pull", outcome="updated") >= 1
    assert value(found, "syncd_credits_left") > 0
    runs = value(found, "syncd_runs_total", pipeline="contacts", outcome="success")
    assert value(found, "syncd_zoho_job_duration_seconds_count", operation="read") >= runs  # one a run
    assert value(found, "syncd_last_success_timestamp_seconds", pipeline="contacts") > 0
    assert value(found, "syncd_rejects_waiting", pipeline="contacts") == 1  # the shop's bad e-mail address
    assert sorted(crm_emails(emulator)) == sorted(set(crm_emails(emulator))), "duplicates in the CRM"


def test_sigterm_during_a_run_exits_in_time_and_the_next_start_finishes_the_work(
    tmp_path: Path, emulator: EmulatorAdmin, daemons: list[Daemon]
) -> None:
    config = write_engine_config(
        tmp_path / "syncd.toml",
        state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
        zoho_url=emulator.url,
        holder="only",
    )
    daemons.append(Daemon(config, tmp_path / "first.log", runner=None))
    first = daemons[0]
    eventually(lambda: "run succeeded" in first.log(), "a first run", daemons=daemons)

    new = [
        {"email": f"new{i}@shop.example", "first_name": "New", "last_name": f"Customer {i}", "phone": ""}
        for i in range(5)
    ]
    add_shop_rows(config, new)
    started = first.log().count("run started")
    eventually(lambda: first.log().count("run started") > started, "a run in progress", daemons=daemons)
    first.signal(signal.SIGTERM)
    assert first.process.wait(STOP_TIMEOUT + 5) == 0, first.log()

    daemons.append(Daemon(config, tmp_path / "second.log", runner=None))
    wanted = {row["email"] for row in new}
    eventually(
        lambda: wanted <= set(crm_emails(emulator)), "the new customers in the CRM", daemons=daemons[1:]
    )
    emails = crm_emails(emulator)
    assert len(emails) == len(set(emails)), "a customer reached the CRM twice"
    assert daemons[1].stop() == 0
