from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncd.testing import ConnectorContract
from syncd_shop import ShopConnector


class TestShopConnector(ConnectorContract):
    connector_class = ShopConnector

    @pytest.fixture
    def connector_options(self, tmp_path: Path) -> dict[str, object]:
        data = tmp_path / "items.json"
        data.write_text(json.dumps({"items": [{"id": 1, "name": "Mug", "price": "9.50"}]}), encoding="utf-8")
        return {"path": str(data), "api_token": "test-token-value"}
