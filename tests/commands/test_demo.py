"""The first-run demo's configuration and data hang together."""

from __future__ import annotations

import csv
import json
from pathlib import Path

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
