from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.engine.model import Action, Change, DeletePolicy, Side, WritePath
from syncd.engine.plan import (
    BULK_MAX_ROWS,
    BatchKind,
    Budget,
    CostTable,
    _bulk_batches,
    _rest_batches,
    _rest_cost,
    plan_push,
)

COSTS = CostTable()
PLENTY = 1_000_000


def upserts(count: int, *, fields: int = 3) -> list[Change]:
    return [
        Change(
            f"k{n}", Side.CRM, Action.UPDATE, {"Email": f"{n}@x.io", **{f"F{i}": "v" for i in range(fields)}}
        )
        for n in range(count)
    ]


def test_sixty_thousand_changes_cost_exactly_three_bulk_jobs() -> None:
    plan = plan_push(upserts(60_000), find_by="Email", costs=COSTS, credits_left=PLENTY)
    assert [(b.kind, b.rows) for b in plan.batches] == [
        (BatchKind.BULK_WRITE, n) for n in (25_000, 25_000, 10_000)
    ]
    assert plan.cost == 1_500


def test_three_hundred_changes_go_by_rest_upsert_for_thirty_credits() -> None:
    plan = plan_push(upserts(300), find_by="Email", costs=COSTS, credits_left=PLENTY)
    assert [(b.kind, b.rows, b.cost) for b in plan.batches] == [(BatchKind.REST_UPSERT, 100, 10)] * 3
    assert plan.cost == 30


def test_rows_whose_find_by_changes_go_by_id_in_batches_of_their_own() -> None:
    changes = upserts(150)
    rekeyed = {f"k{n}" for n in range(0, 150, 3)}  # 50 rows

    rest = plan_push(changes, find_by="Email", costs=COSTS, credits_left=PLENTY, by_id=rekeyed)
    bulk = plan_push(
        changes, find_by="Email", costs=COSTS, credits_left=PLENTY, path=WritePath.BULK, by_id=rekeyed
    )

    assert [(b.kind, b.find_by, b.rows, b.cost) for b in rest.batches] == [
        (BatchKind.REST_UPSERT, "Email", 100, 10),
        (BatchKind.REST_UPDATE, "id", 50, 5),
    ]
    assert {c.key for c in rest.batches[1].changes} == rekeyed
    assert rest.batches[1].columns[:2] == ("id", "Email")  # the new email goes as a field
    assert [(b.kind, b.find_by, b.rows) for b in bulk.batches] == [
        (BatchKind.BULK_WRITE, "Email", 100),
        (BatchKind.BULK_UPDATE, "id", 50),
    ]


def test_rest_is_cheaper_below_the_break_even_and_bulk_above() -> None:
    below = plan_push(upserts(4_990), find_by="Email", costs=COSTS, credits_left=PLENTY)
    assert below.count(BatchKind.REST_UPSERT) == 50
    assert below.cost == 499
    above = plan_push(upserts(5_001), find_by="Email", costs=COSTS, credits_left=PLENTY)
    assert [b.kind for b in above.batches] == [BatchKind.BULK_WRITE]
    assert above.cost == 500


def test_a_small_remainder_after_full_bulk_jobs_goes_by_rest() -> None:
    plan = plan_push(upserts(26_000), find_by="Email", costs=COSTS, credits_left=PLENTY)
    assert plan.count(BatchKind.BULK_WRITE) == 1
    assert plan.count(BatchKind.REST_UPSERT) == 10
    assert plan.cost == 600


def test_a_pinned_path_is_obeyed_even_when_dearer() -> None:
    bulk = plan_push(upserts(300), find_by="Email", costs=COSTS, credits_left=PLENTY, path=WritePath.BULK)
    assert [(b.kind, b.cost) for b in bulk.batches] == [(BatchKind.BULK_WRITE, 500)]
    rest = plan_push(upserts(6_000), find_by="Email", costs=COSTS, credits_left=PLENTY, path=WritePath.REST)
    assert rest.count(BatchKind.REST_UPSERT) == 60
    assert rest.cost == 600


def test_the_cost_table_decides_the_path() -> None:
    cheap_bulk = CostTable(bulk_write_job=20)
    plan = plan_push(upserts(300), find_by="Email", costs=cheap_bulk, credits_left=PLENTY)
    assert [(b.kind, b.cost) for b in plan.batches] == [(BatchKind.BULK_WRITE, 20)]


def test_more_than_two_hundred_columns_split_a_bulk_job_each_carrying_find_by() -> None:
    plan = plan_push(
        upserts(6_000, fields=300), find_by="Email", costs=COSTS, credits_left=PLENTY, path=WritePath.BULK
    )
    assert [(b.kind, len(b.columns), b.columns[0], b.rows) for b in plan.batches] == [
        (BatchKind.BULK_WRITE, 200, "Email", 6_000),
        (BatchKind.BULK_WRITE, 102, "Email", 6_000),
    ]
    assert plan.cost == 1_000


def test_deletes_go_by_rest_a_hundred_ids_a_call() -> None:
    deletes = [Change(f"d{n}", Side.CRM, Action.DELETE, delete_mode=DeletePolicy.SOFT) for n in range(250)]
    plan = plan_push(deletes, find_by="id", costs=COSTS, credits_left=PLENTY)
    assert [(b.kind, b.rows, b.cost) for b in plan.batches] == [
        (BatchKind.REST_DELETE, 100, 1),
        (BatchKind.REST_DELETE, 100, 1),
        (BatchKind.REST_DELETE, 50, 1),
    ]


def test_work_beyond_the_budget_is_deferred_with_the_reason() -> None:
    budget = Budget(daily_limit=5_000, reserve=1_000, spent=2_900)
    assert budget.left == 1_100
    plan = plan_push(upserts(60_000), find_by="Email", costs=COSTS, credits_left=budget.left)
    assert plan.cost == 1_000
    assert plan.rows == 50_000
    assert plan.deferred_rows == 10_000
    [deferred] = plan.deferred
    assert "needs 500 credits but only 100 are left" in deferred.reason


def test_later_cheaper_batches_still_run_when_an_earlier_one_does_not_fit() -> None:
    changes = upserts(25_000) + upserts(100)
    plan = plan_push(changes, find_by="Email", costs=COSTS, credits_left=50)
    assert [b.kind for b in plan.batches] == [BatchKind.REST_UPSERT]
    assert plan.deferred_rows == 25_000


def test_an_overspent_window_leaves_nothing_to_spend() -> None:
    assert Budget(daily_limit=5_000, reserve=1_000, spent=4_500).left == 0


def test_bulk_reads_cost_one_job_per_page() -> None:
    assert COSTS.bulk_reads(3) == 150


@functools.cache
def many_upserts() -> list[Change]:
    return upserts(80_000, fields=1)


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=0, max_value=80_000), left=st.integers(min_value=0, max_value=5_000))
def test_a_plan_never_spends_beyond_the_credits_left_and_loses_no_row(count: int, left: int) -> None:
    plan = plan_push(many_upserts()[:count], find_by="Email", costs=COSTS, credits_left=left)
    assert plan.cost <= left
    assert plan.rows + plan.deferred_rows == count
    assert all(b.rows <= (BULK_MAX_ROWS if b.kind is BatchKind.BULK_WRITE else 100) for b in plan.batches)


@given(rows=st.integers(1, 1_000), per_10=st.integers(1, 7))
def test_the_rest_cost_is_what_the_rest_batches_would_cost(rows: int, per_10: int) -> None:
    costs = CostTable(rest_upsert_per_10=per_10)
    chunk = upserts(rows, fields=0)
    assert _rest_cost(rows, costs) == sum(batch.cost for batch in _rest_batches(chunk, "Email", costs))


@given(st.lists(st.sets(st.sampled_from(["Email", "A", "B"])), min_size=1, max_size=30))
def test_one_column_group_carries_every_row(fields: list[set[str]]) -> None:
    chunk = [
        Change(f"k{n}", Side.CRM, Action.UPDATE, dict.fromkeys(names, "v")) for n, names in enumerate(fields)
    ]
    [batch] = _bulk_batches(chunk, "Email", COSTS)
    assert batch.changes == tuple(chunk)
    assert batch.columns == ("Email", *sorted(set().union(*fields) - {"Email"}))
