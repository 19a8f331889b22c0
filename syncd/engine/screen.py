"""Mapping, validating and canonicalising a whole read at once, a column at a time.

The per-row path (:meth:`~syncd.engine.mapping.FieldMapping.to_crm`,
:func:`~syncd.engine.validate.validate_row`, :meth:`~syncd.engine.mapping.FieldMapping.canonical`)
costs several Python calls per field of every row. Here each CRM field's values form one column,
filled, canonicalised and checked in bulk; plain text, the common case, is handled in C
(:func:`~syncd.engine.canonical.canonical_texts`, :func:`~syncd.engine.validate.screen_texts`), any
other value one by one with the per-row path's own functions.

A row is *cleared* only when every column vouches for it: it would pass ``validate_row`` without a
problem and canonicalise to the values given here. Every other row is left to the per-row path, so a
reject always carries that path's own messages and codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncd.config.model import Constant, PipelineLookup, SourceField
from syncd.engine.canonical import Canonical, CanonicalError, canonical_texts, data_type_of
from syncd.engine.canonical import canonical as canonical_value
from syncd.engine.mapping import FieldMapping
from syncd.engine.validate import check_value, is_read_only, missing_mandatory, screen_texts

Column = list[Any]


def screen(
    mapping: FieldMapping,
    records: Sequence[Mapping[str, Any]],
    lookups: Mapping[str, Mapping[str, str]],
    inserts: Sequence[bool],
) -> list[dict[str, Canonical] | None]:
    """Per record of ``records`` (source field -> value), in order: its compared CRM fields'
    canonical values when the row is cleared, ``None`` when it needs the per-row path.

    ``inserts`` says per record whether it would be a new CRM record (mandatory fields are then
    required); ``lookups`` is as for :meth:`~syncd.engine.mapping.FieldMapping.to_crm`.
    """
    specs = mapping.pipeline.fields
    names = list(specs)
    suspect: set[int] = set()
    compared = set(mapping.compared)
    canonical = [
        _screen_column(mapping, name, fill_column(spec, records, lookups), suspect)
        for name, spec in specs.items()
    ]
    if missing_mandatory(dict.fromkeys(names), mapping.metas, insert=True):
        suspect.update(index for index, insert in enumerate(inserts) if insert)
    compared_names = [name for name in names if name in compared]
    canonical_columns = [column for name, column in zip(names, canonical, strict=True) if name in compared]
    if not canonical_columns:
        return [None if index in suspect else {} for index in range(len(records))]
    return [
        None if index in suspect else dict(zip(compared_names, row, strict=True))
        for index, row in enumerate(zip(*canonical_columns, strict=True))
    ]


def fill_column(
    spec: Any, records: Sequence[Mapping[str, Any]], lookups: Mapping[str, Mapping[str, str]]
) -> Column:
    """One CRM field's raw values over all ``records``, as ``FieldMapping.to_crm`` fills them."""
    if isinstance(spec, Constant):
        return [spec.constant] * len(records)
    if isinstance(spec, PipelineLookup):
        ids = lookups.get(spec.pipeline, {})
        return [None if (key := record.get(spec.key)) is None else ids.get(str(key)) for record in records]
    column = [record.get(spec.source) for record in records]
    if isinstance(spec, SourceField) and ("" in column or (spec.default is not None and None in column)):
        default = spec.default
        return [default if value is None or value == "" else value for value in column]
    return column


def _screen_column(mapping: FieldMapping, name: str, column: Column, suspect: set[int]) -> Column:
    """The column's canonical values; adds to ``suspect`` every row it cannot vouch for."""
    metas = mapping.metas
    meta = metas.get(name.partition(".")[0])
    if meta is None or is_read_only(meta):  # no value of it can be sent: leave it all to the per-row path
        suspect.update(range(len(column)))
        return [None] * len(column)
    checked_as = data_type_of(name, metas)
    canonical_as = mapping.canonical_type(name)
    texts = canonical_texts(column) if checked_as == canonical_as else None
    bad = screen_texts(texts, meta, checked_as) if texts is not None else None
    if texts is None or bad is None:
        texts, bad = _one_by_one(name, column, metas, canonical_as)
    suspect |= bad
    if meta.mandatory:  # a blank is refused on update and, unless given elsewhere, on insert
        suspect.update(index for index, value in enumerate(texts) if value is None)
    return texts


def _one_by_one(
    name: str, column: Column, metas: Mapping[str, Any], canonical_as: str
) -> tuple[Column, set[int]]:
    """The slow, general way: ``validate_row``'s own check and ``canonical`` for each value."""
    values: Column = []
    bad: set[int] = set()
    for index, value in enumerate(column):
        canon: Canonical = None
        if value is not None:
            if check_value(name, value, metas) is not None:
                bad.add(index)
            else:
                try:
                    canon = canonical_value(value, canonical_as)
                except CanonicalError:
                    bad.add(index)
        values.append(canon)
    return values, bad
