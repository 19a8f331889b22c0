"""The first-run demo's configuration and data hang together."""

from __future__ import annotations

import csv
import json
from pathlib import Path

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
