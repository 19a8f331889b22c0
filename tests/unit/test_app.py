from __future__ import annotations

from pathlib import Path

import pytest

from syncd.app import CallBooker, credentials_for, endpoints_for, open_runtime, work_directory
from syncd.config import parse_config
from syncd.engine.plan import CostTable
from syncd.errors import ConfigError
from syncd.store import StateStore
from syncd.zoho import Charge, ChargedCalls

EMULATED = """
[state]
url = "sqlite:///{dir}/syncd.sqlite"

[zoho]
emulator = true

[connectors.shop]
type = "csv"
directory = "{dir}/shop"
streams.customers = {{ key = ["id"] }}

[pipelines.customers]
connector = "shop"
stream = "customers"
module = "Contacts"
find_by = "Email"
fields = {{ Email = "email", Last_Name = "name" }}
"""


def test_an_emulated_runtime_talks_to_its_own_zoho(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "customers.csv").write_text("id,email,name\n1,a@example.com,Ada\n")
    config = parse_config(EMULATED.format(dir=tmp_path), source=tmp_path / "syncd.toml", environ={})
    with open_runtime(config) as runtime:
        assert runtime.emulator_url is not None
        assert runtime.zoho.rest.zgid()
        assert runtime.connector("shop").stream("customers").name == "customers"
        with pytest.raises(ConfigError, match="no connector named 'nope'"):
            runtime.connector("nope")
    assert work_directory(config) == tmp_path / "work"
    assert (tmp_path / "syncd.sqlite").exists()


def test_a_real_account_needs_credentials_and_maps_its_data_centre(tmp_path: Path) -> None:
    text = EMULATED.format(dir=tmp_path).replace(
        "emulator = true", 'data_centre = "eu"\nclient_id = "1000.ABC"'
    )
    with pytest.raises(ConfigError):
        config = parse_config(text, source=tmp_path / "syncd.toml", environ={})
        credentials_for(config)
    text += "\n[zoho.x]\n" if False else ""
    full = text.replace(
        'client_id = "1000.ABC"', 'client_id = "1000.ABC"\nclient_secret = "s"\nrefresh_token = "r"'
    )
    config = parse_config(full, source=tmp_path / "syncd.toml", environ={})
    assert endpoints_for(config).accounts_url == "https://accounts.zoho.eu"
    assert credentials_for(config).client_id == "1000.ABC"


def test_counted_calls_are_booked_as_one_entry_and_put_back_when_booking_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    charged = ChargedCalls()
    with StateStore.open(f"sqlite:///{tmp_path / 'state.sqlite'}") as store:
        booker = CallBooker(store, "org1", CostTable(bulk_read_job=50, call=1), charged)
        assert booker() == 0 and store.credits.entries("org1") == []
        charged.add(Charge.BULK_READ_JOB)
        charged.add(Charge.CALL, 7)
        charged.add(Charge.BOOKED, 3)
        assert booker.pending() == 57

        def refuse(*args: object) -> int:
            raise OSError("disk full")

        monkeypatch.setattr(store.credits, "spend", refuse)
        with pytest.raises(OSError, match="disk full"):
            booker("the read")
        monkeypatch.undo()
        assert booker.pending() == 57
        assert booker("the read") == 57
        (entry,) = store.credits.entries("org1")
        assert (entry.amount, entry.purpose) == (57, "Zoho calls: 1 bulk read job, 7 other calls (the read)")
        assert booker.pending() == 0


def test_calls_not_booked_yet_are_booked_when_the_runtime_closes(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    config = parse_config(EMULATED.format(dir=tmp_path), source=tmp_path / "syncd.toml", environ={})
    with open_runtime(config) as runtime:
        runtime.zoho.rest.zgid()
        runtime.zoho.rest.fields("Contacts")
        org = runtime.org
    with StateStore.open(config.state.url) as store:
        assert [(e.amount, e.purpose) for e in store.credits.entries(org)] == [
            (2, "Zoho calls: 2 calls (on closing)")
        ]


def test_a_booking_that_fails_on_closing_is_logged_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "shop").mkdir()
    config = parse_config(EMULATED.format(dir=tmp_path), source=tmp_path / "syncd.toml", environ={})

    def refuse(*args: object) -> int:
        raise OSError("disk full")

    with open_runtime(config) as runtime:
        runtime.zoho.rest.zgid()
        monkeypatch.setattr(runtime.store.credits, "spend", refuse)
    assert "could not book 1 credits of Zoho calls: disk full" in caplog.text
