"""Reading the source side of a run: ``connector.read(cursor)``, field mapping and validation.

Every row is mapped into CRM fields and checked against the module's field types before anything is
uploaded: a bad row becomes a reject with its reason and costs no credits; good rows go on to the
diff. The connector's own rejects are filed the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from syncd.connector import Connector, Cursor, Record, Rejected, Tombstone
from syncd.connector.checked import checked_read
from syncd.engine.canonical import Canonical, CanonicalError, canonical_row
from syncd.engine.mapping import FieldMapping, key_function, source_key
from syncd.engine.screen import screen
from syncd.engine.validate import validate_row
from syncd.store import StateStore
from syncd.store.rejects import NewReject, RejectStatus

Progress = Callable[[str, int], None]


@dataclass
class SourceRead:
    values: dict[str, dict[str, Canonical]] = field(default_factory=dict)  # key -> CRM field -> canonical
    modified: dict[str, datetime | None] = field(default_factory=dict)
    tombstones: set[str] = field(default_factory=set)
    rejects: list[NewReject] = field(default_factory=list)
    cursor: Cursor | None = None
    rows: int = 0


def parse_cursor(text: str | None) -> Cursor | None:
    return None if not text else Cursor.from_json(orjson.loads(text))


def dump_cursor(cursor: Cursor | None) -> str | None:
    """The cursor as stored: JSON (a connector's cursor can hold a digest per row, so orjson)."""
    return None if cursor is None else orjson.dumps(cursor.to_json(), option=orjson.OPT_SORT_KEYS).decode()


def read_source(
    connector: Connector[Any],
    mapping: FieldMapping,
    store: StateStore,
    cursor: Cursor | None,
    progress: Progress | None = None,
) -> SourceRead:
    pipeline = mapping.pipeline
    spec = mapping.stream
    records: dict[str, Record] = {}
    read = SourceRead(cursor=cursor)
    key_of = key_function(spec)
    for item in checked_read(connector, pipeline.stream, cursor):
        if isinstance(item, Record):
            records[key_of(item.values)] = item
            read.rows += 1
            if progress and read.rows % 500 == 0:
                progress("rows", 500)
        elif isinstance(item, Tombstone):
            read.tombstones.add(source_key(spec, item.key))
        elif isinstance(item, Rejected):
            read.rejects.append(_connector_reject(item))
        else:
            read.cursor = item
    lookups = _lookups(store, mapping, records)
    map_records(read, mapping, records, lookups, _known_keys(store, mapping, records))
    return read


def map_records(
    read: SourceRead,
    mapping: FieldMapping,
    records: Mapping[str, Record],
    lookups: Mapping[str, Mapping[str, str]],
    known: Collection[str],
) -> None:
    """Map, validate and canonicalise ``records`` (key -> record) into ``read``: good rows into its
    values, bad ones into its rejects. ``known`` holds the keys the CRM has already (updates).

    The same as :func:`_map_one` for each record in turn; rows the column-wise screen
    (:mod:`syncd.engine.screen`) clears skip the per-row work.
    """
    inserts = [key not in known for key in records]
    screened = screen(mapping, [record.values for record in records.values()], lookups, inserts)
    cursor_field = mapping.stream.cursor_field
    for (key, record), values, insert in zip(records.items(), screened, inserts, strict=True):
        if values is None:  # not cleared in bulk: the per-row path says why (or clears it after all)
            _map_one(read, mapping, key, record, lookups, insert=insert)
            continue
        read.values[key] = values
        read.modified[key] = _stamp(record, cursor_field)


def _map_one(
    read: SourceRead,
    mapping: FieldMapping,
    key: str,
    record: Record,
    lookups: Mapping[str, Mapping[str, str]],
    *,
    insert: bool,
) -> None:
    row = mapping.to_crm(record.values, lookups)
    sent = {name: value for name, value in row.items() if value is not None or not insert}
    problems = validate_row(sent, mapping.metas, insert=insert, find_by_columns=mapping.find_by_columns)
    try:
        values = mapping.canonical(row) if not problems else {}
    except CanonicalError as error:  # validation reads values the same way; kept as a safety net
        problems = ()
        read.rejects.append(NewReject(key, "push", f"{error.problem}", retryable=False, row=_jsonable(row)))
        return
    if problems:
        message = "; ".join(str(problem) for problem in problems)
        codes = tuple(dict.fromkeys(problem.code for problem in problems))
        read.rejects.append(NewReject(key, "push", message, False, codes, _jsonable(row)))
        return
    read.values[key] = values
    read.modified[key] = _stamp(record, mapping.stream.cursor_field)


def _stamp(record: Record, cursor_field: str | None) -> datetime | None:
    stamp = record.values.get(cursor_field) if cursor_field else None
    return stamp if isinstance(stamp, datetime) else None


def _lookups(
    store: StateStore, mapping: FieldMapping, records: Mapping[str, Record]
) -> dict[str, dict[str, str]]:
    if not mapping.has_lookups:
        return {}
    wanted: dict[str, set[str]] = defaultdict(set)
    for record in records.values():
        for other, key in mapping.lookup_keys(record.values).items():
            wanted[other].add(key)
    if not wanted:
        return {}
    with store.snapshot() as tx:
        return {other: tx.id_map.crm_ids(other, sorted(keys)) for other, keys in wanted.items()}


def _known_keys(store: StateStore, mapping: FieldMapping, records: Mapping[str, Record]) -> set[str]:
    with store.snapshot() as tx:
        return set(tx.id_map.crm_ids(mapping.name, list(records)))


def _connector_reject(item: Rejected) -> NewReject:
    key = "|".join(str(value) for value in item.key.values()) if item.key else (item.location or "?")
    where = f" at {item.location}" if item.location else ""
    return NewReject(key, "push", f"the connector could not read the row{where}: {item.reason}", False)


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value if isinstance(value, str | int | float | bool) or value is None else str(value)
        for name, value in row.items()
    }


def retry_rejects(store: StateStore, mapping: FieldMapping, read: SourceRead) -> list[str]:
    """Send again the rows refused earlier that are due a retry (retryable, or marked by ``syncd
    rejects retry``) and that this read did not bring: from the values stored with the reject, so an
    unchanged source row is retried too. Returns the keys added."""
    with store.snapshot() as tx:
        due = set(tx.rejects.keys_to_retry(mapping.name)) - set(read.values)
        rejects = [
            r
            for status in (RejectStatus.OPEN, RejectStatus.RETRY)
            for r in tx.rejects.find(mapping.name, status=status)
        ]
    added = []
    for reject in rejects:
        if reject.key not in due or reject.direction != "push" or not reject.row:
            continue
        if validate_row(reject.row, mapping.metas, insert=False, find_by_columns=mapping.find_by_columns):
            continue  # still fails syncd's own checks: only a change in the source can fix it
        try:
            values = canonical_row(reject.row, mapping.metas)
        except CanonicalError:
            continue
        read.values[reject.key] = values
        read.modified[reject.key] = None
        added.append(reject.key)
    return added
