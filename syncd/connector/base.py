"""The class every connector subclasses."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from syncd.connector.config import ConnectorConfig, load_config
from syncd.connector.records import Change, Cursor, ReadItem, WriteOutcome
from syncd.connector.streams import Capabilities, StreamSpec
from syncd.errors import FatalError

ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Connector(ABC, Generic[ConfigT]):
    """A source system syncd keeps in sync with the CRM.

    Subclasses set ``name`` (the ``type`` operators write in ``[connectors.X]``), ``config_class``
    and ``capabilities`` (the most any of its streams can do), then implement ``check``,
    ``streams`` and ``read``, and ``write`` when the source accepts CRM-side changes.

    The contract:

    * ``read(stream, cursor)`` yields :class:`~syncd.Record`, :class:`~syncd.Tombstone` and
      :class:`~syncd.Rejected` items and ends with a :class:`~syncd.Cursor`; it may yield cursors
      in between as checkpoints. Delivery is at least once (a record may come again); a cursor
      never moves backwards. ``cursor=None`` means read everything.
    * ``write(stream, changes)`` applies the changes idempotently (applying them twice leaves the
      same source state) and returns one :class:`~syncd.WriteOutcome` per change, in order.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[ConnectorConfig]]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, config: ConfigT, *, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], *, name: str | None = None, clock: Clock = utc_now
    ) -> Self:
        """Build the connector from raw options (a ``[connectors.NAME]`` table without ``type``)."""
        config = load_config(cls.config_class, options, connector=name or cls.name)
        return cls(config, clock=clock)  # type: ignore[arg-type]

    @abstractmethod
    def check(self) -> None:
        """Verify the source is reachable and the configuration fits it; raise a SyncdError if not."""

    @abstractmethod
    def streams(self) -> Sequence[StreamSpec]:
        """The streams this connector offers, as configured."""

    @abstractmethod
    def read(self, stream: str, cursor: Cursor | None) -> Iterator[ReadItem]:
        """Yield what changed in ``stream`` since ``cursor`` (everything when ``None``), then a cursor."""

    def write(self, stream: str, changes: Sequence[Change]) -> list[WriteOutcome]:
        """Apply CRM-side changes; one outcome per change. The default: this connector is read-only."""
        raise FatalError(f"connector {self.name!r} cannot write to stream {stream!r}: it is read-only")

    def close(self) -> None:
        """Release connections and files. Called once when syncd is done with the connector."""

    def stream(self, name: str) -> StreamSpec:
        """The declared stream called ``name``; a FatalError naming the known streams otherwise."""
        for spec in self.streams():
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in self.streams())
        raise FatalError(f"connector {self.name!r} has no stream {name!r} (it has: {known})")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
