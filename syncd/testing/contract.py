"""``ConnectorContract``: the conformance suite every connector runs with a few lines of test code.

.. code-block:: python

    from syncd.testing import ConnectorContract
    from syncd_shop import ShopConnector

    class TestShop(ConnectorContract):
        connector_class = ShopConnector

        @pytest.fixture
        def connector_options(self, tmp_path):
            return {...}   # options of a source holding at least one record in every stream

Each check names the connector and stream it failed on. Override :meth:`sample_change` when the
source needs particular values for new records (foreign keys, formats).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest
from pydantic import SecretBytes, SecretStr

from syncd.connector import (
    Change,
    Connector,
    Cursor,
    StreamSpec,
    checked_write,
    load_config,
    redacted,
    secret_values,
)
from syncd.errors import ConfigError
from syncd.plugins.manager import PluginManager
from syncd.testing import samples
from syncd.testing.clock import FakeClock
from syncd.testing.endtoend import PipelineChecks
from syncd.testing.reads import read_all, records_by_key

SECRET_LOOKING = re.compile(r"pass(word)?|secret|token|api_?key|credential|private", re.IGNORECASE)


class ConnectorContract(PipelineChecks):
    """Subclass as ``TestMyConnector``, set ``connector_class``, define a ``connector_options`` fixture."""

    connector_class: ClassVar[type[Connector[Any]]]

    @pytest.fixture
    def connector_options(self) -> Mapping[str, Any]:
        pytest.fail(f"{type(self).__name__} must define a `connector_options` fixture returning test options")

    @pytest.fixture
    def connector(
        self, connector_options: Mapping[str, Any], syncd_clock: FakeClock
    ) -> Iterator[Connector[Any]]:
        with self.connector_class.from_options(
            connector_options, name="contract", clock=syncd_clock
        ) as built:
            yield built

    def sample_change(self, spec: StreamSpec, serial: int) -> Change:
        """A new record to write to ``spec``'s stream; override when the source needs particular values."""
        return samples.sample_change(spec, serial)

    # -- packaging and hooks --------------------------------------------------------------------

    def test_entry_point_is_installed(self, syncd_plugins: PluginManager) -> None:
        found = [
            info
            for info in syncd_plugins.connectors().values()
            if info.connector_class is self.connector_class
        ]
        broken = [p for p in syncd_plugins.plugins() if not p.available]
        assert found, f"no installed plugin registers {self.connector_class.__qualname__}; broken: {broken}"
        assert found[0].name == self.connector_class.name

    def test_plugin_hooks_validate(self, syncd_plugins: PluginManager) -> None:
        for info in syncd_plugins.connectors().values():
            if info.connector_class is self.connector_class:
                assert info.plugin.available, info.plugin.error
                assert "register_connectors" in info.plugin.hooks

    # -- configuration --------------------------------------------------------------------------

    def test_unknown_option_is_a_clear_config_error(self, connector_options: Mapping[str, Any]) -> None:
        with pytest.raises(ConfigError) as caught:
            load_config(
                self.connector_class.config_class, {**connector_options, "no_such_option": 1}, connector="x"
            )
        assert "no_such_option" in str(caught.value) and "'x'" in str(caught.value)

    def test_missing_required_option_is_named(self, connector_options: Mapping[str, Any]) -> None:
        for name, field in self.connector_class.config_class.model_fields.items():
            if field.is_required():
                options = {k: v for k, v in connector_options.items() if k != name}
                with pytest.raises(ConfigError, match=re.escape(name)):
                    load_config(self.connector_class.config_class, options, connector="x")

    def test_secret_looking_options_are_marked_secret(self) -> None:
        for name, field in self.connector_class.config_class.model_fields.items():
            if SECRET_LOOKING.search(name):
                assert _is_secret(field.annotation), f"option {name!r} looks secret: type it syncd.Secret"

    def test_secrets_are_redacted(self, connector_options: Mapping[str, Any]) -> None:
        config = load_config(self.connector_class.config_class, connector_options, connector="x")
        secrets = [s for s in secret_values(config) if s]
        broken = {**connector_options, "no_such_option": 1}
        with pytest.raises(ConfigError) as caught:
            load_config(self.connector_class.config_class, broken, connector="x")
        shown = [repr(config), str(config), json.dumps(redacted(config), default=str), str(caught.value)]
        for secret in secrets:
            assert not any(secret in text for text in shown), "a secret shows in repr, dumps or errors"

    # -- streams and reads ----------------------------------------------------------------------

    def test_check_passes(self, connector: Connector[Any]) -> None:
        connector.check()

    def test_streams_declare_keys_and_fields(self, connector: Connector[Any]) -> None:
        specs = connector.streams()
        assert specs, "the connector declares no streams"
        assert len({spec.name for spec in specs}) == len(specs), "stream names repeat"
        offered = set(type(connector).capabilities.names())
        for spec in specs:
            assert isinstance(spec, StreamSpec)
            assert set(spec.capabilities.names()) <= offered, f"{spec.name}: more than the class declares"

    def test_reads_return_records_with_unique_keys(self, connector: Connector[Any]) -> None:
        for spec in connector.streams():
            items, _ = read_all(connector, spec.name)
            found = records_by_key(spec, items)
            assert found, f"stream {spec.name!r} returned no records; seed the test source"
            repeated = [key for key, records in found.items() if len(records) > 1]
            assert not repeated, f"stream {spec.name!r}: a full read repeats keys {repeated[:3]}"

    def test_cursors_never_move_backwards(self, connector: Connector[Any]) -> None:
        for spec in connector.streams():
            _, first = read_all(connector, spec.name)
            assert Cursor.from_json(json.loads(json.dumps(first.to_json()))) == first, "cursor is not JSON"
            _, second = read_all(connector, spec.name, first)  # checked_read fails if it moves back
            _, third = read_all(connector, spec.name, second)
            assert not third.moves_back_from(first)

    # -- writes ---------------------------------------------------------------------------------

    def _writable(self, connector: Connector[Any], deletes: bool = False) -> list[StreamSpec]:
        specs = [
            s for s in connector.streams() if s.capabilities.write and (s.capabilities.deletes or not deletes)
        ]
        if not specs:
            pytest.skip(
                f"{type(connector).__name__} declares no stream with write-back{' and deletes' * deletes}"
            )
        return specs

    def test_writes_are_applied(self, connector: Connector[Any]) -> None:
        for spec in self._writable(connector):
            change = self.sample_change(spec, 1)
            outcomes = checked_write(connector, spec.name, [change])
            assert all(o.ok for o in outcomes), f"{spec.name}: {[o.reason for o in outcomes]}"
            written = records_by_key(spec, read_all(connector, spec.name)[0])[spec.key_of(change.values)]
            for name, value in change.values.items():
                assert written[0].values[name] == value, f"{spec.name}.{name}: wrote {value!r}"

    def test_writes_are_idempotent(self, connector: Connector[Any]) -> None:
        for spec in self._writable(connector):
            changes = [self.sample_change(spec, 1), self.sample_change(spec, 2)]
            for _ in range(2):
                assert all(o.ok for o in checked_write(connector, spec.name, changes))
            found = records_by_key(spec, read_all(connector, spec.name)[0])
            for change in changes:
                assert len(found[spec.key_of(change.values)]) == 1, (
                    f"{spec.name}: a repeated write duplicated"
                )

    def test_bad_change_is_rejected_and_the_rest_applied(self, connector: Connector[Any]) -> None:
        for spec in self._writable(connector):
            good = self.sample_change(spec, 1)
            bad = Change.upsert(self.sample_change(spec, 2).key, {"no_such_field": "x"})
            outcomes = checked_write(connector, spec.name, [bad, good])
            assert not outcomes[0].ok and outcomes[0].reason, (
                f"{spec.name}: an unknown field was not rejected"
            )
            assert outcomes[1].ok, f"{spec.name}: {outcomes[1].reason}"

    def test_deletes_are_applied_and_idempotent(self, connector: Connector[Any]) -> None:
        for spec in self._writable(connector, deletes=True):
            change = self.sample_change(spec, 1)
            assert checked_write(connector, spec.name, [change])[0].ok
            for _ in range(2):
                assert checked_write(connector, spec.name, [Change.delete(change.key)])[0].ok
            found = records_by_key(spec, read_all(connector, spec.name)[0])
            assert spec.key_of(change.values) not in found, f"{spec.name}: a deleted record is still read"


def _is_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    args = getattr(annotation, "__args__", ())
    return any(_is_secret(arg) for arg in args)


__all__ = ["ConnectorContract", "read_all", "records_by_key"]
