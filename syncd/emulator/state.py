"""Everything one emulator instance holds: settings, clock, data, tokens, credits, faults and jobs."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from starlette.requests import Request

from syncd.emulator.auth import TokenAuthority
from syncd.emulator.clock import EmulatorClock
from syncd.emulator.credits import Concurrency, CreditLedger
from syncd.emulator.faults import Faults
from syncd.emulator.records import IdGenerator, RecordStore, User
from syncd.emulator.schema import PRODUCTS, default_schema
from syncd.emulator.settings import EmulatorSettings

FIRST_NAMES = ("Patricia", "Mike", "Aiko", "Ravi", "Lena", "Tom", "Chidi", "Sofia", "Jonas", "Mei")
LAST_NAMES = ("Boyle", "O'Leary", "Tanaka", "Iyer", "Novak", "Berg", "Okafor", "Rossi", "Keller", "Chen")


@dataclass
class EmulatorState:
    settings: EmulatorSettings
    clock: EmulatorClock = field(default_factory=EmulatorClock)
    ids: IdGenerator = field(default_factory=IdGenerator)
    # set in __post_init__
    records: RecordStore = field(init=False)
    tokens: TokenAuthority = field(init=False)
    credits: dict[str, CreditLedger] = field(init=False)
    concurrency: dict[str, Concurrency] = field(init=False)
    faults: Faults = field(default_factory=Faults)
    org_ids: dict[str, int] = field(init=False)
    zgids: dict[str, int] = field(init=False)
    module_ids: dict[tuple[str, str], int] = field(init=False)
    # extension points for the parts built on top (bulk read/write jobs, uploads, download limits)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        schema = default_schema(self.settings.schema_file)
        self.records = RecordStore(schema, self.ids, self.clock.time)
        self.tokens = TokenAuthority(self.settings, self.clock)
        self.credits = {p: CreditLedger(self.settings, self.clock) for p in PRODUCTS}
        self.concurrency = {p: Concurrency(self.settings.concurrency) for p in PRODUCTS}
        self.org_ids = {p: self.ids.next() for p in PRODUCTS}
        self.zgids = {p: 60_000_000 + i * 1_000_003 + 7 for i, p in enumerate(PRODUCTS)}
        self.module_ids = {(p, m): self.ids.next() for p, modules in schema.items() for m in modules}
        self.records.users = self._make_users()

    def _make_users(self) -> list[User]:
        users = []
        for i in range(self.settings.users):
            first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 3) % len(LAST_NAMES)]
            suffix = "" if i < len(FIRST_NAMES) else str(i)
            email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{suffix}@zylker.example"
            users.append(User(self.ids.next(), first, last, email))
        return users

    @property
    def zone(self) -> tzinfo:
        return zoneinfo.ZoneInfo(self.settings.timezone)

    @staticmethod
    def base_url(request: Request) -> str:
        """The URL this emulator is reached at: every Zoho host (accounts, API, upload, download)."""
        host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
        return f"{request.url.scheme}://{host}"


def state_of(request: Request) -> EmulatorState:
    state = request.app.state.emulator
    assert isinstance(state, EmulatorState)
    return state
