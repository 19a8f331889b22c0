"""``syncd sync`` (one run) and ``syncd plan`` (a priced dry run) on the command line.

Exit codes: 0 done, 1 done with rejected rows, 2 configuration error, 3 run failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import Progress, TaskID

from syncd.app import open_runtime
from syncd.config import load_config
from syncd.engine.console import console
from syncd.engine.report import PipelineReport, RunReport, remarks, summary_table
from syncd.engine.runner import run_pipeline
from syncd.errors import ConfigError

EXIT_OK, EXIT_REJECTS, EXIT_CONFIG, EXIT_FAILED = 0, 1, 2, 3
DEFAULT_CONFIG = "/etc/syncd/syncd.toml"

config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_CONFIG,
    show_default=True,
    envvar="SYNCD_CONFIG",
    type=click.Path(dir_okay=False),
    help="The configuration file.",
)


@click.command()
@click.argument("pipelines", nargs=-1)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option("--allow-mass-delete", is_flag=True, help="Carry out deletes beyond max_delete_share.")
def sync(pipelines: tuple[str, ...], config_path: str, as_json: bool, allow_mass_delete: bool) -> int:
    """Run the pipelines once (all of them, or those named)."""
    report = _run(config_path, pipelines, dry_run=False, allow_mass_delete=allow_mass_delete, as_json=as_json)
    _show(report, as_json, title="syncd sync")
    if report.failed:
        return EXIT_FAILED
    return EXIT_REJECTS if report.rejected else EXIT_OK


@click.command()
@click.argument("pipelines", nargs=-1)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(pipelines: tuple[str, ...], config_path: str, as_json: bool) -> int:
    """What a run would do, and what it would cost; writes nothing and spends no write credits."""
    report = _run(config_path, pipelines, dry_run=True, allow_mass_delete=False, as_json=as_json)
    _show(report, as_json, title="syncd plan (nothing was written)")
    return EXIT_FAILED if report.failed else EXIT_OK


def _run(
    config_path: str, names: Sequence[str], *, dry_run: bool, allow_mass_delete: bool, as_json: bool
) -> RunReport:
    config = load_config(config_path)
    chosen = list(names) or list(config.pipelines)
    unknown = [name for name in chosen if name not in config.pipelines]
    if unknown:
        raise ConfigError(f"no pipeline named {', '.join(unknown)} in {config_path}")
    reports: list[PipelineReport] = []
    with open_runtime(config) as runtime, _progress(quiet=as_json) as progress:
        for name in chosen:
            reports.append(
                run_pipeline(
                    runtime, name, progress=progress, dry_run=dry_run, allow_mass_delete=allow_mass_delete
                )
            )
    return RunReport(tuple(reports))


@contextmanager
def _progress(*, quiet: bool) -> Iterator[Callable[[str, int], None] | None]:
    """Progress bars on a terminal; plain log lines (from the engine's logger) otherwise."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(console=Console(stderr=True), transient=True) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(kind: str, amount: int) -> None:
            if kind not in tasks:
                tasks[kind] = bars.add_task(kind, total=None)
            bars.advance(tasks[kind], amount)

        yield advance


def _show(report: RunReport, as_json: bool, *, title: str) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, default=str))
        return
    out = console()
    out.print(summary_table(report.pipelines, title=title))
    for pipeline in report.pipelines:
        for line in remarks(pipeline):
            out.print(line, markup=False)
