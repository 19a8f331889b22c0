"""``syncd status | rejects | conflicts | export``: the operator's commands (``sync``/``plan`` below).

Each command is thin: it loads the configuration, calls the module that does the work
(:mod:`.status`, :mod:`.review`, :mod:`.export`) and shows the result as a rich table, or as JSON with
``--json``. Configuration problems exit with 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from syncd.app import open_runtime, org_name, utc_now
from syncd.config import SyncdConfig, load_config
from syncd.engine import review
from syncd.engine.cli_run import plan, sync  # noqa: F401  (the commands `syncd.cli` loads by name)
from syncd.engine.console import (
    conflicts_table,
    console,
    reject_view,
    rejects_table,
    status_view,
)
from syncd.engine.criteria import parse_criteria
from syncd.engine.export import CallMeter, ExportRequest, ExportResult, export_module
from syncd.engine.status import collect_status, plain
from syncd.errors import BudgetExceededError, FatalError
from syncd.store import RejectStatus, StateStore

DEFAULT_CONFIG = "/etc/syncd/syncd.toml"
F = TypeVar("F", bound=Callable[..., Any])


def config_option(command: F) -> F:
    option = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_CONFIG,
        envvar="SYNCD_CONFIG",
        show_default=True,
        help="The configuration file (also $SYNCD_CONFIG).",
    )
    return option(command)


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")(command)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(plain(data), indent=2, sort_keys=False))


@contextmanager
def _store(config: SyncdConfig) -> Iterator[StateStore]:
    with StateStore.open(config.state.url, clock=utc_now) as store:
        yield store


# -- status ----------------------------------------------------------------------------------------------


@click.command()
@config_option
@json_option
def status(config_path: Path, as_json: bool) -> None:
    """Pipelines, their last runs, checkpoints, jobs in flight, credits and what waits for you.

    Safe while the daemon or a `syncd sync` runs: it reads one snapshot of the state store, takes no
    lease and calls no Zoho API. Credits are syncd's own ledger over Zoho's rolling 24 hours.
    """
    config = load_config(config_path)
    report = collect_status(config, org_name(config), clock=utc_now)
    if as_json:
        _emit_json(report.to_json())
    else:
        console().print(status_view(report))


# -- rejects ---------------------------------------------------------------------------------------------

STATUS_CHOICE = click.Choice([*(s.value for s in RejectStatus), "all"])


@click.group()
def rejects() -> None:
    """Rows refused by validation or by Zoho: list them, see why, export them to fix, retry them."""


def _reject_status(value: str) -> RejectStatus | None:
    return None if value == "all" else RejectStatus(value)


@rejects.command("list")
@config_option
@json_option
@click.option("--pipeline", help="Only this pipeline's rejects.")
@click.option("--status", "state", type=STATUS_CHOICE, default="open", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, most recent first.")
def rejects_list(
    config_path: Path, as_json: bool, pipeline: str | None, state: str, limit: int | None
) -> None:
    """Rejects, most recently seen first."""
    with _store(load_config(config_path)) as store, store.snapshot() as tx:
        found = tx.rejects.find(pipeline, status=_reject_status(state), limit=limit)
    if as_json:
        _emit_json([asdict(r) for r in found])
    else:
        console().print(rejects_table(found))


@rejects.command("show")
@config_option
@json_option
@click.argument("reject_id", type=int)
def rejects_show(config_path: Path, as_json: bool, reject_id: int) -> None:
    """One reject: its reason, Zoho's codes and the row as it was sent."""
    with _store(load_config(config_path)) as store, store.snapshot() as tx:
        reject = _existing(lambda: tx.rejects.get(reject_id), "reject", reject_id)
    if as_json:
        _emit_json(asdict(reject))
    else:
        console().print(reject_view(reject))


@rejects.command("retry")
@config_option
@click.argument("reject_ids", type=int, nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every open reject (of --pipeline, if given).")
@click.option("--pipeline", help="With --all: only this pipeline's rejects.")
def rejects_retry(config_path: Path, reject_ids: tuple[int, ...], every: bool, pipeline: str | None) -> None:
    """Mark rejects for retry: the next run of their pipeline sends them again.

    Fix the data at its source first for rejects that need a fix; retryable ones are retried anyway.
    """
    if not reject_ids and not every:
        raise click.UsageError("name reject ids, or --all")
    with _store(load_config(config_path)) as store, store.transaction() as tx:
        ids = list(reject_ids) or [r.id for r in tx.rejects.find(pipeline, status=RejectStatus.OPEN)]
        for reject_id in reject_ids:
            _existing(partial(tx.rejects.get, reject_id), "reject", reject_id)
        marked = tx.rejects.mark_retry(ids)
    click.echo(f"{marked} reject(s) marked for retry; the next run sends them again.")


@rejects.command("export")
@config_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV file to write.",
)
@click.option("--pipeline", help="Only this pipeline's rejects.")
@click.option("--status", "state", type=STATUS_CHOICE, default="open", show_default=True)
def rejects_export(config_path: Path, output: Path, pipeline: str | None, state: str) -> None:
    """Write rejects to a CSV file to fix them: id, key, reason and codes, then the row's values."""
    with _store(load_config(config_path)) as store, store.snapshot() as tx:
        found = tx.rejects.find(pipeline, status=_reject_status(state))
    count = review.export_rejects(found, output)
    click.echo(f"{count} reject(s) written to {output}")


# -- conflicts -------------------------------------------------------------------------------------------


@click.group()
def conflicts() -> None:
    """Records both sides changed in the same field, held by the `manual` policy: list and resolve."""


@conflicts.command("list")
@config_option
@json_option
@click.option("--pipeline", help="Only this pipeline's conflicts.")
@click.option("--all", "every", is_flag=True, help="Resolved ones too.")
def conflicts_list(config_path: Path, as_json: bool, pipeline: str | None, every: bool) -> None:
    """Conflicts, one line per conflicting field: last synced value, the source's and the CRM's."""
    with _store(load_config(config_path)) as store, store.snapshot() as tx:
        found = tx.conflicts.find(pipeline, unresolved=not every)
    if as_json:
        _emit_json([asdict(c) for c in found])
    else:
        console().print(conflicts_table(found))


@conflicts.command("resolve")
@config_option
@click.argument("conflict_id", type=int)
@click.option("--take", type=click.Choice(["crm", "source"]), help="This side's values win.")
@click.option(
    "--value", "values", multiple=True, metavar="FIELD=VALUE", help="Set a field yourself (repeatable)."
)
@click.option(
    "--keep/--delete",
    "keep",
    default=None,
    help="For a record deleted on one side and edited on the other: keep it (recreated) or delete it.",
)
def conflicts_resolve(
    config_path: Path, conflict_id: int, take: str | None, values: tuple[str, ...], keep: bool | None
) -> None:
    """Settle a conflict; the next run writes the chosen values to both sides.

    `--take crm` or `--take source` picks a side; `--value FIELD=VALUE` sets fields yourself (every
    conflicting field, or the ones to change on top of --take). A record deleted on one side and
    edited on the other (field `*record*`) takes `--keep` (recreated where it was deleted) or
    `--delete` (deleted where it was kept); `--take` picks the side whose deed stands.

    The next run writes the answer to whichever side differs, makes it the new sync state and
    closes the conflict (`applied`). If a side changed a resolved field again before that run (to
    anything but the chosen value), or the record was deleted or came back since, the answer is
    stale: the run closes it as `stale`, says so, and the policy decides afresh (under `manual` the
    conflict is held again with the new values, to resolve anew).
    """
    with _store(load_config(config_path)) as store, store.transaction() as tx:
        conflict = _existing(lambda: tx.conflicts.get(conflict_id), "conflict", conflict_id)
        if conflict.resolution is not None:
            raise click.UsageError(f"conflict {conflict_id} is already resolved ({conflict.resolution})")
        resolution, chosen = review.resolution_for(conflict, take, values, keep)
        tx.conflicts.resolve(conflict_id, resolution, chosen)
    click.echo(f"conflict {conflict_id} resolved ({resolution}); the next run applies it.")


T = TypeVar("T")


def _existing(get: Callable[[], T], what: str, ident: int) -> T:
    try:
        return get()
    except FatalError:
        raise click.BadParameter(f"there is no {what} {ident}", param_hint=f"{what.upper()}_ID") from None


# -- export ----------------------------------------------------------------------------------------------


@click.command()
@config_option
@click.argument("module")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--format", "file_type", type=click.Choice(["csv", "ics"]), default="csv", show_default=True)
@click.option("--fields", multiple=True, help="Fields to export, comma-separated or repeated (default: all).")
@click.option(
    "--criteria", multiple=True, help="A filter like 'Lead_Source in Web,Trade Show' (repeat: all must hold)."
)
def export(
    config_path: Path,
    module: str,
    output: Path,
    file_type: str,
    fields: tuple[str, ...],
    criteria: tuple[str, ...],
) -> None:
    """Export a whole CRM module (every page) to a local file, for backups and migrations.

    Each page is a bulk read job of 50 credits, plus a credit per status and download call; the cost
    is shown at the end and booked in syncd's credit ledger. `--format ics` is for Events.
    Criteria: FIELD OPERATOR VALUE with = != < <= > >= in, not in, between, or Zoho's comparator
    names (contains, starts_with, ...); e.g. "Modified_Time >= 2025-01-01T00:00:00+00:00".
    """
    config = load_config(config_path)
    request = ExportRequest(
        module, output, _split(fields), parse_criteria(criteria), "ics" if file_type == "ics" else "csv"
    )
    request.query().validate()
    meter = CallMeter()
    with open_runtime(config, transport=meter) as runtime:
        _check_budget(runtime.store, config, runtime.org)
        try:
            result = _with_progress(lambda on_page: export_module(runtime.zoho, request, on_page=on_page))
        finally:
            spent = meter.credits(config.credits.costs)
            runtime.book_calls(f"export {module} to {output}")
    click.echo(
        f"{result.records} record(s) in {result.pages} page(s) written to {result.path}; "
        f"{spent} credits ({meter.read_jobs} bulk read job(s), {meter.calls} other call(s))."
    )


def _split(fields: Sequence[str]) -> tuple[str, ...]:
    return tuple(name.strip() for group in fields for name in group.split(",") if name.strip())


def _check_budget(store: StateStore, config: SyncdConfig, org: str) -> None:
    costs, limits = config.credits.costs, config.credits
    available = store.credits.usage(org).available(limit=limits.daily_limit, reserve=limits.reserve)
    if available < costs.bulk_read_job:
        raise BudgetExceededError(
            f"{available} credits left in the 24-hour window (after the reserve of {limits.reserve}); "
            f"a bulk read page costs {costs.bulk_read_job}"
        )


def _with_progress(run: Callable[[Callable[[int, int, bool], None]], ExportResult]) -> ExportResult:
    columns = (TextColumn("[bold]export"), BarColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console(err=True), transient=False) as progress:
        task = progress.add_task("page 1 …", total=None)

        def on_page(page: int, records: int, more: bool) -> None:
            state = f"page {page + 1} …" if more else "done"
            progress.update(task, description=f"{records} records, {page} page(s); {state}")

        result = run(on_page)
        progress.update(task, total=1, completed=1)
        return result


# `syncd sync` and `syncd plan` are the run engine's (syncd/engine/cli_run.py):
