"""The state store: everything syncd remembers across runs, crashes and upgrades.

Open it with :meth:`StateStore.open`; see :mod:`syncd.store.api` for how its parts fit together and
:mod:`syncd.store.models` for what each table holds.
"""

from syncd.store.api import StateStore, Transaction
from syncd.store.checkpoints import Checkpoint, Direction
from syncd.store.conflicts import Closing, Conflict, NewConflict, Resolution
from syncd.store.credits import CreditEntry, CreditUsage
from syncd.store.database import default_database_url, state_directory
from syncd.store.journal import BatchEntry, Step
from syncd.store.leases import Lease
from syncd.store.records import SyncedRecord
from syncd.store.rejects import NewReject, Reject, RejectStatus
from syncd.store.runs import Outcome, Run
from syncd.store.tokens import StoreTokenCache

__all__ = [
    "BatchEntry",
    "Checkpoint",
    "Closing",
    "Conflict",
    "CreditEntry",
    "CreditUsage",
    "Direction",
    "Lease",
    "NewConflict",
    "NewReject",
    "Outcome",
    "Reject",
    "RejectStatus",
    "Resolution",
    "Run",
    "StateStore",
    "Step",
    "StoreTokenCache",
    "SyncedRecord",
    "Transaction",
    "default_database_url",
    "state_directory",
]
