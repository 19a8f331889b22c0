from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncd.cli import main


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "tags.csv").write_text("code,label\na,Alpha\n", encoding="utf-8")
    path = tmp_path / "syncd.toml"
    path.write_text(
        f"""
[zoho]
emulator = true

[connectors.files]
type = "csv"
directory = "{tmp_path}"
streams.tags.key = ["code"]

[connectors.crm_db]
type = "sql"
url = "postgresql+psycopg://syncd:hunter2-secret@127.0.0.1:1/nowhere"
streams.people = {{ table = "people", key = ["id"] }}
""",
        encoding="utf-8",
    )
    return path


def test_connectors_lists_the_installed_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connectors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "DISTRIBUTION", "CAPABILITIES"]
    csv_line = next(line for line in lines if line.startswith("csv "))
    assert csv_line.split()[:3] == ["csv", "0.1.0.dev0", "syncd-csv"]
    assert csv_line.endswith("incremental, write, deletes")


def test_connectors_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connectors", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = {c["name"]: c for c in listing["connectors"]}
    assert names["sql"]["distribution"] == "syncd-sql" and names["sql"]["capabilities"] == [
        "incremental",
        "write",
        "deletes",
    ]


def test_check_runs_the_connector_check_and_shows_streams(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["connectors", "check", "files", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "connector 'files' (type csv)" in out
    assert "check: ok" in out
    assert "stream tags: key=code cursor=- [write, deletes] fields: code:string, label:string" in out


def test_a_failing_check_exits_3_and_never_shows_the_secret(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["connectors", "check", "crm_db", "--config", str(config_file)]) == 3
    captured = capsys.readouterr()
    assert "check failed: connector 'sql': cannot connect" in captured.err
    assert "hunter2" not in captured.out + captured.err
    assert '"url": "**********"' in captured.out


def test_an_unknown_connector_name_is_a_config_error(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["connectors", "check", "shop", "--config", str(config_file)]) == 2
    assert "no [connectors.shop] table (configured: crm_db, files)" in capsys.readouterr().err


def test_check_reads_the_config_as_syncd_does(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = config_file.read_text(encoding="utf-8")
    text = text.replace(f'directory = "{config_file.parent}"', 'directory = "${SHOP_DIR}"', 1)
    assert "${SHOP_DIR}" in text
    config_file.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SHOP_DIR", str(config_file.parent))
    assert main(["connectors", "check", "files", "--config", str(config_file)]) == 0
    assert "stream tags" in capsys.readouterr().out
    config_file.write_text("[connectors.files]\n", encoding="utf-8")
    assert main(["connectors", "check", "files", "--config", str(config_file)]) == 2
    assert "zoho: is required" in capsys.readouterr().err


def test_bad_options_name_the_connector_and_key(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.write_text(
        '[zoho]\nemulator = true\n[connectors.files]\ntype = "csv"\ndirectory = "/tmp"\n', encoding="utf-8"
    )
    assert main(["connectors", "check", "files", "--config", str(config_file)]) == 2
    assert "connector 'files': invalid configuration: streams: Field required" in capsys.readouterr().err
