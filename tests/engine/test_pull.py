"""The CRM read's own bookkeeping (:mod:`syncd.engine.pull`): chunks, raw hashes, the newest stamp."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.engine import pull
from syncd.engine.pull import CrmRead, _chunks, _Tally, raw_hasher


def test_rows_come_in_chunks_with_their_cells_hashed_and_the_newest_stamp_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pull, "CHUNK", 2)
    header = ["Id", "Modified_Time", "Email", "Phone"]
    rows = [
        ["1", "2026-11-20T10:00:00+05:30", "a@example.com", "1"],
        ["", "2026-11-29T10:00:00+05:30", "no-id@example.com", ""],  # no id: not a record
        ["2", "2026-11-21T09:00:00Z", "b@example.com"],  # short row: the missing cells are empty
        ["3", "2026-11-20T23:00:00-08:00", "c@example.com", "3"],
    ]
    read, tally = CrmRead(), _Tally()

    chunks = list(_chunks(read, tally, rows, header, ("Email", "Phone", "Missing"), raw_hasher(b"salt")))

    assert [[row.crm_id for row in chunk] for chunk in chunks] == [["1", "2"], ["3"]]
    assert chunks[0][1].cells == ("b@example.com", "", "")
    assert (
        chunks[0][0].hash
        == raw_hasher(b"salt")(("a@example.com", "1", ""))
        != raw_hasher(b"other salt")(("a@example.com", "1", ""))
    )
    assert read.rows == tally.rows == 3
    # 2026-11-20T23:00-08:00 is 2026-11-21T07:00Z, earlier than 09:00Z: offsets are compared as times.
    assert tally.newest == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
