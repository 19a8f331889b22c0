from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from syncd.cli import EXIT_CONFIG, EXIT_OK, main
from syncd.store import schema
from syncd.store.database import create_store_engine


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["db", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_upgrade_then_current_then_history(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "current", "--database-url", database_url)
    assert code == EXIT_OK and "empty (no syncd schema yet)" in out
    code, out = _run(capsys, "upgrade", "--database-url", database_url)
    assert code == EXIT_OK and "from (empty) to 0006" in out
    code, out = _run(capsys, "upgrade", "--database-url", database_url)
    assert code == EXIT_OK and "already at revision 0006" in out
    code, out = _run(capsys, "current", "--database-url", database_url)
    assert code == EXIT_OK and "0006 (head, up to date)" in out
    code, out = _run(capsys, "history", "--database-url", database_url)
    assert code == EXIT_OK and "<base> -> 0001: Initial schema" in out
    assert "0001 -> 0002: Record state for 200,000-record pages" in out
    assert "0002 -> 0003: The ID map remembers what the CRM record looked like" in out
    assert "0003 -> 0004: Conflicts say whether a run carried out their resolution" in out
    assert "0004 -> 0005: Record values as JSON arrays" in out
    assert "0005 -> 0006 (head, current): Snapshot pages that came back unchanged" in out


def test_the_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    code, out = _run(capsys, "upgrade")
    assert code == EXIT_OK and "env.sqlite" in out


def test_the_default_is_the_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SYNCD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state"))
    code, _ = _run(capsys, "upgrade")
    assert code == EXIT_OK and (tmp_path / "state" / "syncd.sqlite").exists()


def test_a_newer_database_is_reported_not_touched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    engine = create_store_engine(url)
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    engine.dispose()
    code, out = _run(capsys, "current", "--database-url", url)
    assert code == EXIT_OK and "f00d (unknown to this syncd: written by a newer version" in out
    code, out = _run(capsys, "upgrade", "--database-url", url)
    assert code == EXIT_CONFIG and "newer syncd" in out
