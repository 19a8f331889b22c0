"""One of the processes of ``test_contention.py``: it hammers credits or a lease and reports as JSON.

Run as ``python contention_worker.py credits|lease URL NAME START_AT``; it waits until the wall-clock
time START_AT so that the processes really overlap.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta

from syncd.store import StateStore

ORGS = 40  # each org's budget is a fresh race at its limit
LIMIT = 50
RESERVE = 10
COST = 7


def hammer_credits(store: StateStore, name: str) -> dict[str, object]:
    granted: dict[str, list[int]] = {}
    for number in range(ORGS):
        org = f"org-{number}"
        granted[org] = []
        while (
            reservation := store.credits.reserve(org, COST, name, limit=LIMIT, reserve=RESERVE)
        ) is not None:
            granted[org].append(reservation)
            if len(granted[org]) % 2:
                store.credits.commit(reservation)
    return {"granted": granted}


def hammer_lease(store: StateStore, name: str) -> dict[str, object]:
    held: list[tuple[float, float]] = []
    saw_other_holder = 0
    deadline = time.time() + 4
    while time.time() < deadline:
        if store.leases.acquire("contacts", name, timedelta(minutes=1)) is None:
            continue
        start = time.time()
        holder = store.leases.holder("contacts")
        saw_other_holder += holder is None or holder.holder != name
        time.sleep(0.005)
        end = time.time()
        store.leases.release("contacts", name)
        held.append((start, end))
    return {"held": held, "saw_other_holder": saw_other_holder}


def main(mode: str, url: str, name: str, start_at: float) -> None:
    with StateStore.open(url) as store:
        time.sleep(max(0.0, start_at - time.time()))
        result = hammer_credits(store, name) if mode == "credits" else hammer_lease(store, name)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
