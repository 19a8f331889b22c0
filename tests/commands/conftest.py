"""The operator commands over a real state store, filled through the StateStore API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.cli import main
from syncd.store import StateStore
from tests.store.conftest import postgres_schema

CONFIG = """
[state]
url = "{url}"

[zoho]
emulator = true

[connectors.shop]
type = "csv"
directory = "{dir}/shop"
streams.customers = {{ key = ["id"] }}

[pipelines.contacts]
connector = "shop"
stream = "customers"
module = "Contacts"
find_by = "Email"
conflict_policy = "manual"
fields = {{ Email = "email", Last_Name = "name", Phone = "phone" }}

[pipelines.accounts]
connector = "shop"
stream = "companies"
module = "Accounts"
direction = "push"
find_by = "Account_Name"
fields = {{ Account_Name = "name" }}
"""

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'syncd.sqlite'}"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(url: str) -> Path:
        path = tmp_path / "syncd.toml"
        path.write_text(CONFIG.format(url=url, dir=tmp_path))
        return path

    return write


@pytest.fixture
def config_file(write_config: Callable[[str], Path], sqlite_url: str) -> Path:
    return write_config(sqlite_url)


@pytest.fixture
def store(sqlite_url: str) -> Iterator[StateStore]:
    with StateStore.open(sqlite_url, clock=lambda: datetime.now(UTC)) as opened:
        yield opened


@pytest.fixture
def syncd(capsys: pytest.CaptureFixture[str], config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``syncd ARGS --config <the test's config>``; returns the exit code, stdout and stderr."""
    monkeypatch.setenv("COLUMNS", "250")  # tables as wide as they want: no wrapped cells

    def run(*args: str, config: Path | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([*args, "--config", str(config or config_file)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema of this test's own (dropped afterwards)."""
    with postgres_schema(postgres_url) as url:
        yield url
