"""syncd-sql: a syncd connector for any SQLAlchemy table, registered like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import syncd
from syncd_sql.config import SqlConfig, SqlStream
from syncd_sql.connector import SqlConnector


@syncd.hookimpl
def register_connectors(register: Callable[[type[syncd.Connector[Any]]], None]) -> None:
    register(SqlConnector)


__all__ = ["SqlConfig", "SqlConnector", "SqlStream", "register_connectors"]
