from __future__ import annotations

import pytest

from syncd.errors import FatalError
from syncd.store import StateStore


def test_lookups_work_both_ways_and_skip_unknown_ids(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.id_map.upsert("contacts", {"c-1": "4150001", "c-2": "4150002"})
        assert tx.id_map.crm_ids("contacts", ["c-1", "c-2", "c-3"]) == {"c-1": "4150001", "c-2": "4150002"}
        assert tx.id_map.source_keys("contacts", ["4150002", "999"]) == {"4150002": "c-2"}


def test_pipelines_do_not_share_mappings(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.id_map.upsert("contacts", {"k": "1"})
        tx.id_map.upsert("leads", {"k": "1"})
        assert tx.id_map.crm_ids("deals", ["k"]) == {}
        assert tx.id_map.count("contacts") == tx.id_map.count("leads") == 1


def test_remapping_a_key_replaces_its_crm_id(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.id_map.upsert("contacts", {"c-1": "old"})
        tx.id_map.upsert("contacts", {"c-1": "new"})
        assert tx.id_map.crm_ids("contacts", ["c-1"]) == {"c-1": "new"}
        assert tx.id_map.source_keys("contacts", ["old"]) == {}


def test_a_crm_id_cannot_belong_to_two_keys(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.id_map.upsert("contacts", {"c-1": "4150001"})
        with pytest.raises(FatalError, match=r"4150001 is already mapped to 'c-1', not 'c-2'"):
            tx.id_map.upsert("contacts", {"c-2": "4150001", "c-3": "4150003"})
        # the refused batch changed nothing, and the transaction is still usable
        assert tx.id_map.crm_ids("contacts", ["c-1", "c-2", "c-3"]) == {"c-1": "4150001"}


def test_bulk_upsert_and_lookup_of_a_large_batch(store: StateStore) -> None:
    mapping = {f"key-{i}": f"{4150000000 + i}" for i in range(60_000)}  # more than one lookup chunk
    with store.transaction() as tx:
        tx.id_map.upsert("contacts", mapping)
    with store.snapshot() as tx:
        assert tx.id_map.crm_ids("contacts", mapping) == mapping
        assert len(tx.id_map.source_keys("contacts", mapping.values())) == 60_000


def test_delete_forgets_only_the_given_keys(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.id_map.upsert("contacts", {"a": "1", "b": "2", "c": "3"})
        assert tx.id_map.delete("contacts", ["a", "c", "zzz"]) == 2
        assert tx.id_map.crm_ids("contacts", ["a", "b", "c"]) == {"b": "2"}


def test_a_remembered_raw_hash_holds_only_while_the_record_state_is_unchanged(store: StateStore) -> None:
    from syncd.store.records import SyncedRecord

    with store.transaction() as tx:
        tx.id_map.upsert("contacts", {"a": "1", "b": "2", "c": "3"})
        tx.records.upsert("contacts", [SyncedRecord(k, {"Email": k}, f"fp-{k}") for k in ("a", "b", "c")])
        tx.id_map.remember_raw("contacts", {"a": ("h1", "fp-a"), "b": ("h2", "fp-b"), "c": None})
    with store.transaction() as tx:
        seen = tx.id_map.seen_before("contacts", {"1": "h1", "2": "other", "3": "h3", "9": "h9"})
        assert seen == {"1": ("a", True), "2": ("b", False), "3": ("c", False)}
        tx.records.upsert("contacts", [SyncedRecord("a", {"Email": "new"}, "fp-a2")])  # the base moved on
        assert tx.id_map.seen_before("contacts", {"1": "h1"}) == {"1": ("a", False)}
        tx.id_map.remember_raw("contacts", {"a": ("h1", "fp-a2")})
        assert tx.id_map.seen_before("contacts", {"1": "h1"}) == {"1": ("a", True)}
        assert tx.id_map.seen_before("leads", {"1": "h1"}) == {}
