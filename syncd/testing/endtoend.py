"""End-to-end conformance checks: a pipeline run into the emulator converges; a second changes nothing.

They run the real engine (:func:`syncd.engine.runner.run_pipeline`) on a configuration with one
connector and one pipeline, ``contract``, into the ``syncd_emulator`` fixture, and look at both
sides afterwards: the source through the connector, the CRM through the emulator's admin API.
Override the ``pipeline_mapping`` fixture to choose the module and fields (see
:mod:`syncd.testing.pipeline`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from syncd.app import Runtime, open_runtime
from syncd.connector import Connector, FieldType, Record, StreamSpec
from syncd.emulator import EmulatorSettings, RunningEmulator
from syncd.engine.model import Direction
from syncd.engine.runner import PipelineReport, run_pipeline
from syncd.plugins.manager import PluginManager
from syncd.testing.pipeline import (
    EmulatorAdmin,
    PipelineMapping,
    default_mapping,
    pipeline_config,
    same_value,
)
from syncd.testing.reads import read_all

CRM_EDIT = "Changed in the CRM"


@dataclass
class ContractPipeline:
    """The ``contract`` pipeline of a running configuration, and both of its sides."""

    runtime: Runtime
    spec: StreamSpec
    mapping: PipelineMapping
    crm: EmulatorAdmin

    def run(self) -> PipelineReport:
        """One run of the pipeline; a run whose report carries an error fails the check."""
        report = run_pipeline(self.runtime, "contract")
        assert report.error is None, f"the pipeline run failed: {report.error}"
        return report

    def source(self) -> dict[str, Record]:
        """The stream's records by the text of their ``find_by`` source field, read afresh."""
        with self.runtime.connector("contract") as connector:
            items, _ = read_all(connector, self.spec.name)
        key = self.mapping.key_field
        return {str(r.values[key]): r for r in items if isinstance(r, Record)}

    def crm_records(self) -> dict[str, list[dict[str, Any]]]:
        """The module's records by the text of their ``find_by`` field (a list, to see duplicates)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for record in self.crm.records(self.mapping.module):
            value = record.get(self.mapping.find_by)
            if value is not None:
                found.setdefault(str(value), []).append(record)
        return found

    def text_field(self) -> tuple[str, str] | None:
        """A mapped (CRM field, source field) pair holding text, other than the key."""
        for crm_field, source_field in self.mapping.fields.items():
            kind = self.spec.field_map[source_field].type
            if kind is FieldType.STRING and crm_field != self.mapping.find_by:
                return crm_field, source_field
        return None


def differences(pipeline: ContractPipeline) -> list[str]:
    """Where the CRM does not hold what the source does, as readable lines."""
    crm = pipeline.crm_records()
    found = []
    for key, record in pipeline.source().items():
        held = crm.get(key, [])
        if len(held) != 1:
            found.append(f"{pipeline.mapping.module} holds {len(held)} records for source key {key}")
            continue
        for crm_field, source_field in pipeline.mapping.fields.items():
            source_value, crm_value = record.values.get(source_field), held[0].get(crm_field)
            if not same_value(source_value, crm_value):
                found.append(
                    f"{key}: {crm_field} is {crm_value!r}, the source's {source_field} {source_value!r}"
                )
    return found


def changes(report: PipelineReport) -> dict[str, int]:
    """The non-zero counts of what a run changed or refused, e.g. ``{"push created": 2}``."""
    counted = {
        f"{direction} {name}": getattr(getattr(report, direction), name)
        for direction in ("push", "pull")
        for name in ("created", "updated", "deleted", "rejected", "conflicts")
    }
    return {name: count for name, count in counted.items() if count}


class PipelineChecks:
    """Mixed into :class:`~syncd.testing.ConnectorContract`: the checks that run the sync engine."""

    connector_class: ClassVar[type[Connector[Any]]]

    @pytest.fixture
    def pipeline_mapping(self, connector: Connector[Any]) -> PipelineMapping:
        """Where the end-to-end checks sync to; override to pick the module and fields."""
        mapping = default_mapping(connector.streams())
        if mapping is None:
            pytest.fail(
                f"{type(self).__name__}: no stream has a one-field integer or text key with a text field; "
                "define a `pipeline_mapping` fixture returning a syncd.testing.PipelineMapping"
            )
        return mapping

    @pytest.fixture
    def contract_pipeline(
        self,
        connector_options: Mapping[str, Any],
        connector: Connector[Any],
        pipeline_mapping: PipelineMapping,
        syncd_emulator: RunningEmulator,
        syncd_emulator_settings: EmulatorSettings,
        syncd_plugins: PluginManager,
        tmp_path: Path,
    ) -> Iterator[ContractPipeline]:
        spec = connector.stream(pipeline_mapping.stream)
        config = pipeline_config(
            self.connector_class.name,
            connector_options,
            pipeline_mapping,
            spec,
            emulator_url=syncd_emulator.url,
            emulator=syncd_emulator_settings,
            state=tmp_path / "pipeline-state.sqlite",
        )
        with open_runtime(config) as runtime:
            runtime.plugins = syncd_plugins  # the plugins as the test registered them
            yield ContractPipeline(runtime, spec, pipeline_mapping, EmulatorAdmin(syncd_emulator.url))

    def test_pipeline_run_converges(self, contract_pipeline: ContractPipeline) -> None:
        contract_pipeline.run()
        assert contract_pipeline.source(), "the source is empty: seed the test source"
        found = differences(contract_pipeline)
        assert not found, "after a pipeline run:\n" + "\n".join(found)

    def test_crm_changes_are_written_back(self, contract_pipeline: ContractPipeline) -> None:
        if contract_pipeline.mapping.direction_for(contract_pipeline.spec) is Direction.PUSH:
            pytest.skip(f"stream {contract_pipeline.spec.name!r} has no write-back")
        fields = contract_pipeline.text_field()
        if fields is None:
            pytest.skip("the mapping has no text field besides the key to change in the CRM")
        crm_field, source_field = fields
        contract_pipeline.run()
        crm = contract_pipeline.crm_records()
        assert crm, f"the first run put no record into {contract_pipeline.mapping.module}"
        key, held = next(iter(crm.items()))
        contract_pipeline.crm.update(contract_pipeline.mapping.module, held[0]["id"], {crm_field: CRM_EDIT})
        contract_pipeline.run()
        written = contract_pipeline.source()[key].values[source_field]
        assert written == CRM_EDIT, (
            f"{crm_field} changed in the CRM; the source's {source_field}: {written!r}"
        )

    def test_second_run_changes_nothing(self, contract_pipeline: ContractPipeline) -> None:
        contract_pipeline.run()
        source, crm = contract_pipeline.source(), contract_pipeline.crm_records()
        write_jobs = contract_pipeline.crm.write_jobs()
        contract_pipeline.crm.advance_clock(60)  # a write now would show in Modified_Time
        report = contract_pipeline.run()
        assert changes(report) == {}, f"the second run reported changes: {changes(report)}"
        assert report.push.credits == 0, f"the second run spent {report.push.credits} write credits"
        assert contract_pipeline.crm.write_jobs() == write_jobs, "the second run created bulk write jobs"
        assert contract_pipeline.crm_records() == crm, "the second run wrote to the CRM"
        assert contract_pipeline.source() == source, "the second run wrote to the source"
