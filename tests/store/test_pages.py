"""Remembered snapshot pages describe the state as it is: any write to a pipeline's state forgets them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from syncd.store import StateStore, SyncedRecord
from syncd.store.api import Transaction
from syncd.store.pages import RememberedPage

PAGES = [RememberedPage(1, "d1", 200_000, "2026-11-20T10:00:00+00:00"), RememberedPage(2, "d2", 7, "")]


def _remembered(store: StateStore, pipeline: str = "contacts") -> dict[int, RememberedPage]:
    with store.snapshot() as tx:
        return tx.pages.get(pipeline)


def test_pages_are_replaced_as_a_whole_per_pipeline(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.pages.replace("contacts", PAGES)
        tx.pages.replace("leads", PAGES[:1])
    got = _remembered(store)
    assert [(p.page, p.digest, p.rows, p.newest) for p in got.values()] == [
        (1, "d1", 200_000, "2026-11-20T10:00:00+00:00"),
        (2, "d2", 7, ""),
    ]
    assert all(p.taken_at is not None for p in got.values())

    with store.transaction() as tx:
        tx.pages.replace("contacts", PAGES[1:])

    assert list(_remembered(store)) == [2] and list(_remembered(store, "leads")) == [1]


WRITES: dict[str, Callable[[Transaction], object]] = {
    "records.upsert": lambda tx: tx.records.upsert("contacts", [SyncedRecord("k", {"Email": "a@b.c"}, "f2")]),
    "records.delete": lambda tx: tx.records.delete("contacts", ["k"]),
    "id_map.upsert": lambda tx: tx.id_map.upsert("contacts", {"k2": "42"}),
    "id_map.delete": lambda tx: tx.id_map.delete("contacts", ["k"]),
    "id_map.remember_raw": lambda tx: tx.id_map.remember_raw("contacts", {"k": None}),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_state_write_forgets_the_pipelines_pages(store: StateStore, write: str) -> None:
    with store.transaction() as tx:
        tx.records.upsert("contacts", [SyncedRecord("k", {"Email": "a@b.c"}, "f1")])
        tx.id_map.upsert("contacts", {"k": "41"})
        tx.pages.replace("contacts", PAGES)
        tx.pages.replace("leads", PAGES)

    with store.transaction() as tx:
        WRITES[write](tx)

    assert _remembered(store) == {}
    assert list(_remembered(store, "leads")) == [1, 2]  # another pipeline's state did not change


def test_writes_of_nothing_forget_nothing(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.pages.replace("contacts", PAGES)
        tx.records.upsert("contacts", [])
        tx.records.delete("contacts", ["never-stored"])
        tx.id_map.upsert("contacts", {})
        tx.id_map.delete("contacts", ["never-stored"])
        tx.id_map.remember_raw("contacts", {})

    assert list(_remembered(store)) == [1, 2]
