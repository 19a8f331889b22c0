"""How the pure engine core scales: diff and plan over a large module (prints its figures)."""

from __future__ import annotations

import time

import pytest

from syncd.engine.diff import DiffPolicy, diff
from syncd.engine.model import Side, SideRecord, SideState
from syncd.engine.plan import BatchKind, CostTable, plan_push

RECORDS = 100_000
FIELDS = 10


def _snapshot(changed_every: int | None = None) -> dict[str, dict[str, object]]:
    """Every record; with ``changed_every``, field F0 of every n-th record edited."""
    return {
        f"k{n}": {
            f"F{i}": f"v{n}-{i}" + ("*" if i == 0 and changed_every and n % changed_every == 0 else "")
            for i in range(FIELDS)
        }
        for n in range(RECORDS)
    }


@pytest.mark.benchmark
def test_diff_and_plan_of_a_large_module() -> None:
    base = _snapshot()
    crm = SideState({key: SideRecord(values) for key, values in base.items()}, complete=True)  # type: ignore[arg-type]
    started = time.perf_counter()
    unchanged = diff(base, crm, crm, DiffPolicy())  # type: ignore[arg-type]
    echo_seconds = time.perf_counter() - started

    edited = _snapshot(changed_every=2)  # half the records changed on the source
    source = SideState({key: SideRecord(values) for key, values in edited.items()}, complete=True)  # type: ignore[arg-type]
    started = time.perf_counter()
    result = diff(base, crm, source, DiffPolicy())  # type: ignore[arg-type]
    diff_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plan = plan_push(result.to(Side.CRM), find_by="F1", costs=CostTable(), credits_left=1_000_000)
    plan_seconds = time.perf_counter() - started

    assert unchanged.changes == ()
    assert len(result.changes) == RECORDS // 2
    assert (plan.count(BatchKind.BULK_WRITE), plan.cost) == (2, 1_000)
    print(
        f"\n{RECORDS:,} records x {FIELDS} fields: echo-only diff {echo_seconds:.2f}s, "
        f"diff with {len(result.changes):,} changes {diff_seconds:.2f}s "
        f"({diff_seconds / echo_seconds:.2f}x the echo-only diff), plan {plan_seconds:.3f}s "
        f"({RECORDS / (diff_seconds + plan_seconds):,.0f} records/s through diff and plan)"
    )
