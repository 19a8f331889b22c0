"""Synthetic records that look like a real org's, deterministic for a given seed.

Values are drawn from small vocabularies (shared string objects) so a million records stay small in
memory; unique fields get unique values; lookups point at records seeded earlier in other modules.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from syncd.emulator.schema import FieldDef, ModuleDef
from syncd.emulator.state import EmulatorState

FIRST = (
    "Aiko",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farah",
    "Gustav",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lara",
    "Mateo",
    "Nina",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Yusuf",
)
LAST = (
    "Andersen",
    "Brown",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Horvat",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
)
COMPANIES = (
    "Zylker",
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Nakatomi",
)
SUFFIXES = ("Inc", "GmbH", "Ltd", "LLC", "SA", "BV", "AB", "Co")
CITIES = ("Chennai", "Austin", "Berlin", "Lyon", "Osaka", "Toronto", "Nairobi", "Lisbon", "Sydney", "Oslo")
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
WORDS = ("alpha", "delta", "nova", "prime", "core", "edge", "flex", "pro", "max", "lite", "plus", "one")
BASE_TIME = 1_700_000_000  # seeded Created_Time values lie in the year before this instant


def _text(f: FieldDef, rng: random.Random, n: int) -> str:
    name = f.api_name
    if name == "First_Name":
        return rng.choice(FIRST)
    if name == "Last_Name":
        return rng.choice(LAST)
    if name in {"Company", "Account_Name"}:
        return f"{rng.choice(COMPANIES)} {rng.choice(WORDS).title()} {rng.choice(SUFFIXES)}"
    if "City" in name:
        return rng.choice(CITIES)
    if "Country" in name:
        return rng.choice(COUNTRIES)
    if "Zip" in name or name.endswith("_Code"):
        return f"{rng.randrange(10000, 99999)}"
    if "Street" in name:
        return f"{rng.randrange(1, 999)} {rng.choice(WORDS).title()} Street"
    return f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n}"[: f.length or 255]


def _unique(f: FieldDef, n: int, seed: int) -> Any:
    if f.data_type == "email":
        return f"user{seed}.{n}@example.com"
    if f.data_type in {"bigint", "integer"}:
        return 10_000_000 + n
    return f"{f.api_name[:3].upper()}-{seed}-{n:07d}"


def _value(state: EmulatorState, product: str, f: FieldDef, rng: random.Random, n: int, seed: int) -> Any:
    if f.unique:
        return _unique(f, n, seed)
    kind = f.data_type
    if kind in {"text"}:
        return _text(f, rng, n)
    if kind == "email":
        return f"{rng.choice(FIRST).lower()}.{n}@mail.example"
    if kind == "phone":
        return f"+1555{rng.randrange(1000000, 9999999)}"
    if kind == "website":
        return f"https://www.{rng.choice(COMPANIES).lower()}.example"
    if kind == "picklist":
        return rng.choice(f.picklist) if f.picklist else None
    if kind == "multiselectpicklist":
        return tuple(sorted(rng.sample(f.picklist, k=rng.randint(0, min(3, len(f.picklist)))))) or None
    if kind == "date":
        return date(2020, 1, 1) + timedelta(days=rng.randrange(0, 2500))
    if kind == "datetime":
        return BASE_TIME - rng.randrange(0, 365 * 86400)
    if kind == "integer":
        return rng.randrange(0, 5000)
    if kind == "bigint":
        return rng.randrange(10**9, 10**12)
    if kind in {"currency", "double"}:
        return Decimal(rng.randrange(0, 10_000_000)) / 100
    if kind == "percent":
        return Decimal(rng.randrange(0, 100))
    if kind == "boolean":
        return rng.random() < 0.3
    if kind == "lookup" and f.lookup:
        return _pick_record(state, product, f.lookup, rng)
    if kind == "ownerlookup":
        return rng.choice(state.records.users).id
    return None  # multi-line text, subforms and multi-select lookups are left empty


def _pick_record(state: EmulatorState, product: str, module: str, rng: random.Random) -> int | None:
    cache = state.extras.setdefault("seed_ids", {})
    ids = cache.get((product, module))
    if ids is None or len(ids) != state.records.count(product, module):
        ids = cache[(product, module)] = [rid for rid, _ in state.records.iter_rows(product, module)]
    return rng.choice(ids) if ids and rng.random() < 0.8 else None


def seed_module(state: EmulatorState, product: str, module: str, count: int, seed: int) -> int:
    """Add ``count`` synthetic records to a module; returns how many were added."""
    definition: ModuleDef | None = state.records.module(product, module)
    if definition is None:
        raise ValueError(f"unknown module {product}:{module}")
    rng = random.Random(f"{seed}:{product}:{module}")
    start = state.records.count(product, module)
    writable = [f for f in definition.fields if f.writable or f.api_name == "Owner"]
    for n in range(start, start + count):
        values = {f.api_name: _value(state, product, f, rng, n, seed) for f in writable}
        at = BASE_TIME - rng.randrange(0, 365 * 86400)
        state.records.insert(product, module, values, state.records.users[0].id, at=at)
    return count
