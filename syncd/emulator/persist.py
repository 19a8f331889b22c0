"""``--state-file``: the org's data in a SQLite file, so a demo can stop and resume.

What is kept: every record (with its id, owner, created and modified times and users), the deleted
log, picklist values learnt from writes, the users, the id counter and how far the clock was
advanced. What is not: access tokens, credits, faults, bulk jobs and uploads — after a restart
clients mint a new token, as they would after Zoho's tokens expire.

When: on start the file is loaded if it exists (and then ``--seed`` is skipped: the data is already
there); while serving it is saved every :data:`SAVE_SECONDS` if anything changed; and once more on a
clean shutdown. Each save writes a new file beside the old one and renames it into place, so a crash
mid-save leaves the previous save intact. The tables are plain rows an operator can read with
``sqlite3``: ``records(product, module, id, data)`` with ``data`` as JSON, ``deleted``, ``users``,
``picklist_values``, ``meta``.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncd.emulator.records import SYSTEM_NAMES, Deletion, User
from syncd.emulator.schema import PRODUCTS, FieldDef, ModuleDef
from syncd.emulator.state import EmulatorState
from syncd.emulator.values import NUMBER_TYPES

log = logging.getLogger(__name__)
SAVE_SECONDS = 30.0
FORMAT = "1"
TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT);
CREATE TABLE records (product TEXT, module TEXT, id INTEGER, data TEXT NOT NULL,
                      PRIMARY KEY (product, module, id));
CREATE TABLE deleted (product TEXT, module TEXT, id INTEGER, display_name TEXT, deleted_by INTEGER,
                      created_by INTEGER, deleted_time INTEGER, permanent INTEGER);
CREATE TABLE picklist_values (product TEXT, module TEXT, field TEXT, value TEXT);
"""


def _encode(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _decode(f: FieldDef, value: Any) -> Any:
    if value is None:
        return None
    if f.data_type == "date":
        return date.fromisoformat(value)
    if f.data_type in NUMBER_TYPES:
        return Decimal(value)
    if f.data_type == "multiselectpicklist":
        return tuple(value)
    return value


def _record_rows(state: EmulatorState) -> Iterator[tuple[str, str, int, str]]:
    for product in PRODUCTS:
        for module in state.records.modules(product):
            names = [f.api_name for f in module.fields]
            for record_id, row in state.records.iter_rows(product, module.api_name):
                data = {n: _encode(v) for n, v in zip(names, row, strict=True) if v is not None}
                yield product, module.api_name, record_id, json.dumps(data, ensure_ascii=False)


def _other_rows(state: EmulatorState, db: sqlite3.Connection) -> None:
    users = [(u.id, u.first_name, u.last_name, u.email) for u in state.records.users]
    db.executemany("INSERT INTO users VALUES (?, ?, ?, ?)", users)
    for product in PRODUCTS:
        for module in state.records.modules(product):
            table = state.records.table(product, module.api_name)
            db.executemany(
                "INSERT INTO deleted VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(product, module.api_name, *_deletion_row(d)) for d in table.deleted],
            )
            picks = [
                (product, module.api_name, f, v) for f, vs in table.new_picklist_values.items() for v in vs
            ]
            db.executemany("INSERT INTO picklist_values VALUES (?, ?, ?, ?)", picks)
    offset = state.clock.time() - time.time()
    meta = {"format": FORMAT, "next_id": str(state.ids.state()), "clock_offset": repr(offset)}
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())


def _deletion_row(d: Deletion) -> tuple[Any, ...]:
    return (d.id, d.display_name, d.deleted_by, d.created_by, d.deleted_time, int(d.permanent))


def save(state: EmulatorState, path: Path) -> int:
    """Write the whole state to ``path`` (atomically); returns the change count it reflects."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.executescript(TABLES)
        with state.records.lock:
            changes = state.records.changes
            db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)", _record_rows(state))
            _other_rows(state, db)
        db.commit()
    finally:
        db.close()
    os.replace(partial, path)
    return changes


def _module(state: EmulatorState, path: Path, product: str, name: str) -> ModuleDef:
    module = state.records.module(product, name)
    if module is None:
        raise ValueError(
            f"{path}: module {product}:{name} is not in the schema; start with the same --schema-file"
        )
    return module


def _load_record(state: EmulatorState, path: Path, row: tuple[str, str, int, str]) -> None:
    product, name, record_id, text = row
    module = _module(state, path, product, name)
    data = json.loads(text)
    unknown = [key for key in data if module.field(key) is None]
    if unknown:
        raise ValueError(
            f"{path}: {product}:{name} record {record_id} has fields not in the schema: {unknown}"
        )
    values = {k: _decode(module.fields[module.index[k]], v) for k, v in data.items()}
    own = {k: v for k, v in values.items() if k not in SYSTEM_NAMES}
    created_by = values.get("Created_By") or state.records.users[0].id
    state.records.insert(product, name, own, created_by, record_id=record_id, at=values.get("Created_Time"))
    stored = state.records.table(product, name).rows[record_id]
    for key in ("Modified_By", "Modified_Time"):
        if key in values:
            stored[module.index[key]] = values[key]


def _load_extras(state: EmulatorState, path: Path, db: sqlite3.Connection) -> None:
    for product, name, *rest in db.execute("SELECT * FROM deleted ORDER BY rowid"):
        _module(state, path, product, name)
        record_id, shown, by, created_by, at, permanent = rest
        table = state.records.table(product, name)
        table.deleted.append(Deletion(record_id, shown, by, created_by, at, bool(permanent)))
    for product, name, field, value in db.execute("SELECT * FROM picklist_values ORDER BY rowid"):
        known = state.records.table(product, _module(state, path, product, name).api_name).new_picklist_values
        if value not in known.setdefault(field, []):
            known[field].append(value)


def load(state: EmulatorState, path: Path) -> bool:
    """Fill an empty ``state`` from ``path``; False when there is no such file."""
    if not path.exists():
        return False
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not an emulator state file of format {FORMAT}")
        state.records.users = [User(*row) for row in db.execute("SELECT * FROM users ORDER BY rowid")]
        for row in db.execute("SELECT * FROM records ORDER BY product, module, id"):
            _load_record(state, path, row)
        _load_extras(state, path, db)
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{path}: cannot read the emulator state: {exc}") from exc
    finally:
        db.close()
    state.ids.restore(int(meta["next_id"]))
    state.clock.advance(max(0.0, float(meta["clock_offset"]) - (state.clock.time() - time.time())))
    return True


class StateKeeper:
    """Saves the state every ``interval`` seconds when it changed, and on :meth:`stop`."""

    def __init__(self, state: EmulatorState, path: Path | None, interval: float = SAVE_SECONDS) -> None:
        self._state, self._path, self._interval = state, path, interval
        self._saved = state.records.changes if path is not None and path.exists() else -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._path is not None and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="emulator-state-file", daemon=True)
            self._thread.start()

    def save_if_changed(self) -> None:
        if self._path is not None and self._state.records.changes != self._saved:
            self._saved = save(self._state, self._path)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.save_if_changed()
            except (OSError, sqlite3.Error) as exc:
                log.error("could not save the emulator state to %s: %s", self._path, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        self.save_if_changed()
