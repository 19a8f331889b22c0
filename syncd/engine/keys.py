"""Joining the CRM's record ids to the source's keys, so the diff sees one key space.

A CRM row gets its source key, in this order:

1. through the ID map (syncd created or matched it before);
2. by ``find_by``: the source record of this read holding the same value in that field. That is
   first-sync matching: when both sides already hold the same people, they are paired before
   anything is written, so nothing is duplicated;
3. derived from its own values, when the source key fields are mapped from CRM fields: a record
   only the CRM holds, to be created in the source;
4. otherwise it cannot be placed in the source, and the report says why.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from syncd.engine.canonical import Canonical
from syncd.engine.mapping import FieldMapping
from syncd.engine.model import SideRecord, frozen_values


@dataclass(frozen=True)
class CrmRow:
    crm_id: str
    values: Mapping[str, Canonical]
    modified: datetime | None


@dataclass
class Joined:
    """The CRM side keyed by source key, and what the join learnt."""

    records: dict[str, SideRecord] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # source key -> CRM id, every row placed
    matched: dict[str, str] = field(default_factory=dict)  # new pairs found by find_by
    unplaced: dict[str, str] = field(default_factory=dict)  # CRM id -> why it has no source key


class KeyJoiner:
    """Places the CRM rows of a run, chunk by chunk, in the source's key space.

    ``source``: this read's records by key; ``taken``: those of its keys the ID map pairs with a
    CRM record already, which find_by must not pair again. A source record is matched once.
    """

    def __init__(
        self, source: Mapping[str, Mapping[str, Canonical]], taken: Collection[str], mapping: FieldMapping
    ) -> None:
        self._mapping = mapping
        self._find_by = mapping.pipeline.find_by
        self._by_value = _index(source, self._find_by, set(taken)) if self._find_by != "id" else {}

    def join(
        self,
        rows: Iterable[CrmRow],
        known: Mapping[str, str],
        placed: Callable[[list[str]], Mapping[str, str]],
    ) -> Joined:
        """``known``: CRM id -> source key from the ID map; ``placed(keys)``: which of these new keys
        the ID map already gives to a CRM record (another row of this module holds that key)."""
        joined = Joined()
        fresh: dict[str, str] = {}
        for row in rows:
            key = known.get(row.crm_id)
            if key is None:
                key = self._by_value.pop(_match_value(row.values.get(self._find_by)), None)
                if key is not None:
                    joined.matched[key] = row.crm_id
            if key is None:
                key = self._mapping.derive_key(row.values)
            if key is None or key in joined.records:
                why = self._mapping.why_not_creatable() if key is None else f"duplicate key {key!r}"
                joined.unplaced[row.crm_id] = why
                continue
            if row.crm_id not in known:
                fresh[key] = row.crm_id
            joined.records[key] = SideRecord(frozen_values(row.values), row.modified)
            joined.ids[key] = row.crm_id
        for key, crm_id in placed(list(fresh)).items():
            if crm_id != fresh[key]:
                joined.unplaced[fresh[key]] = f"duplicate key {key!r} (CRM record {crm_id} holds it)"
                del joined.records[key], joined.ids[key]
                joined.matched.pop(key, None)
        return joined


def _index(source: Mapping[str, Mapping[str, Canonical]], find_by: str, taken: set[str]) -> dict[object, str]:
    index: dict[object, str] = {}
    for key, values in source.items():
        value = _match_value(values.get(find_by))
        if key not in taken and value is not None:
            index.setdefault(value, key)
    return index


def _match_value(value: Canonical) -> object:
    """Emails and other text match case-insensitively, as Zoho's unique fields do."""
    return value.casefold() if isinstance(value, str) else value
