"""Snapshot pages that came back unchanged, so a full snapshot need not read them again.

A page is remembered (:meth:`SnapshotPages.replace`, at the end of a run) when every record on it
was at rest: both sides agreed on it and its bulk-read hash was remembered in the ID map. While the
page's compressed CSV stays byte for byte the same and nothing of the pipeline's state is written,
every record of it would take the unchanged fast path again; the run counts them without parsing.

Every write to a pipeline's record state or ID map calls :func:`forget_pages`, so a remembered page
always describes the state as it is; there is no validity check to get wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from syncd.store.models import metadata

TABLE = metadata.tables["snapshot_pages"]


@dataclass(frozen=True)
class RememberedPage:
    page: int
    digest: str
    rows: int
    newest: str  # the page's latest Modified_Time as Zoho wrote it ("" when it had none)
    taken_at: datetime | None = None


def forget_pages(connection: Connection, pipeline: str) -> None:
    """The pipeline's state is about to change: no remembered page describes it any more."""
    connection.execute(delete(TABLE).where(TABLE.c.pipeline == pipeline))


class SnapshotPages:
    def __init__(self, connection: Connection, clock: Callable[[], datetime]) -> None:
        self._connection = connection
        self._clock = clock

    def get(self, pipeline: str) -> dict[int, RememberedPage]:
        query = select(TABLE).where(TABLE.c.pipeline == pipeline)
        return {
            row.page: RememberedPage(row.page, row.digest, row.rows, row.newest, row.taken_at)
            for row in self._connection.execute(query)
        }

    def replace(self, pipeline: str, pages: Iterable[RememberedPage]) -> None:
        """Remember exactly ``pages`` for ``pipeline`` (call it after the run's last state write)."""
        forget_pages(self._connection, pipeline)
        now = self._clock()
        rows = [
            {"pipeline": pipeline, "page": p.page, "digest": p.digest, "rows": p.rows, "newest": p.newest,
             "taken_at": now}
            for p in pages
        ]  # fmt: skip
        if rows:
            self._connection.execute(insert(TABLE), rows)
