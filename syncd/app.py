"""Where syncd's parts meet: a configuration becomes a state store, a Zoho client and connectors.

Every command that works on pipelines starts here::

    with open_runtime(load_config(path)) as runtime:
        connector = runtime.connector("shop")
        ...

With ``[zoho] emulator = true`` the bundled Zoho emulator is started on a loopback port for the
lifetime of the runtime, its data kept in ``emulator.sqlite`` beside the state database, so the demo
and first experiments need no Zoho account. ``[zoho] emulator_seed`` names a JSON file of records
(``{"Accounts": [{...}], "Contacts": [...]}`` in the REST API's JSON form) loaded into the emulator
when it starts without a state file, i.e. the first time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from syncd.config import SyncdConfig
from syncd.connector import Connector
from syncd.engine.plan import CostTable
from syncd.errors import ConfigError
from syncd.plugins.manager import PluginManager, get_manager
from syncd.store import StateStore, state_directory
from syncd.zoho import (
    CallbackHub,
    Charge,
    ChargedCalls,
    Credentials,
    CreditInfo,
    Endpoints,
    FinishedJob,
    PollPolicy,
    ZohoClient,
)

Clock = Callable[[], datetime]
EMULATOR_CREDENTIALS = Credentials("demo", "demo", "demo")
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The open parts of one configuration; close them by leaving :func:`open_runtime`."""

    config: SyncdConfig
    store: StateStore
    zoho: ZohoClient
    plugins: PluginManager
    clock: Clock
    work_dir: Path
    emulator_url: str | None = None

    @property
    def org(self) -> str:
        """The name credits are booked under: one ledger per Zoho account and product."""
        return org_name(self.config)

    def book_calls(self, context: str | None = None) -> int:
        """Book the credits of the Zoho calls nobody reserved, made since the last booking (job status,
        downloads, uploads, metadata, REST reads, bulk read jobs); the credits booked. Pipelines
        running at once share the client, so a booking may include another pipeline's calls."""
        costs = self.config.credits.costs.table()
        return CallBooker(self.store, self.org, costs, self.zoho.session.charged)(context)

    def connector(self, name: str) -> Connector[Any]:
        """A new instance of the connector configured as ``[connectors.NAME]``."""
        configured = self.config.connectors.get(name)
        if configured is None:
            known = ", ".join(sorted(self.config.connectors)) or "none"
            raise ConfigError(f"no connector named {name!r} in the configuration (configured: {known})")
        connector_class = self.plugins.connector_class(configured.type)
        return connector_class.from_options(configured.options, name=name, clock=self.clock)


class CallBooker:
    """Books the calls a :class:`~syncd.zoho.ChargedCalls` counted as one ledger entry, at the configured
    costs; counts whose booking fails are put back for the next one."""

    def __init__(self, store: StateStore, org: str, costs: CostTable, charged: ChargedCalls) -> None:
        self.store = store
        self.org = org
        self.costs = costs
        self.charged = charged

    def pending(self) -> int:
        """Credits counted and not booked yet."""
        return charged_credits(self.charged.peek(), self.costs)

    def __call__(self, context: str | None = None) -> int:
        """Book what was counted so far; ``context`` is added to the ledger entry's purpose."""
        taken = self.charged.take()
        credits = charged_credits(taken, self.costs)
        if not credits:
            return 0
        purpose = describe_calls(taken) + (f" ({context})" if context else "")
        try:
            self.store.credits.spend(self.org, credits, purpose)
        except BaseException:
            self.charged.add_all(taken)
            raise
        return credits


def _book_on_close(booker: CallBooker) -> None:
    """Book the calls made since the last booking; a failure is logged, not raised over another."""
    try:
        booker("on closing")
    except Exception as error:
        log.warning("could not book %d credits of Zoho calls: %s", booker.pending(), error)


def charged_credits(counts: Mapping[Charge, int], costs: CostTable) -> int:
    return counts.get(Charge.CALL, 0) * costs.call + counts.get(Charge.BULK_READ_JOB, 0) * costs.bulk_read_job


def describe_calls(counts: Mapping[Charge, int]) -> str:
    """``"Zoho calls: 1 bulk read job, 7 other calls"``."""
    jobs, calls = counts.get(Charge.BULK_READ_JOB, 0), counts.get(Charge.CALL, 0)
    parts = [f"{jobs} bulk read job{'s' * (jobs != 1)}"] if jobs else []
    if calls:
        parts.append(f"{calls} {'other ' if jobs else ''}call{'s' * (calls != 1)}")
    return "Zoho calls: " + ", ".join(parts)


class CreditCorrector:
    """The Zoho client's ``on_credits``: books what ``X-API-CREDITS-REMAINING`` shows was spent beyond
    the ledger (by other applications), once per new figure. Calls this process made and has not
    booked yet (``pending``, counted before the answer reaches here) are not mistaken for those.

    A 429 without the header books nothing (Zoho also answers 429 for concurrency); the engine defers
    the batches a 429 stopped, and the next answer carrying the header corrects the ledger.
    """

    def __init__(
        self, store: StateStore, org: str, limit: int, pending: Callable[[], int] = lambda: 0
    ) -> None:
        self.store = store
        self.org = org
        self.limit = limit
        self.pending = pending
        self.throttled = 0
        self._last: int | None = None

    def __call__(self, info: CreditInfo) -> None:
        if info.throttled:
            self.throttled += 1
            log.warning("Zoho throttled a call (%s)", info.cause or "429 TOO_MANY_REQUESTS")
        if info.remaining is None or info.remaining == self._last:
            return
        self._last = info.remaining
        booked = self.store.credits.correct(
            self.org, info.remaining, limit=self.limit, pending=self.pending()
        )
        if booked:
            log.warning(
                "Zoho reports %d credits left of %d: booked %d credits spent outside the ledger",
                info.remaining,
                self.limit,
                booked,
            )


def org_name(config: SyncdConfig) -> str:
    """The credit ledger's name for the configured Zoho account (stable across emulator restarts)."""
    if config.zoho.emulator:
        return f"{config.zoho.product}:embedded emulator"
    return f"{config.zoho.product}:{endpoints_for(config).describe()}"


def work_directory(config: SyncdConfig) -> Path:
    """Where spooled downloads and prepared batches go: beside a SQLite state file, else the state dir."""
    url = config.state.url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///")).parent / "work"
    return state_directory() / "work"


def endpoints_for(config: SyncdConfig) -> Endpoints:
    zoho = config.zoho
    if zoho.accounts_url and not (zoho.api_url or zoho.upload_url):
        return Endpoints.explicit(str(zoho.accounts_url), product=zoho.product, version=zoho.api_version)
    endpoints = Endpoints.for_data_centre(zoho.data_centre, zoho.environment, zoho.product, zoho.api_version)
    return endpoints.with_urls(
        accounts_url=_str(zoho.accounts_url), api_url=_str(zoho.api_url), upload_url=_str(zoho.upload_url)
    )


def poll_policy_for(config: SyncdConfig) -> PollPolicy:
    """How the Zoho client waits for bulk jobs: ``[zoho] poll_initial``, ``poll_max``, ``job_timeout``."""
    zoho = config.zoho
    return PollPolicy(
        initial=zoho.poll_initial.total_seconds(),
        maximum=zoho.poll_max.total_seconds(),
        timeout=zoho.job_timeout.total_seconds(),
    )


def credentials_for(config: SyncdConfig) -> Credentials:
    zoho = config.zoho
    if zoho.client_id is None or zoho.client_secret is None or zoho.refresh_token is None:
        raise ConfigError("[zoho] needs client_id, client_secret and refresh_token (or emulator = true)")
    return Credentials(
        zoho.client_id, zoho.client_secret.get_secret_value(), zoho.refresh_token.get_secret_value()
    )


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)


@contextmanager
def _zoho_access(config: SyncdConfig, work_dir: Path) -> Iterator[tuple[Endpoints, Credentials, str | None]]:
    if not config.zoho.emulator:
        yield endpoints_for(config), credentials_for(config), None
        return
    from syncd.emulator import EmulatorSettings, start_emulator

    state_file = work_dir.parent / "emulator.sqlite"
    fresh = not state_file.exists()
    settings = EmulatorSettings(job_seconds=0.2, state_file=state_file)
    with start_emulator(settings) as emulator:
        if fresh and config.zoho.emulator_seed is not None:
            load_emulator_seed(emulator.url, config.zoho.emulator_seed, product=config.zoho.product)
        endpoints = Endpoints.explicit(
            emulator.url, product=config.zoho.product, version=config.zoho.api_version
        )
        yield endpoints, EMULATOR_CREDENTIALS, emulator.url


def load_emulator_seed(url: str, path: Path, *, product: str = "crm") -> dict[str, int]:
    """Load a seed file's records into a running emulator through its admin API; counts per module."""
    try:
        seed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"[zoho] emulator_seed: cannot read {path}: {error}") from None
    if not isinstance(seed, dict) or not all(isinstance(rows, list) for rows in seed.values()):
        raise ConfigError(f'[zoho] emulator_seed: {path} must hold {{"Module": [{{...}}, ...], ...}}')
    loaded: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=30) as admin:
        for module, records in seed.items():
            answer = admin.post(
                f"/__emulator__/records/{module}", params={"product": product}, json={"records": records}
            )
            if answer.status_code != 200:
                reason = answer.json().get("error", answer.text)
                raise ConfigError(f"[zoho] emulator_seed: {path}: {module}: {reason}")
            loaded[module] = len(records)
    return loaded


@contextmanager
def open_runtime(
    config: SyncdConfig,
    *,
    clock: Clock = utc_now,
    upgrade: bool = True,
    transport: httpx.BaseTransport | None = None,
    callbacks: CallbackHub | None = None,
    callback_url: str | None = None,
    on_job: Callable[[FinishedJob], None] | None = None,
) -> Iterator[Runtime]:
    """Open the store (migrating it), the Zoho client (starting the emulator if asked) and plugins.

    ``transport`` carries the client's HTTP (e.g. to count calls, as ``syncd export`` does).
    ``callbacks`` and ``callback_url`` let Zoho's job callbacks end the client's waits early (``syncd run``).
    ``on_job`` hears of each bulk job the client waited for, once finished, with its duration (metrics).
    """
    work_dir = work_directory(config)
    work_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        store = StateStore.open(config.state.url, clock=clock, upgrade=upgrade)
        stack.callback(store.close)
        endpoints, credentials, emulator_url = stack.enter_context(_zoho_access(config, work_dir))
        charged = ChargedCalls()
        booker = CallBooker(store, org_name(config), config.credits.costs.table(), charged)
        zoho = ZohoClient(
            endpoints,
            credentials,
            token_cache=store.token_cache(),
            work_dir=work_dir,
            clock=clock,
            transport=transport,
            poll=poll_policy_for(config),
            callbacks=callbacks,
            callback_url=callback_url,
            on_job=on_job,
            charged=charged,
            on_credits=CreditCorrector(
                store, org_name(config), config.credits.daily_limit, pending=booker.pending
            ),
        )
        stack.callback(zoho.close)
        stack.callback(_book_on_close, booker)  # before the store closes
        yield Runtime(config, store, zoho, get_manager(), clock, work_dir, emulator_url)
