from __future__ import annotations

from typing import Any

import pytest
from syncd_sql import SqlConnector

from syncd.testing import ConnectorContract

from .conftest import people_options


class TestSqlConnectorOnSQLite(ConnectorContract):
    connector_class = SqlConnector

    @pytest.fixture
    def connector_options(self, sqlite_url: str) -> dict[str, Any]:
        return people_options(sqlite_url)


@pytest.mark.postgres
class TestSqlConnectorOnPostgreSQL(ConnectorContract):
    connector_class = SqlConnector

    @pytest.fixture
    def connector_options(self, postgres_schema: tuple[str, str]) -> dict[str, Any]:
        url, schema = postgres_schema
        return people_options(url, schema)


class TestSqlConnectorOnMySQL(ConnectorContract):
    connector_class = SqlConnector

    @pytest.fixture
    def connector_options(self, mysql_url: str) -> dict[str, Any]:
        return people_options(mysql_url)
