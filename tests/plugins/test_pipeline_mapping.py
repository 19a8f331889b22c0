"""The pipeline mapping the end-to-end conformance checks sync a connector's stream with."""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from syncd import Capabilities, FieldSpec, FieldType, StreamSpec
from syncd.app import open_runtime
from syncd.emulator import EmulatorSettings, RunningEmulator
from syncd.engine.model import Direction
from syncd.plugins.manager import PluginManager
from syncd.testing.pipeline import (
    EmulatorAdmin,
    PipelineMapping,
    default_mapping,
    pipeline_config,
    same_value,
)

ITEMS = StreamSpec(
    name="items",
    key=("id",),
    fields=(FieldSpec("id", FieldType.INTEGER), FieldSpec("name"), FieldSpec("price", FieldType.DECIMAL)),
    capabilities=Capabilities(write=True),
)
CODES = StreamSpec(name="codes", key=("code",), fields=(FieldSpec("code"),))
COUNTS = StreamSpec(name="counts", key=("id",), fields=(FieldSpec("id", FieldType.INTEGER),))


def test_an_integer_key_goes_to_contacts_by_customer_number() -> None:
    mapping = default_mapping([ITEMS])
    assert mapping == PipelineMapping(
        "items", "Contacts", "Customer_Number", {"Customer_Number": "id", "Last_Name": "name"}
    )
    assert mapping.key_field == "id" and mapping.direction_for(ITEMS) is Direction.BOTH


def test_a_text_key_goes_to_products_by_product_code_and_names_them_when_nothing_else_can() -> None:
    mapping = default_mapping([COUNTS, CODES])
    assert mapping == PipelineMapping(
        "codes", "Products", "Product_Code", {"Product_Code": "code", "Product_Name": "code"}
    )
    assert mapping.direction_for(CODES) is Direction.PUSH


def test_no_default_for_streams_without_a_name_to_give_the_record() -> None:
    assert default_mapping([COUNTS]) is None


def test_find_by_must_be_mapped() -> None:
    with pytest.raises(ValueError, match="find_by 'Email' must be one of the mapped fields"):
        PipelineMapping("items", "Contacts", "Email", {"Last_Name": "name"})


@pytest.mark.parametrize(
    ("source", "crm"),
    [
        (Decimal("9.50"), 9.5),
        (42, "42"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC), "2024-03-01T13:30:00+01:00"),
        (dt.datetime(2024, 3, 1, 12, 30), "2024-03-01T12:30:00+00:00"),
        (" Ada ", "Ada"),
        (None, ""),
        (True, True),
    ],
)
def test_values_that_mean_the_same(source: Any, crm: Any) -> None:
    assert same_value(source, crm)


@pytest.mark.parametrize(
    ("source", "crm"), [(Decimal("9.50"), 9.49), ("Ada", None), (True, "true"), (1, True)]
)
def test_values_that_differ(source: Any, crm: Any) -> None:
    assert not same_value(source, crm)


@pytest.fixture
def syncd_emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=0.05, client_id="author", client_secret="s", refresh_token="r")


def test_the_configuration_reaches_the_emulator_and_the_connector(
    syncd_emulator: RunningEmulator,
    syncd_emulator_settings: EmulatorSettings,
    manager: PluginManager,
    fakes: types.ModuleType,
    tmp_path: Path,
) -> None:
    manager.register(fakes.ConnectorsPlugin(fakes.MemoryConnector), "memory")
    spec = fakes.MemoryConnector.from_options({}, name="m").stream("people")
    mapping = PipelineMapping(
        "people", "Contacts", "Customer_Number", {"Customer_Number": "id", "Last_Name": "name"}
    )
    config = pipeline_config(
        "memory",
        {"label": "x"},
        mapping,
        spec,
        emulator_url=syncd_emulator.url,
        emulator=syncd_emulator_settings,
        state=tmp_path / "state.sqlite",
    )
    assert config.pipelines["contract"].direction is Direction.BOTH
    assert config.connectors["contract"].options == {"label": "x"}
    with open_runtime(config) as runtime:
        runtime.plugins = manager
        assert {"Customer_Number", "Last_Name"} <= set(runtime.zoho.fields.fields("Contacts"))
        assert {"Product_Code", "Product_Name"} <= set(runtime.zoho.fields.fields("Products"))
        with runtime.connector("contract") as connector:
            assert isinstance(connector, fakes.MemoryConnector) and connector.config.label == "x"


def test_a_mapping_the_configuration_refuses_is_an_error(tmp_path: Path) -> None:
    mapping = PipelineMapping(
        "items", "Contacts", "Customer_Number", {"Customer_Number": "id"}, options={"max_delete_share": 2}
    )
    with pytest.raises(ValidationError, match="max_delete_share"):
        pipeline_config(
            "shop",
            {},
            mapping,
            ITEMS,
            emulator_url="http://127.0.0.1:9",
            emulator=EmulatorSettings(),
            state=tmp_path / "state.sqlite",
        )


def test_the_admin_view_of_the_crm(syncd_emulator: RunningEmulator) -> None:
    crm = EmulatorAdmin(syncd_emulator.url)
    assert crm.records("Contacts") == [] and crm.write_jobs() == 0
    crm.add("Contacts", [{"Last_Name": "Lovelace", "Customer_Number": "7"}])
    (record,) = crm.records("Contacts")
    crm.advance_clock(60)
    crm.update("Contacts", record["id"], {"Last_Name": "Byron"})
    (changed,) = crm.records("Contacts")
    assert changed["Last_Name"] == "Byron" and changed["Modified_Time"] != record["Modified_Time"]
