"""syncd's configuration: the typed model (:mod:`.model`) and the loader (:mod:`.loader`).

``config/syncd.example.toml`` in the source tree documents every key.
"""

from __future__ import annotations

from syncd.config.loader import default_state_url, load_config, parse_config
from syncd.config.model import (
    ConnectorConfig,
    Constant,
    CreditCosts,
    CreditsConfig,
    DaemonConfig,
    FieldSpec,
    FindByLookup,
    PipelineConfig,
    PipelineLookup,
    SourceField,
    StateConfig,
    SyncdConfig,
    ZohoConfig,
)
from syncd.config.schedule import Cron, Interval, Schedule, parse_duration, parse_schedule
from syncd.store.database import state_directory

__all__ = [
    "ConnectorConfig",
    "Constant",
    "CreditCosts",
    "CreditsConfig",
    "Cron",
    "DaemonConfig",
    "FieldSpec",
    "FindByLookup",
    "Interval",
    "PipelineConfig",
    "PipelineLookup",
    "Schedule",
    "SourceField",
    "StateConfig",
    "SyncdConfig",
    "ZohoConfig",
    "default_state_url",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_schedule",
    "state_directory",
]
