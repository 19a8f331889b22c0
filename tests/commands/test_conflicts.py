from __future__ import annotations

import json

import pytest

from syncd.store import NewConflict, Resolution, StateStore

from .conftest import Run

PHONE_AND_NAME = NewConflict(
    "42",
    base={"Phone": "111", "Last_Name": "Smith"},
    source={"Phone": "222", "Last_Name": "Smyth"},
    crm={"Phone": "333", "Last_Name": "Smith-Jones"},
    crm_id="4876876000001",
)


@pytest.fixture
def conflict_id(store: StateStore) -> int:
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [PHONE_AND_NAME])
        return tx.conflicts.find("contacts")[0].id


def test_list_shows_each_field_on_both_sides(syncd: Run, conflict_id: int) -> None:
    code, out, _ = syncd("conflicts", "list")
    assert code == 0
    assert "Phone" in out and "222" in out and "333" in out and "Smith-Jones" in out
    listed = json.loads(syncd("conflicts", "list", "--json")[1])
    assert [(c["id"], c["key"], c["resolution"]) for c in listed] == [(conflict_id, "42", None)]


def test_take_a_side(syncd: Run, conflict_id: int, store: StateStore) -> None:
    code, out, _ = syncd("conflicts", "resolve", str(conflict_id), "--take", "crm")
    assert code == 0 and "the next run applies it" in out
    with store.snapshot() as tx:
        resolved = tx.conflicts.get(conflict_id)
    assert resolved.resolution is Resolution.CRM
    assert resolved.winning_values() == {"Phone": "333", "Last_Name": "Smith-Jones"}
    assert json.loads(syncd("conflicts", "list", "--json")[1]) == []
    assert len(json.loads(syncd("conflicts", "list", "--all", "--json")[1])) == 1


def test_a_side_with_one_field_set_by_hand(syncd: Run, conflict_id: int, store: StateStore) -> None:
    code, _, err = syncd("conflicts", "resolve", str(conflict_id), "--take", "source", "--value", "Phone=444")
    assert code == 0, err
    with store.snapshot() as tx:
        assert tx.conflicts.get(conflict_id).winning_values() == {"Phone": "444", "Last_Name": "Smyth"}


def test_values_alone_must_cover_every_conflicting_field(
    syncd: Run, conflict_id: int, store: StateStore
) -> None:
    code, _, err = syncd("conflicts", "resolve", str(conflict_id), "--value", "Phone=444")
    assert code == 2 and "give a value for Last_Name too" in err
    code, _, err = syncd(
        "conflicts", "resolve", str(conflict_id), "--value", "Phone=4", "--value", "Last_Name=S"
    )
    assert code == 0, err
    with store.snapshot() as tx:
        resolved = tx.conflicts.get(conflict_id)
    assert (resolved.resolution, resolved.winning_values()) == (
        Resolution.MERGED, {"Phone": "4", "Last_Name": "S"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "say how to resolve"),
        (("--value", "Email=a@b.c"), "Email is not in conflict"),
        (("--value", "Phone"), "write FIELD=VALUE"),
    ],
)
def test_bad_resolutions_are_refused_and_change_nothing(
    syncd: Run, conflict_id: int, store: StateStore, arguments: tuple[str, ...], message: str
) -> None:
    code, _, err = syncd("conflicts", "resolve", str(conflict_id), *arguments)
    assert code == 2 and message in err
    with store.snapshot() as tx:
        assert tx.conflicts.get(conflict_id).resolution is None


def test_resolving_twice_or_an_unknown_conflict_is_refused(syncd: Run, conflict_id: int) -> None:
    assert syncd("conflicts", "resolve", str(conflict_id), "--take", "crm")[0] == 0
    code, _, err = syncd("conflicts", "resolve", str(conflict_id), "--take", "source")
    assert code == 2 and "already resolved (crm)" in err
    code, _, err = syncd("conflicts", "resolve", "999", "--take", "source")
    assert code == 2 and "there is no conflict 999" in err


@pytest.fixture
def record_conflict_id(store: StateStore) -> int:
    """Record 7 was deleted in the CRM and edited in the source (as a run holds it)."""
    held = NewConflict(
        "7", base={"*record*": None}, source={"*record*": "edited"}, crm={"*record*": "deleted"}
    )
    with store.transaction() as tx:
        tx.conflicts.add("contacts", [held])
        return tx.conflicts.find("contacts")[0].id


@pytest.mark.parametrize(
    ("arguments", "resolution"),
    [
        (("--keep",), Resolution.SOURCE),  # the side that kept it
        (("--delete",), Resolution.CRM),  # the side that deleted it
        (("--take", "crm"), Resolution.CRM),
    ],
)
def test_a_record_conflict_is_kept_or_deleted(
    syncd: Run, record_conflict_id: int, store: StateStore, arguments: tuple[str, ...], resolution: Resolution
) -> None:
    code, _, err = syncd("conflicts", "resolve", str(record_conflict_id), *arguments)
    assert code == 0, err
    with store.snapshot() as tx:
        assert tx.conflicts.get(record_conflict_id).resolution is resolution


@pytest.mark.parametrize("arguments", [(), ("--value", "*record*=keep"), ("--keep", "--take", "crm")])
def test_a_record_conflict_takes_keep_delete_or_take_only(
    syncd: Run, record_conflict_id: int, arguments: tuple[str, ...]
) -> None:
    code, _, err = syncd("conflicts", "resolve", str(record_conflict_id), *arguments)
    assert code == 2 and "say --keep or --delete" in err


def test_keep_and_delete_are_refused_for_a_field_conflict(syncd: Run, conflict_id: int) -> None:
    code, _, err = syncd("conflicts", "resolve", str(conflict_id), "--keep")
    assert code == 2 and "is about fields, not a deleted record" in err


def test_the_help_says_what_the_next_run_does_and_when_an_answer_is_stale(syncd: Run) -> None:
    code, out, _ = syncd("conflicts", "resolve", "--help")
    assert code == 0 and "--keep / --delete" in out and "stale" in out and "held again" in out
