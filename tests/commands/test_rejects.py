from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from syncd.store import NewReject, RejectStatus, StateStore

from .conftest import Run

BAD_EMAIL = NewReject(
    "7", "push", "Email: 'ada@' is not an email address", False, ["INVALID_DATA"],
    {"email": "ada@", "name": "Lovelace", "tags": ["vip"]},
)  # fmt: skip
LOCKED = NewReject("8", "push", "the record is locked", True, ["RECORD_LOCKED"], {"email": "b@x.org"})


@pytest.fixture
def ids(store: StateStore) -> dict[str, int]:
    with store.transaction() as tx:
        tx.rejects.add("contacts", [BAD_EMAIL, LOCKED])
        tx.rejects.add("accounts", [NewReject("acme", "push", "Account_Name: too long", False)])
        return {r.key: r.id for r in tx.rejects.find(status=None)}


def test_list_shows_open_rejects_with_their_reasons(syncd: Run, ids: dict[str, int]) -> None:
    code, out, _ = syncd("rejects", "list", "--pipeline", "contacts")
    assert code == 0
    assert "Email: 'ada@' is not an email address" in out and "needs a fix" in out
    assert "Account_Name" not in out
    code, out, _ = syncd("rejects", "list", "--json")
    assert sorted(r["key"] for r in json.loads(out)) == ["7", "8", "acme"]


def test_show_gives_the_row_as_it_was_sent(syncd: Run, ids: dict[str, int]) -> None:
    code, out, _ = syncd("rejects", "show", str(ids["7"]), "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["row"] == {"email": "ada@", "name": "Lovelace", "tags": ["vip"]}
    assert shown["error_codes"] == ["INVALID_DATA"] and shown["status"] == "open"
    code, out, _ = syncd("rejects", "show", str(ids["7"]))
    assert "row.email" in out and "ada@" in out


def test_an_unknown_reject_is_a_clear_usage_error(syncd: Run, ids: dict[str, int]) -> None:
    code, _, err = syncd("rejects", "show", "999")
    assert code == 2
    assert "there is no reject 999" in err


def test_retry_marks_rejects_for_the_next_run(syncd: Run, ids: dict[str, int], store: StateStore) -> None:
    with store.snapshot() as tx:
        assert tx.rejects.keys_to_retry("contacts") == ["8"]  # the retryable one only
    code, out, _ = syncd("rejects", "retry", str(ids["7"]))
    assert code == 0 and "1 reject(s) marked for retry" in out
    with store.snapshot() as tx:
        assert tx.rejects.keys_to_retry("contacts") == ["7", "8"]
        assert tx.rejects.get(ids["7"]).status is RejectStatus.RETRY
        assert tx.rejects.keys_to_retry("accounts") == []


def test_retry_all_of_one_pipeline(syncd: Run, ids: dict[str, int], store: StateStore) -> None:
    code, out, _ = syncd("rejects", "retry", "--all", "--pipeline", "accounts")
    assert code == 0 and "1 reject(s)" in out
    with store.snapshot() as tx:
        assert tx.rejects.keys_to_retry("accounts") == ["acme"]
    assert syncd("rejects", "retry")[0] == 2  # neither ids nor --all


def test_retry_of_an_unknown_id_changes_nothing(syncd: Run, ids: dict[str, int], store: StateStore) -> None:
    code, _, err = syncd("rejects", "retry", str(ids["7"]), "999")
    assert code == 2 and "there is no reject 999" in err
    with store.snapshot() as tx:
        assert tx.rejects.get(ids["7"]).status is RejectStatus.OPEN


def test_export_writes_a_csv_to_fix_the_rows(syncd: Run, ids: dict[str, int], tmp_path: Path) -> None:
    target = tmp_path / "rejects.csv"
    code, out, _ = syncd("rejects", "export", "--pipeline", "contacts", "-o", str(target))
    assert code == 0 and "2 reject(s) written" in out
    with target.open(newline="") as handle:
        rows = {row["key"]: row for row in csv.DictReader(handle)}
    assert rows["7"]["message"] == "Email: 'ada@' is not an email address"
    assert rows["7"]["error_codes"] == "INVALID_DATA" and rows["7"]["retryable"] == "no"
    assert (rows["7"]["email"], rows["7"]["name"], rows["7"]["tags"]) == ("ada@", "Lovelace", '["vip"]')
    assert rows["8"]["email"] == "b@x.org" and rows["8"]["name"] == ""
    assert int(rows["7"]["reject_id"]) == ids["7"]
