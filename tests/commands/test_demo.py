"""The first-run demo's configuration and data hang together."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from syncd.cli import main
from syncd.config import load_config

CONFIG = Path(__file__).parents[2] / "config"


def test_the_demo_configuration_loads_and_seeds_the_emulator_from_its_own_folder() -> None:
    config = load_config(CONFIG / "demo.toml", environ={})
    assert config.zoho.emulator and config.zoho.emulator_seed == CONFIG / "demo" / "crm.json"
    assert config.state.url == "sqlite:///var/demo/syncd.sqlite"
    assert {name: p.module for name, p in config.pipelines.items()} == {
        "accounts": "Accounts",
        "contacts": "Contacts",
    }


def test_the_demo_data_overlaps_adds_conflicts_and_holds_one_bad_row() -> None:
    crm = json.loads((CONFIG / "demo" / "crm.json").read_text())
    with (CONFIG / "demo" / "shop" / "customers.csv").open(newline="") as handle:
        customers = list(csv.DictReader(handle))
    phones = {c["Email"]: c["Phone"] for c in crm["Contacts"]}
    assert len(crm["Accounts"]) == 4 and len(crm["Contacts"]) == 20
    known = [c for c in customers if c["email"] in phones]
    assert len(known) == 5
    assert [c["email"] for c in known if c["phone"] != phones[c["email"]]] == ["grace.hopper@globex.example"]
    assert [c["email"] for c in customers if "@" not in c["email"] or c["email"].endswith("@")] == [
        "maria.garcia@"
    ]


def test_the_demo_emulator_starts_with_the_seeded_crm_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo's paths are relative to where syncd runs
    out = tmp_path / "contacts.csv"
    for _ in range(2):  # the second start keeps the emulator's state instead of seeding again
        code = main(
            [
                "export",
                "Contacts",
                "--fields",
                "Email,Phone",
                "-o",
                str(out),
                "--config",
                str(CONFIG / "demo.toml"),
            ]
        )
        assert code == 0, capsys.readouterr().err
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 20
        assert {"grace.hopper@globex.example": "+442079460002"}.items() <= {
            r["Email"]: r["Phone"] for r in rows
        }.items()
    assert (tmp_path / "var" / "demo" / "emulator.sqlite").exists()


def run_demo_command(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    """One syncd command on the demo configuration, its exit code and its JSON output."""
    code = main([*args, "--json", "--config", str(CONFIG / "demo.toml")])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    return code, json.loads(captured.out)


def shop_rows(tmp_path: Path, stream: str) -> dict[str, dict[str, str]]:
    with (tmp_path / "var" / "demo" / "shop" / f"{stream}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    key = "email" if stream == "customers" else "name"
    return {row[key]: row for row in rows}


def test_the_demo_syncs_both_ways_settles_the_conflict_rejects_the_bad_row_then_has_nothing_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # what `make demo` does, in a copy
    shutil.copytree(CONFIG / "demo" / "shop", tmp_path / "var" / "demo" / "shop")

    code, first = run_demo_command(capsys, "sync")
    assert code == 1  # the demo's one reject
    reports = {report["pipeline"]: report for report in first["pipelines"]}
    contacts, accounts = reports["contacts"], reports["accounts"]
    assert (contacts["push"]["created"], contacts["pull"]["created"]) == (5, 15)
    assert (accounts["push"]["created"], accounts["pull"]["created"]) == (2, 3)
    assert contacts["push"]["rejected"] == 1 and first["rejected"] == 1
    assert contacts["push"]["conflicts"] == 1 and contacts["pull"]["updated"] == 1
    customers = shop_rows(tmp_path, "customers")
    assert customers["grace.hopper@globex.example"]["phone"] == "+442079460002"  # crm_wins
    assert customers["niklaus.wirth@umbrella.example"]["last_name"] == "Wirth"  # from the CRM
    assert set(shop_rows(tmp_path, "companies")) >= {"Globex", "Initech", "Umbrella", "Hooli"}

    _, rejects = run_demo_command(capsys, "rejects", "list")
    assert [(r["key"], r["message"]) for r in rejects] == [
        ("maria.garcia@", "INVALID_DATA-Email: 'maria.garcia@' is not an email address")
    ]
    assert run_demo_command(capsys, "conflicts", "list")[1] == []  # settled by the policy, none held

    code, second = run_demo_command(capsys, "sync")
    assert code == 0 and second["rejected"] == 0
    for report in second["pipelines"]:
        for direction in ("push", "pull"):
            counts = report[direction]
            assert [counts[n] for n in ("created", "updated", "deleted", "rejected", "conflicts")] == [0] * 5
        assert report["push"]["credits"] == 0 and report["paths"] == []  # no write credits
    assert shop_rows(tmp_path, "customers") == customers
