"""--state-file: stop, start again, and find the same org."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.emulator.persist import StateKeeper, load, save
from syncd.emulator.server import prepare

from .conftest import mint


def _client(emu: RunningEmulator) -> httpx.Client:
    token = mint(emu.url).json()["access_token"]
    return httpx.Client(base_url=emu.url, headers={"Authorization": f"Zoho-oauthtoken {token}"})


def _records(emu: RunningEmulator, module: str) -> list[dict[str, Any]]:
    with emu.admin() as admin:
        return [json.loads(line) for line in admin.get(f"records/{module}").text.splitlines()]


def _first_run(path: Path) -> dict[str, Any]:
    settings = EmulatorSettings(state_file=path, seed={"Contacts": 20, "Accounts": 5})
    with start_emulator(settings) as emu, _client(emu) as api:
        record = {"Last_Name": "Ito", "Lead_Source": "Podcast", "Interests": ["AI"], "Credit_Limit": 12.5}
        api.post("/crm/v8/Contacts/upsert", json={"data": [record]})
        doomed = _records(emu, "Contacts")[0]["id"]
        with emu.admin() as admin:
            admin.delete(f"records/Contacts/{doomed}")
            deleted = api.get("/crm/v8/Contacts/deleted").json()
            admin.post("clock/advance", json={"seconds": 7200})
        return {
            "contacts": _records(emu, "Contacts"),
            "accounts": _records(emu, "Accounts"),
            "deleted": deleted,
            "now": emu.state.clock.time(),
        }


def test_a_restart_keeps_records_ids_deleted_log_and_picklists(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite"
    before = _first_run(path)
    settings = EmulatorSettings(state_file=path, seed={"Contacts": 20, "Accounts": 5})
    with start_emulator(settings) as emu, _client(emu) as api:
        assert _records(emu, "Contacts") == before["contacts"]  # not seeded a second time
        assert _records(emu, "Accounts") == before["accounts"]
        assert api.get("/crm/v8/Contacts/deleted").json() == before["deleted"]
        fields = api.get("/crm/v8/settings/fields", params={"module": "Contacts"}).json()["fields"]
        lead_source = next(f for f in fields if f["api_name"] == "Lead_Source")
        assert lead_source["pick_list_values"][-1]["actual_value"] == "Podcast"
        assert emu.state.clock.time() >= before["now"]
        added = api.post("/crm/v8/Contacts/upsert", json={"data": [{"Last_Name": "New"}]})
        new_id = int(added.json()["data"][0]["details"]["id"])
        assert new_id > max(int(r["id"]) for r in before["contacts"] + before["accounts"])


def test_the_file_is_plain_rows(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite"
    _first_run(path)
    with sqlite3.connect(path) as db:
        counts = dict(db.execute("SELECT module, count(*) FROM records GROUP BY module").fetchall())
        data = json.loads(db.execute("SELECT data FROM records WHERE module = 'Contacts'").fetchone()[0])
    assert counts == {"Accounts": 5, "Contacts": 20}
    assert "Last_Name" in data


def test_changes_are_saved_while_serving(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite"
    state = prepare(EmulatorSettings(seed={"Accounts": 3}))
    keeper = StateKeeper(state, path, interval=0.05)
    keeper.start()
    try:
        for _ in range(200):
            if path.exists():
                break
            time.sleep(0.05)
        assert path.exists()
    finally:
        keeper.stop()
    restored = prepare(EmulatorSettings())
    assert load(restored, path)
    assert restored.records.count("crm", "Accounts") == 3


def test_an_unreadable_or_foreign_file_is_refused_clearly(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ValueError, match=r"garbage\.sqlite"):
        load(prepare(EmulatorSettings()), garbage)
    state = prepare(EmulatorSettings(seed={"Accounts": 1}))
    saved = tmp_path / "saved.sqlite"
    save(state, saved)
    with sqlite3.connect(saved) as db:
        db.execute("UPDATE records SET module = 'Spaceships'")
    with pytest.raises(ValueError, match="Spaceships"):
        load(prepare(EmulatorSettings()), saved)


def test_serve_saves_on_a_clean_shutdown_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    command = [sys.executable, "-m", "syncd", "emulator", "serve", "--port", "0", "--state-file", str(path)]
    for _ in range(2):  # the second run loads the file instead of seeding again
        with subprocess.Popen([*command, "--seed", "Accounts=3"], stdout=subprocess.PIPE, text=True) as run:
            try:
                assert run.stdout is not None
                url = run.stdout.readline().split()[-1]
                with httpx.Client(base_url=f"{url}/__emulator__/") as admin:
                    stats = admin.get("stats").json()
            finally:
                run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=30) == 0
        assert stats["products"]["crm"]["records"]["Accounts"] == 3
    restored = prepare(EmulatorSettings())
    assert load(restored, path)
    assert restored.records.count("crm", "Accounts") == 3
