"""What ``GET /__emulator__/stats`` reports: records, credits, tokens, faults, jobs and downloads."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

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


def _jobs(state: EmulatorState) -> dict[str, dict[str, int]]:
    runner = state.extras.get("jobs")
    if runner is None:
        return {}
    now = state.clock.time()
    counts: dict[str, Counter[str]] = {}
    for job in runner.jobs():
        kind = job.operation or type(job).__name__
        shown = str(getattr(job, "state", "FINISHED")) if job.finished else job.phase(now)
        counts.setdefault(kind, Counter())[shown] += 1
    return {kind: dict(counter) for kind, counter in counts.items()}


def stats(state: EmulatorState) -> dict[str, Any]:
    downloads = state.extras.get("downloads")
    return {
        "now": format_datetime(int(state.clock.time()), state.zone),
        "edition": state.settings.edition,
        "products": {product: _product(state, product) for product in PRODUCTS},
        "tokens_minted": state.tokens.minted_total,
        "faults": {"settings": asdict(state.faults.settings), "injected": dict(state.faults.injected)},
        "jobs": _jobs(state),
        "downloads": dict(downloads) if isinstance(downloads, dict) else {},
    }
