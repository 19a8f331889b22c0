"""Field metadata of a Zoho module, as ``GET /crm/v{N}/settings/fields?module=M`` describes it.

The client parses the wire format into :class:`FieldMeta`; the engine validates rows and canonicalises
values against it. ``data_type`` keeps Zoho's own spelling (see :data:`DATA_TYPES`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Zoho's data_type values for the field types syncd reads and writes (Kaizen #13 table):
# single line, multi-line, email, phone, picklist, multi-select, date, date/time, number, currency,
# decimal, percent, long integer, checkbox, URL, lookup and user lookup, plus read-only system types.
DATA_TYPES = frozenset(
    {
        "text",
        "textarea",
        "email",
        "phone",
        "picklist",
        "multiselectpicklist",
        "date",
        "datetime",
        "integer",
        "currency",
        "double",
        "percent",
        "bigint",
        "boolean",
        "website",
        "lookup",
        "ownerlookup",
        "autonumber",
        "formula",
    }
)


@dataclass(frozen=True)
class FieldMeta:
    api_name: str
    data_type: str
    length: int | None = None
    mandatory: bool = False
    unique: bool = False
    read_only: bool = False
    picklist_values: tuple[str, ...] = ()
    lookup_module: str | None = None
    decimal_places: int | None = None

    @property
    def is_lookup(self) -> bool:
        return self.data_type in {"lookup", "ownerlookup"}
