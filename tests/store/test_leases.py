from __future__ import annotations

from datetime import timedelta

from syncd.store import Lease, StateStore
from tests.store.conftest import FakeClock

TTL = timedelta(minutes=5)


def test_one_holder_at_a_time(store: StateStore, clock: FakeClock) -> None:
    lease = store.leases.acquire("contacts", "host-a", TTL)
    assert lease == Lease("contacts", "host-a", acquired_at=clock.now, expires_at=clock.now + TTL)
    assert store.leases.acquire("contacts", "host-b", TTL) is None
    assert store.leases.acquire("leads", "host-b", TTL) is not None
    assert store.leases.holder("contacts") == lease


def test_an_expired_lease_can_be_taken_over(store: StateStore, clock: FakeClock) -> None:
    store.leases.acquire("contacts", "crashed", TTL)
    clock.advance(TTL)
    assert store.leases.holder("contacts") is None
    taken = store.leases.acquire("contacts", "host-b", TTL)
    assert taken is not None and taken.holder == "host-b"
    assert store.leases.renew("contacts", "crashed", TTL) is None  # the old holder must stop


def test_the_holder_renews_and_reacquires(store: StateStore, clock: FakeClock) -> None:
    store.leases.acquire("contacts", "host-a", TTL)
    clock.advance(timedelta(minutes=4))
    renewed = store.leases.renew("contacts", "host-a", TTL)
    assert renewed is not None and renewed.expires_at == clock.now + TTL
    assert store.leases.acquire("contacts", "host-a", TTL) is not None


def test_release_frees_the_pipeline_for_others(store: StateStore) -> None:
    store.leases.acquire("contacts", "host-a", TTL)
    assert not store.leases.release("contacts", "host-b")
    assert store.leases.release("contacts", "host-a")
    assert store.leases.holder("contacts") is None
    assert store.leases.acquire("contacts", "host-b", TTL) is not None
