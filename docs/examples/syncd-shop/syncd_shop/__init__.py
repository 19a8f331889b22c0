"""A syncd connector for shop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import syncd

from syncd_shop.connector import ShopConnector, ShopConnectorConfig


@syncd.hookimpl
def register_connectors(register: Callable[[type[syncd.Connector[Any]]], None]) -> None:
    register(ShopConnector)


__all__ = ["ShopConnector", "ShopConnectorConfig", "register_connectors"]
