"""Synthetic records that look like a real org's, deterministic for a given seed.

Each record is built around one person and one company, so ``Email`` matches ``First_Name`` and
``Last_Name`` and a deal is named after its account. Lookups point at records of the target module
seeded before (:func:`seed_all` seeds lookup targets first), owners are the org's users. Repeated
values (dates, amounts, phones, streets, picklist choices) come from small pools of shared objects
so a million records stay well inside a couple of gigabytes.
"""

from __future__ import annotations

import graphlib
import random
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from syncd.emulator.records import DuplicateValue
from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.state import EmulatorState


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words("Aiko Ben Carla Dmitri Elena Farah Gustav Hana Ivan Julia Kofi Lara Mateo Nina Omar Priya")
FIRST += _words("Quinn Rosa Sven Tara Umar Vera Wen Yusuf")
LAST = _words("Andersen Brown Costa Dubois Evans Fischer Garcia Horvat Ito Jensen Kowalski Lopez")
LAST += ("Müller", "Nakamura", "O'Brien", "Petrov", "Quist", "Rossi", "Silva", "Tanaka")
COMPANIES = _words("Zylker Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Tyrell Cyberdyne")
COMPANIES += _words("Soylent Wonka Gringotts Oscorp Nakatomi")
SUFFIXES = ("Inc", "GmbH", "Ltd", "LLC", "SA", "BV", "AB", "Co")
WORDS = _words("Alpha Delta Nova Prime Core Edge Flex Pro Max Lite Plus One")
CITIES = _words("Chennai Austin Berlin Lyon Osaka Toronto Nairobi Lisbon Sydney Oslo")
COUNTRIES = (
    "India",
    "USA",
    "Germany",
    "France",
    "Japan",
    "Canada",
    "Kenya",
    "Portugal",
    "Australia",
    "Norway",
)
STATES = ("Tamil Nadu", "Texas", "Berlin", "Rhône", "Osaka", "Ontario", "Nairobi", "Lisboa", "NSW", "Oslo")
TITLES = ("CEO", "CTO", "Sales Manager", "Buyer", "Engineer", "Accountant", "Consultant", "Director")
DEPARTMENTS = ("Sales", "Purchasing", "Engineering", "Finance", "Operations", "Marketing", "IT")
STREETS = ("Main", "Park", "Oak", "Lake", "Hill", "Station", "Mill", "Church", "High", "Bridge")
EVENTS = ("Call with", "Demo for", "Lunch with", "Review with", "Kick-off with", "Visit to")
NOTES = (
    "Met at the trade show; follow up next quarter.",
    "Prefers email over phone.",
    "Asked for a quote on the premium plan.",
    "Renewal due soon.",
)
ASCII = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "'": "", " ": ""})
BASE_TIME = 1_700_000_000  # seeded Created_Time values lie in the year before this instant
POOL = 997  # size of the pools of shared values (a prime, so pools do not line up)


class Pools:
    """Shared value objects, built once per seeding run from its random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.dates = [date(2020, 1, 1) + timedelta(days=rng.randrange(0, 2500)) for _ in range(POOL)]
        self.births = [date(1950, 1, 1) + timedelta(days=rng.randrange(0, 18000)) for _ in range(POOL)]
        self.amounts = [Decimal(rng.randrange(0, 10_000_000)) / 100 for _ in range(POOL)]
        self.percents = [Decimal(p) for p in range(101)]
        self.phones = [f"+1555{rng.randrange(1_000_000, 9_999_999)}" for _ in range(POOL)]
        self.streets = [f"{rng.randrange(1, 999)} {rng.choice(STREETS)} Street" for _ in range(POOL)]
        self.zips = [f"{rng.randrange(10000, 99999)}" for _ in range(POOL)]
        self.companies = [f"{c} {w} {s}" for c in COMPANIES for w in WORDS for s in SUFFIXES]
        rng.shuffle(self.companies)
        self.events = [f"{e} {c}" for e in EVENTS for c in COMPANIES]
        self.multi: dict[str, list[tuple[str, ...] | None]] = {}

    def multiselect(self, f: FieldDef, rng: random.Random) -> tuple[str, ...] | None:
        choices = self.multi.get(f.api_name)
        if choices is None:
            picks = (rng.sample(f.picklist, k=rng.randint(0, min(3, len(f.picklist)))) for _ in range(64))
            choices = self.multi[f.api_name] = [tuple(sorted(p)) or None for p in picks]
        return rng.choice(choices)


class Picker:
    """Ids of lookup targets: what each target module held when seeding began, plus new records."""

    def __init__(self, state: EmulatorState, product: str) -> None:
        self._state = state
        self._product = product
        self.ids: dict[str, list[int]] = {}

    def of(self, module: str) -> list[int]:
        if module not in self.ids:
            exists = self._state.records.module(self._product, module) is not None
            rows = self._state.records.iter_rows(self._product, module) if exists else iter(())
            self.ids[module] = [record_id for record_id, _ in rows]
        return self.ids[module]


class Person:
    def __init__(self, rng: random.Random, pools: Pools, n: int) -> None:
        self.first, self.last = rng.choice(FIRST), rng.choice(LAST)
        self.company = pools.companies[n % len(pools.companies)]
        if n >= len(pools.companies):
            self.company = f"{self.company} {n // len(pools.companies) + 1}"
        self.domain = self.company.split()[0].lower() + ".example"
        self.city = rng.randrange(len(CITIES))

    def email(self, n: int) -> str:
        return f"{self.first}.{self.last}{n}@{self.domain}".lower().translate(ASCII)


def _named(name: str, p: Person, pools: Pools, rng: random.Random) -> Any:
    match name:
        case "First_Name":
            return p.first
        case "Last_Name":
            return p.last
        case "Company" | "Account_Name":
            return p.company
        case "Deal_Name":
            return f"{p.company} - {rng.choice(WORDS)} deal"
        case "Product_Name":
            return f"{rng.choice(WORDS)} {rng.choice(('Router', 'Suite', 'Sensor', 'Plan'))}"
        case "Event_Title":
            return rng.choice(pools.events)
        case "Title":
            return rng.choice(TITLES)
        case "Department":
            return rng.choice(DEPARTMENTS)
        case "Venue":
            return CITIES[p.city]
    return None


def _text(f: FieldDef, p: Person, pools: Pools, rng: random.Random, n: int) -> Any:
    name = f.api_name
    named = _named(name, p, pools, rng)
    if named is not None:
        return named
    for part, value in (("City", CITIES), ("Country", COUNTRIES), ("State", STATES)):
        if part in name:
            return value[p.city]
    if "Zip" in name or name.endswith("_Code"):
        return rng.choice(pools.zips)
    if "Street" in name:
        return rng.choice(pools.streets)
    return f"{rng.choice(WORDS)} {n}"[: f.length or 255]


def _unique(f: FieldDef, p: Person, n: int, seed: int) -> Any:
    if f.data_type == "email":
        return p.email(n)
    if f.data_type in {"bigint", "integer"}:
        return 10_000_000 + n
    if f.api_name in {"Account_Name", "Company"}:
        return p.company
    return f"{f.api_name[:3].upper()}-{seed}-{n:07d}"


def _number(f: FieldDef, pools: Pools, rng: random.Random) -> Any:
    kind = f.data_type
    if kind == "integer":
        return rng.randrange(0, 5000)
    if kind == "bigint":
        return rng.randrange(10**9, 10**12)
    if kind == "percent":
        return rng.choice(pools.percents)
    return rng.choice(pools.amounts)


def _value(ctx: Seeding, f: FieldDef, p: Person, n: int) -> Any:
    rng, pools, kind = ctx.rng, ctx.pools, f.data_type
    if f.unique:
        return _unique(f, p, n, ctx.seed)
    if kind == "text":
        return _text(f, p, pools, rng, n)
    if kind == "email":
        return f"{p.first}@{p.domain}".lower().translate(ASCII) if rng.random() < 0.2 else None
    if kind == "phone":
        return rng.choice(pools.phones)
    if kind == "website":
        return f"https://www.{p.domain}"
    if kind == "picklist":
        return rng.choice(f.picklist) if f.picklist else None
    if kind == "multiselectpicklist":
        return pools.multiselect(f, rng) if f.picklist else None
    if kind == "date":
        return rng.choice(pools.births if "Birth" in f.api_name else pools.dates)
    if kind == "datetime":
        return BASE_TIME - rng.randrange(0, 365 * 86400)
    if kind in {"integer", "bigint", "currency", "double", "percent"}:
        return _number(f, pools, rng)
    if kind == "boolean":
        return rng.random() < 0.3
    if kind == "textarea":
        return rng.choice(NOTES) if rng.random() < 0.1 else None
    if kind == "lookup" and f.lookup:
        ids = ctx.picker.of(f.lookup)
        return rng.choice(ids) if ids and (f.mandatory or rng.random() < 0.8) else None
    if kind == "ownerlookup":
        return rng.choice(ctx.state.records.users).id
    return None  # subforms and multi-select lookups are left empty


class Seeding:
    def __init__(self, state: EmulatorState, product: str, module: ModuleDef, seed: int) -> None:
        self.state, self.product, self.module, self.seed = state, product, module, seed
        self.rng = random.Random(f"{seed}:{product}:{module.api_name}")
        self.pools = Pools(self.rng)
        self.picker = Picker(state, product)
        self.writable = [f for f in module.fields if f.writable or f.api_name == "Owner"]

    def values(self, n: int) -> dict[str, Any]:
        person = Person(self.rng, self.pools, n)
        values = {f.api_name: _value(self, f, person, n) for f in self.writable}
        values = {name: value for name, value in values.items() if value is not None}
        if "End_DateTime" in values and values.get("Start_DateTime") is not None:
            values["End_DateTime"] = values["Start_DateTime"] + 3600
        return values

    def insert(self, values: dict[str, Any], n: int) -> None:
        at = BASE_TIME - self.rng.randrange(0, 365 * 86400)
        user = self.state.records.users[0].id
        for attempt in range(3):
            try:
                new_id = self.state.records.insert(self.product, self.module.api_name, values, user, at=at)
            except DuplicateValue as clash:  # the value was taken by a record added another way
                values[clash.api_name] = _fallback(values[clash.api_name], n, attempt)
                continue
            self.picker.of(self.module.api_name).append(new_id)
            return


def _fallback(value: Any, n: int, attempt: int) -> Any:
    if isinstance(value, int):
        return value + 10**12 * (attempt + 1)
    local, at, domain = str(value).partition("@")
    return f"{local}.s{n}x{attempt}{at}{domain}"


def seed_module(state: EmulatorState, product: str, module: str, count: int, seed: int) -> int:
    """Add ``count`` synthetic records to a module; returns how many were added."""
    definition = state.records.module(product, module)
    if definition is None:
        raise ValueError(f"unknown module {product}:{module}")
    seeding = Seeding(state, product, definition, seed)
    start = state.records.count(product, module)
    for n in range(start, start + count):
        seeding.insert(seeding.values(n), n)
    return count


def seed_order(state: EmulatorState, targets: Mapping[str, int]) -> list[str]:
    """``targets`` keys (``Contacts`` or ``bigin:Contacts``) with every lookup target before its users."""
    graph: dict[str, set[str]] = {}
    for key in targets:
        product, _, name = key.rpartition(":")
        module = state.records.module(product or "crm", name)
        needs = {f.lookup for f in module.fields if f.lookup} if module else set()
        if module and module.parent:
            needs.add(module.parent)
        graph[key] = {
            k for k in targets if k != key and k.rpartition(":")[::2] in {(product, n) for n in needs}
        }
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return list(targets)


def seed_all(state: EmulatorState, targets: Mapping[str, int], seed: int) -> None:
    """Seed several modules (``{"Contacts": 200, "bigin:Accounts": 40}``), lookup targets first."""
    for key in seed_order(state, targets):
        product, _, module = key.rpartition(":")
        seed_module(state, product or "crm", module, targets[key], seed)
