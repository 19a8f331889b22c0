"""The shop connector.

It starts as a working connector over a JSON file (``{"items": [{"id": 1, "name": "..."}]}``) so
the conformance suite passes from the first commit. Replace the file access with calls to your
system, keeping the shape: declare streams, yield records and a cursor, apply changes per record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import syncd
from syncd import Capabilities, Change, ChangeKind, Cursor, FieldSpec, FieldType, Record, StreamSpec, WriteOutcome


class ShopConnectorConfig(syncd.ConnectorConfig):
    """The options operators write under ``[connectors.NAME]`` (with ``type = "shop"``)."""

    path: Path
    """Where the data lives. Replace with your system's address."""
    api_token: syncd.Secret | None = None
    """Mark every credential ``syncd.Secret``: syncd redacts it everywhere."""


ITEMS = StreamSpec(
    name="items",
    key=("id",),
    fields=(FieldSpec("id", FieldType.INTEGER), FieldSpec("name"), FieldSpec("price", FieldType.DECIMAL)),
    capabilities=Capabilities(write=True, deletes=False),
)


class ShopConnector(syncd.Connector[ShopConnectorConfig]):
    name = "shop"
    config_class = ShopConnectorConfig
    capabilities = Capabilities(write=True)

    def check(self) -> None:
        if not self.config.path.is_file():
            raise syncd.ConfigError(f"connector {self.name!r}: {self.config.path} does not exist", key="path")

    def streams(self) -> list[StreamSpec]:
        return [ITEMS]

    def _load(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(self.config.path.read_text(encoding="utf-8"))["items"]
        return items

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[syncd.ReadItem]:
        self.stream(stream)
        for item in self._load():
            if item.get("price") is not None:
                item["price"] = Decimal(str(item["price"]))  # JSON has no decimals: convert to the declared type
            yield Record(item)
        yield Cursor()  # a full read each time: nothing to remember

    def write(self, stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
        self.stream(stream)
        items = {item["id"]: item for item in self._load()}
        outcomes = []
        for change in changes:
            unknown = set(change.values) - set(ITEMS.field_map)
            if unknown or change.kind is ChangeKind.DELETE:
                reason = f"unknown fields {sorted(unknown)}" if unknown else "deletes are not supported"
                outcomes.append(WriteOutcome.rejected(change.key, reason))
                continue
            items.setdefault(change.key["id"], {}).update(change.values)
            outcomes.append(WriteOutcome.applied(change.key))
        self._save(list(items.values()))
        return outcomes

    def _save(self, items: list[dict[str, Any]]) -> None:
        temporary = self.config.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"items": items}, default=str), encoding="utf-8")
        os.replace(temporary, self.config.path)  # atomic: readers see the old file or the new one

