"""What an operator does with rejects and conflicts: export rejects to fix them, resolve conflicts.

The next run does the rest: it sends again the keys :meth:`~syncd.store.rejects.Rejects.keys_to_retry`
names, and writes a resolved conflict's :meth:`~syncd.store.conflicts.Conflict.winning_values` to both
sides (:mod:`syncd.engine.resolutions`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from syncd.engine.model import RECORD_FIELD
from syncd.engine.resolutions import DELETED
from syncd.errors import ConfigError
from syncd.store import Conflict, Reject, Resolution

EXPORT_COLUMNS = (
    "reject_id",
    "pipeline",
    "key",
    "direction",
    "error_codes",
    "message",
    "retryable",
    "attempts",
)


def write_rejects_csv(rejects: Sequence[Reject], out: TextIO) -> int:
    """One line per reject: its identity and reason, then the row's own values (one column each)."""
    row_columns = _row_columns(rejects)
    writer = csv.writer(out)
    writer.writerow([*EXPORT_COLUMNS, *row_columns])
    for reject in rejects:
        writer.writerow([*_reject_cells(reject), *(_cell(reject.row.get(name)) for name in row_columns)])
    return len(rejects)


def export_rejects(rejects: Sequence[Reject], path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        return write_rejects_csv(rejects, out)


def _row_columns(rejects: Iterable[Reject]) -> list[str]:
    """The union of the rows' fields, in first-seen order, not clashing with the export's own columns."""
    seen: dict[str, None] = {}
    for reject in rejects:
        seen.update(dict.fromkeys(reject.row))
    return [name for name in seen if name not in EXPORT_COLUMNS]


def _reject_cells(reject: Reject) -> list[str]:
    return [
        str(reject.id),
        reject.pipeline,
        reject.key,
        reject.direction,
        " ".join(reject.error_codes),
        reject.message,
        "yes" if reject.retryable else "no",
        str(reject.attempts),
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def resolution_for(
    conflict: Conflict, take: str | None, assignments: Sequence[str], keep: bool | None = None
) -> tuple[Resolution, dict[str, Any] | None]:
    """What ``--take crm|source``, ``--value FIELD=VALUE`` and ``--keep/--delete`` ask for.

    ``--take`` alone: that side wins. ``--value`` alone: the values an operator chose, one for every
    conflicting field. Both: the side's values with the given fields replaced. A record-level
    conflict (deleted on one side, edited on the other) takes ``--keep``, ``--delete`` or ``--take``.
    """
    if RECORD_FIELD in conflict.crm:
        return _record_resolution(conflict, take, assignments, keep), None
    if keep is not None:
        raise ConfigError(
            f"conflict {conflict.id} is about fields, not a deleted record: use --take or --value"
        )
    if take is None and not assignments:
        raise ConfigError("say how to resolve: --take crm, --take source, or --value FIELD=VALUE")
    chosen = _assignments(conflict, assignments)
    if take is not None and not chosen:
        return Resolution(take), None
    side: Mapping[str, Any] = {} if take is None else _side(conflict, take)
    merged = {**side, **chosen}
    missing = [name for name in _conflicting(conflict) if name not in merged]
    if missing:
        raise ConfigError(
            f"conflict {conflict.id}: give a value for {', '.join(missing)} too (or --take a side)"
        )
    return Resolution.MERGED, merged


def _record_resolution(
    conflict: Conflict, take: str | None, assignments: Sequence[str], keep: bool | None
) -> Resolution:
    """Taking the side that deleted the record deletes it; taking the side that edited it keeps it."""
    if assignments or (take is None) == (keep is None):
        raise ConfigError(
            f"conflict {conflict.id} is a record deleted on one side and edited on the other: "
            "say --keep or --delete (or --take a side), and nothing else"
        )
    if take is not None:
        return Resolution(take)
    deleted_on = Resolution.CRM if conflict.crm[RECORD_FIELD] == DELETED else Resolution.SOURCE
    if keep:
        return Resolution.SOURCE if deleted_on == Resolution.CRM else Resolution.CRM
    return deleted_on


def _side(conflict: Conflict, take: str) -> Mapping[str, Any]:
    return conflict.crm if Resolution(take) == Resolution.CRM else conflict.source


def _conflicting(conflict: Conflict) -> list[str]:
    return sorted({*conflict.source, *conflict.crm})


def _assignments(conflict: Conflict, assignments: Sequence[str]) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    fields = _conflicting(conflict)
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ConfigError(f"--value {assignment!r}: write FIELD=VALUE")
        if name not in fields:
            raise ConfigError(
                f"--value {assignment!r}: {name} is not in conflict {conflict.id} "
                f"(its fields: {', '.join(fields)})"
            )
        chosen[name] = value
    return chosen
