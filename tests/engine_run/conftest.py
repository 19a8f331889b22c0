"""End-to-end runs: a CSV folder, the emulator over HTTP on 127.0.0.1, and a SQLite state file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd.app import Runtime, open_runtime
from syncd.config import load_config
from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator

HEADER = "email,surname,given_name,phone\n"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.05, page_size=500)) as emu:
        yield emu


class World:
    """The files and services of one end-to-end test, with helpers to look at both sides.

    A subclass changes the CSV stream (``stream``), the mapped fields (``fields``) and ``header``.
    """

    stream = '{ key = ["email"] }'
    fields = {"Email": "email", "Last_Name": "surname", "First_Name": "given_name", "Phone": "phone"}
    header = HEADER

    def __init__(self, root: Path, emulator: RunningEmulator) -> None:
        self.root = root
        self.emulator = emulator
        self.folder = root / "shop"
        self.folder.mkdir()
        self.config_path = root / "syncd.toml"
        self.write_config()

    def write_config(self, credits: str = "", **pipeline: str) -> None:
        extra = "".join(f'{name} = "{value}"\n' for name, value in pipeline.items())
        fields = "".join(f'{crm} = "{column}"\n' for crm, column in self.fields.items())
        self.config_path.write_text(
            f"""
[state]
url = "sqlite:///{self.root / "state.sqlite"}"
[zoho]
accounts_url = "{self.emulator.url}"
api_url = "{self.emulator.url}"
upload_url = "{self.emulator.url}"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"
[credits]
{credits}
[connectors.shop]
type = "csv"
directory = "{self.folder}"
streams.customers = {self.stream}
[pipelines.contacts]
connector = "shop"
stream = "customers"
module = "Contacts"
find_by = "Email"
{extra}
[pipelines.contacts.fields]
{fields}""",
            encoding="utf-8",
        )

    def write_csv(self, *rows: str) -> None:
        (self.folder / "customers.csv").write_text(
            self.header + "".join(f"{row}\n" for row in rows), encoding="utf-8"
        )

    def csv_rows(self) -> list[str]:
        return (self.folder / "customers.csv").read_text(encoding="utf-8").splitlines()[1:]

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = httpx.request(method, f"{self.emulator.url}/__emulator__/{path}", timeout=10, **kwargs)
        answer.raise_for_status()
        return answer

    def crm_records(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(line) for line in self.admin("GET", "records/Contacts").text.splitlines() if line]

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self.admin("GET", "stats").json()
        return data

    def runtime(self) -> Any:
        return open_runtime(load_config(self.config_path))


@pytest.fixture
def world(tmp_path: Path, emulator: RunningEmulator) -> World:
    return World(tmp_path, emulator)


RunOnce = Callable[..., Any]


@pytest.fixture
def sync_once(world: World) -> RunOnce:
    from syncd.engine.runner import run_pipeline

    def run(**options: Any) -> Any:
        runtime: Runtime
        with world.runtime() as runtime:
            return run_pipeline(runtime, "contacts", **options)

    return run
