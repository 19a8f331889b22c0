from __future__ import annotations

from typing import Any

import pytest
from syncd_csv import CsvConnector

from syncd.testing import ConnectorContract


class TestCsvConnector(ConnectorContract):
    connector_class = CsvConnector

    @pytest.fixture
    def connector_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return options
