"""What ``GET /__emulator__/stats`` reports: records, credits, tokens, faults, jobs and downloads.

``status_polls`` counts the job status requests answered, by operation (``read``, ``write``), and
``callbacks`` the job callbacks sent and failed, so a test can tell how a client waited for a job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sized
from dataclasses import asdict
from typing import Any

from syncd.emulator.jobs import BulkJob
from syncd.emulator.schema import PRODUCTS
from syncd.emulator.state import EmulatorState
from syncd.emulator.values import format_datetime


def _product(state: EmulatorState, product: str) -> dict[str, Any]:
    records = state.records
    modules = [m.api_name for m in records.modules(product)]
    ledger = state.credits[product]
    return {
        "records": {name: records.count(product, name) for name in modules},
        "deleted": {name: len(records.table(product, name).deleted) for name in modules},
        "credits": {
            "allowed": state.settings.daily_credits,
            "used": ledger.used(),
            "left": ledger.remaining(),
            "spent_total": ledger.spent_total,
        },
        "concurrency": {
            "limit": state.concurrency[product].limit,
            "refused": state.concurrency[product].refused,
        },
    }


def _final_state(job: BulkJob) -> str:
    """A finished job's state as its own details show it (``state`` for reads, ``status`` for writes)."""
    shown = job.details("")
    if isinstance(shown.get("data"), list) and shown["data"]:
        shown = shown["data"][0]
    for key in ("state", "status"):
        if isinstance(shown.get(key), str):
            return str(shown[key])
    return "FINISHED"


def _jobs(state: EmulatorState) -> dict[str, dict[str, int]]:
    runner = state.extras.get("jobs")
    if runner is None:
        return {}
    now = state.clock.time()
    counts: dict[str, Counter[str]] = {}
    for job in runner.jobs():
        kind = job.operation or type(job).__name__
        shown = _final_state(job) if job.finished else job.phase(now)
        counts.setdefault(kind, Counter())[shown] += 1
    return {kind: dict(counter) for kind, counter in counts.items()}


def _waiting(state: EmulatorState) -> dict[str, Any]:
    runner = state.extras.get("jobs")
    if runner is None:
        return {"status_polls": {}, "callbacks": {"sent": 0, "failed": 0}}
    return {
        "status_polls": dict(runner.status_polls),
        "callbacks": {"sent": runner.callbacks_sent, "failed": runner.callbacks_failed},
    }


def stats(state: EmulatorState) -> dict[str, Any]:
    downloads, uploads = state.extras.get("downloads"), state.extras.get("uploads")
    return {
        "now": format_datetime(int(state.clock.time()), state.zone),
        "edition": state.settings.edition,
        "products": {product: _product(state, product) for product in PRODUCTS},
        "tokens_minted": state.tokens.minted_total,
        "faults": {"settings": asdict(state.faults.settings), "injected": dict(state.faults.injected)},
        "jobs": _jobs(state),
        **_waiting(state),
        "downloads": dict(downloads) if isinstance(downloads, dict) else {},
        "uploads": len(uploads) if isinstance(uploads, Sized) else 0,
    }
