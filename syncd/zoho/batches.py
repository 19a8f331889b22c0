"""Bulk-write batches: rows written as Zoho CSV, zipped, split at Zoho's limits.

A batch is at most 25,000 rows, 25 MB zipped and 200 columns. Rows with more columns are split into
column groups that each carry the ``find_by`` column, so every group updates the same records. A row
whose values cannot be written (see :mod:`syncd.zoho.csvio`) is rejected with its key and reason and
never reaches a file. A batch's zip is deterministic, so its ``content_hash`` identifies its content.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.errors import ConfigError, RecordError
from syncd.zoho import limits
from syncd.zoho.csvio import header_for, row_formatter
from syncd.zoho.fields import FieldMeta

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Deflate level of the CSVs: level 1 runs about three times as fast as the default 6 on CRM rows and
# makes the zip a few per cent larger; Zoho reads any deflate level.
ZIP_LEVEL = 1
# The deflate stream is flushed lazily; stop this far below the limit to stay safely under it.
_SIZE_MARGIN = 512 * 1024


@dataclass(frozen=True)
class Part:
    """One CSV inside a batch: the module it writes to and its columns (API names) in file order."""

    module: str
    file_name: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    lookups: tuple[str, ...] = ()
    parent_column: str | None = None
    parent_ref_index: int | None = None
    row_count: int = 0


@dataclass(frozen=True)
class PreparedBatch:
    """A zip ready to upload; ``row_keys`` are the source keys of the parent CSV's rows, in order."""

    path: Path
    content_hash: str
    row_keys: tuple[str, ...]
    parts: tuple[Part, ...]
    size_bytes: int

    @property
    def module(self) -> str:
        return self.parts[0].module

    @property
    def is_parent_child(self) -> bool:
        return len(self.parts) > 1


@dataclass(frozen=True)
class RejectedRow:
    key: str
    error: RecordError


@dataclass
class Preparation:
    batches: list[PreparedBatch] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


@dataclass(frozen=True)
class ChildRows:
    """Subform or line-item rows for a parent-child batch; ``parent_column`` links to ``parent_ref``."""

    module: str
    rows: Sequence[Mapping[str, Any]]
    columns: Sequence[str]
    parent_column: str
    parent_ref: str


KeyOf = Callable[[Mapping[str, Any]], str]


def column_groups(columns: Sequence[str], find_by: str | None) -> list[tuple[str, ...]]:
    if len(columns) <= limits.WRITE_MAX_COLUMNS:
        return [tuple(columns)]
    if find_by is None or find_by not in columns:
        raise ConfigError(
            f"{len(columns)} columns exceed Zoho's {limits.WRITE_MAX_COLUMNS} per bulk write job; "
            "splitting them needs a find_by column present in the rows"
        )
    rest = [name for name in columns if name != find_by]
    size = limits.WRITE_MAX_COLUMNS - 1
    return [(find_by, *rest[start : start + size]) for start in range(0, len(rest), size)]


class BatchWriter:
    def __init__(
        self,
        work_dir: Path,
        *,
        max_rows: int = limits.WRITE_MAX_ROWS,
        max_bytes: int = limits.WRITE_MAX_ZIP_BYTES,
    ):
        self._dir = work_dir
        self._max_rows = max_rows
        self._max_bytes = max_bytes
        self._serial = 0

    @property
    def work_dir(self) -> Path:
        return self._dir

    def prepare(
        self,
        module: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        columns: Sequence[str],
        key: KeyOf,
        metadata: Mapping[str, FieldMeta],
        find_by: str | None = None,
    ) -> Preparation:
        groups = column_groups(columns, find_by)
        source: Iterable[Mapping[str, Any]] = list(rows) if len(groups) > 1 else rows
        preparation = Preparation()
        for group in groups:
            self._prepare_group(module, source, group, key, metadata, preparation)
        if len(groups) > 1:  # a row rejected in one group is rejected once
            preparation.rejected = list({r.key: r for r in preparation.rejected}.values())
        return preparation

    def prepare_parent_child(
        self,
        module: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        columns: Sequence[str],
        key: KeyOf,
        metadata: Mapping[str, Mapping[str, FieldMeta]],
        children: Sequence[ChildRows],
    ) -> PreparedBatch:
        """One zip with the parent's CSV first and one CSV per child module; refused if over a limit."""
        path = self._next_path()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            parent = _Entry(archive, module, f"{module}.csv", columns, metadata.get(module, {}))
            keys = [key(row) for row in rows]
            for row in rows:
                parent.write(row)
            parts = [parent.close()]
            for child in children:
                if child.parent_ref not in columns:
                    raise ConfigError(
                        f"child {child.module} links to {child.parent_ref!r}, not a {module} column"
                    )
                # The parent link holds the parent row's reference value, written as it is.
                child_meta = {
                    k: v for k, v in metadata.get(child.module, {}).items() if k != child.parent_column
                }
                entry = _Entry(archive, child.module, f"{child.module}.csv", child.columns, child_meta)
                for row in child.rows:
                    entry.write(row)
                ref = list(columns).index(child.parent_ref)
                parts.append(_with_parent(entry.close(), child.parent_column, ref))
        self._check_limits(path, parts)
        return _batch(path, keys, parts)

    def _prepare_group(
        self,
        module: str,
        rows: Iterable[Mapping[str, Any]],
        group: tuple[str, ...],
        key: KeyOf,
        metadata: Mapping[str, FieldMeta],
        out: Preparation,
    ) -> None:
        pending = iter(rows)
        while True:
            batch = self._one_batch(module, pending, group, key, metadata, out.rejected)
            if batch is None:
                return
            out.batches.append(batch)

    def _one_batch(
        self,
        module: str,
        rows: Iterator[Mapping[str, Any]],
        columns: tuple[str, ...],
        key: KeyOf,
        metadata: Mapping[str, FieldMeta],
        rejected: list[RejectedRow],
    ) -> PreparedBatch | None:
        path = self._next_path()
        keys: list[str] = []
        with open(path, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            entry = _Entry(archive, module, f"{module}.csv", columns, metadata)
            for row in rows:
                row_key = key(row)
                try:
                    entry.write(row)
                except RecordError as error:
                    rejected.append(RejectedRow(row_key, error))
                    continue
                keys.append(row_key)
                if len(keys) >= self._max_rows or raw.tell() >= self._max_bytes - _SIZE_MARGIN:
                    break
            part = entry.close()
        if not keys:
            path.unlink()
            return None
        return _batch(path, keys, [part])

    def _check_limits(self, path: Path, parts: Sequence[Part]) -> None:
        for part in parts:
            if part.row_count > self._max_rows:
                raise ConfigError(
                    f"{part.module}: {part.row_count} rows exceed {self._max_rows} per bulk write job"
                )
            if len(part.columns) > limits.WRITE_MAX_COLUMNS:
                raise ConfigError(
                    f"{part.module}: {len(part.columns)} columns exceed {limits.WRITE_MAX_COLUMNS}"
                )
        size = path.stat().st_size
        if size > self._max_bytes:
            path.unlink()
            raise ConfigError(f"parent-child batch is {size} bytes zipped; Zoho accepts {self._max_bytes}")

    def _next_path(self) -> Path:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        return self._dir / f"batch-{id(self):x}-{self._serial:05d}.zip"


class _Entry:
    """A CSV being written into a zip entry, row by row."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        module: str,
        name: str,
        columns: Sequence[str],
        metadata: Mapping[str, FieldMeta],
    ) -> None:
        info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        _set_compress_level(info, ZIP_LEVEL)
        self._binary = archive.open(info, "w", force_zip64=True)
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text, lineterminator="\n")
        self._format = row_formatter(columns, metadata)
        headers = tuple(header_for(name, metadata.get(name)) for name in columns)
        lookups = tuple(
            name for name in columns if (meta := metadata.get(name)) is not None and meta.is_lookup
        )
        self._part = Part(module, name, tuple(columns), headers, lookups)
        self._writer.writerow(headers)
        self._rows = 0

    def write(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow(self._format(row))
        self._rows += 1

    def close(self) -> Part:
        self._text.close()
        return Part(**{**self._part.__dict__, "row_count": self._rows})


def _with_parent(part: Part, parent_column: str, ref_index: int) -> Part:
    if parent_column not in part.columns:
        raise ConfigError(f"child {part.module} has no parent column {parent_column!r}")
    return Part(**{**part.__dict__, "parent_column": parent_column, "parent_ref_index": ref_index})


def _batch(path: Path, keys: Sequence[str], parts: Sequence[Part]) -> PreparedBatch:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return PreparedBatch(path, digest.hexdigest(), tuple(keys), tuple(parts), path.stat().st_size)


def _set_compress_level(info: zipfile.ZipInfo, level: int) -> None:
    """``ZipFile.open(info, "w")`` deflates at the level the entry's info holds (``compress_level``
    from Python 3.13, ``_compresslevel`` before)."""
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", level)
