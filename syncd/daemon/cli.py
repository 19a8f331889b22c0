"""``syncd run``: the daemon — every pipeline on its schedule until SIGTERM, reloading on SIGHUP.

Exit codes: 0 stopped cleanly, 2 configuration error (nothing started), 3 failed, or runs still in
progress when the stop timeout ran out (they resume from their last checkpoint).
"""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import cast

import click

from syncd.config import DaemonConfig, parse_duration
from syncd.daemon.logs import LOG_FORMATS, LogFormat, configure_logging
from syncd.daemon.pipelines import DaemonPipelines, PipelineRunner
from syncd.daemon.run import Endpoint, Endpoints, run_daemon
from syncd.daemon.service import Service, ServiceOptions
from syncd.errors import FatalError

DEFAULT_CONFIG = "/etc/syncd/syncd.toml"
DEFAULT_RUNNER = "syncd.engine.runner:run_pipeline"


def load_runner(target: str) -> PipelineRunner:
    """The pipeline runner named ``module:function``."""
    module_name, _, attribute = target.partition(":")
    try:
        runner = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise FatalError(f"cannot load the pipeline runner {target}: {exc}") from None
    return cast(PipelineRunner, runner)


def endpoints_of(daemon: DaemonConfig) -> Endpoints:
    """The metrics and callback endpoints ``[daemon]`` asks for."""
    metrics = None if daemon.metrics_port is None else Endpoint(daemon.metrics_host, daemon.metrics_port)
    callbacks = None if daemon.callback_port is None else Endpoint(daemon.callback_host, daemon.callback_port)
    token = None if daemon.callback_token is None else daemon.callback_token.get_secret_value()
    return Endpoints(metrics=metrics, callbacks=callbacks, callback_token=token)


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    envvar="SYNCD_CONFIG",
    show_default=True,
    help="The configuration file (also $SYNCD_CONFIG); SIGHUP reads it again.",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="auto",
    show_default=True,
    help="journal: for journald (auto-detected); plain: with timestamps; json: one object per line.",
)
@click.option(
    "--stop-timeout",
    callback=_duration,
    help="How long runs get to checkpoint after SIGTERM, e.g. 90s (default: [daemon] stop_timeout).",
)
@click.option("--runner", default=DEFAULT_RUNNER, hidden=True, help="The pipeline runner, module:function.")
@click.pass_context
def run(
    ctx: click.Context, config_path: Path, log_format: str, stop_timeout: timedelta | None, runner: str
) -> int:
    """Run every pipeline on its schedule until stopped (SIGTERM); SIGHUP reloads the configuration.

    Made for systemd (Type=notify): READY once the store is migrated and plugins and connectors are
    checked, STATUS with what it is doing, watchdog pings while the scheduler works. Several daemons
    sharing a PostgreSQL state database share the pipelines through leases.
    """
    debug = bool((ctx.obj or {}).get("debug"))
    configure_logging(cast(LogFormat, log_format), level=logging.DEBUG if debug else logging.INFO)
    pipelines = DaemonPipelines(config_path, load_runner(runner))
    daemon = pipelines.config.daemon
    options = ServiceOptions(stop_timeout=stop_timeout or daemon.stop_timeout)
    service = Service(
        load_config=pipelines.load_config,
        run_pipeline=pipelines.run_pipeline,
        prepare=pipelines.prepare,
        options=options,
    )
    try:
        return run_daemon(
            service, endpoints_of(daemon), metrics=pipelines.metrics, on_callback=pipelines.hint
        )
    finally:
        pipelines.close()


__all__ = ["DEFAULT_CONFIG", "DEFAULT_RUNNER", "endpoints_of", "load_runner", "run"]
