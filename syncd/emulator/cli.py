"""``syncd emulator``: run the bundled Zoho emulator."""

from __future__ import annotations

from pathlib import Path

import click

from syncd.emulator.settings import EDITIONS, EmulatorSettings


def _parse_seed(values: tuple[str, ...]) -> dict[str, int]:
    seeds: dict[str, int] = {}
    for item in values:
        module, sep, count = item.partition("=")
        if not sep or not module or not count.isdigit():
            raise click.BadParameter(
                f"{item!r}: expected MODULE=COUNT, e.g. Contacts=1000", param_hint="--seed"
            )
        seeds[module] = int(count)
    return seeds


@click.group()
def emulator() -> None:
    """A faithful local stand-in for Zoho CRM and Bigin's APIs (OAuth, bulk read/write, REST)."""


@emulator.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only is wise)."
)
@click.option(
    "--port", default=8700, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    metavar="MODULE=COUNT",
    help="Seed synthetic records; repeatable. Prefix Bigin modules with 'bigin:' (bigin:Contacts=50).",
)
@click.option("--random-seed", default=1, show_default=True, help="Seed of the synthetic data generator.")
@click.option(
    "--page-size",
    default=200_000,
    show_default=True,
    type=click.IntRange(1),
    help="Records per bulk-read page.",
)
@click.option(
    "--job-seconds",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0),
    help="How long a bulk job takes.",
)
@click.option(
    "--edition",
    default="enterprise",
    show_default=True,
    type=click.Choice(sorted(EDITIONS)),
    help="Sizes credits and concurrency.",
)
@click.option(
    "--users",
    default=10,
    show_default=True,
    type=click.IntRange(1),
    help="User licences (credits scale with them).",
)
@click.option(
    "--token-seconds", default=3600, show_default=True, type=click.IntRange(1), help="Access token lifetime."
)
@click.option("--client-id", default="demo", show_default=True)
@click.option("--client-secret", default="demo", show_default=True)
@click.option("--refresh-token", default="demo", show_default=True)
@click.option(
    "--schema-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file with extra modules and fields.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the data in this SQLite file across restarts.",
)
def serve(
    host: str,
    port: int,
    seeds: tuple[str, ...],
    random_seed: int,
    page_size: int,
    job_seconds: float,
    edition: str,
    users: int,
    token_seconds: int,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    schema_file: Path | None,
    state_file: Path | None,
) -> None:
    """Serve the emulator until interrupted (Ctrl-C or SIGTERM stop it cleanly).

    Every Zoho host is this one URL: use it as the accounts URL (/oauth/v2/token), the API domain,
    the upload host and the download host. The admin API is under /__emulator__/.
    """
    from syncd.emulator.server import serve as run

    try:
        settings = EmulatorSettings(
            host=host, port=port, seed=_parse_seed(seeds), random_seed=random_seed, page_size=page_size,
            job_seconds=job_seconds, edition=edition, users=users, token_seconds=token_seconds,
            client_id=client_id, client_secret=client_secret, refresh_token=refresh_token,
            schema_file=schema_file, state_file=state_file,
        )  # fmt: skip
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc

    def announce(url: str) -> None:
        click.echo(f"Zoho emulator listening on {url}")
        click.echo(
            f"  token:  curl -X POST '{url}/oauth/v2/token?grant_type=refresh_token&client_id={client_id}"
            f"&client_secret=...&refresh_token=...'"
        )
        click.echo(f"  API:    {url}/crm/v8/...   (Authorization: Zoho-oauthtoken <access_token>)")
        click.echo(f"  admin:  {url}/__emulator__/stats")
        click.echo("Press Ctrl-C to stop.")

    run(settings, announce)
