"""syncd-csv: a syncd connector for a folder of CSV files, registered like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import syncd
from syncd_csv.config import CsvConfig, CsvStream
from syncd_csv.connector import CsvConnector


@syncd.hookimpl
def register_connectors(register: Callable[[type[syncd.Connector[Any]]], None]) -> None:
    register(CsvConnector)


__all__ = ["CsvConfig", "CsvConnector", "CsvStream", "register_connectors"]
