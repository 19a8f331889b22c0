"""syncd.zoho — the part of syncd that talks to Zoho CRM and Bigin.

Only this package (and the independent emulator) knows Zoho's wire format. Start at
:class:`ZohoClient`; the pieces are usable on their own for tests and for the engine's journal.
"""

from syncd.zoho.auth import Credentials, ZohoAuth
from syncd.zoho.batches import ChildRows, Preparation, PreparedBatch, RejectedRow
from syncd.zoho.bulk_read import BulkReader, BulkResult, Page, ReadJob
from syncd.zoho.bulk_write import BulkWriter, WriteJob
from syncd.zoho.client import ZohoClient
from syncd.zoho.endpoints import DATA_CENTRES, Endpoints
from syncd.zoho.fields import FieldMeta
from syncd.zoho.jobs import CallbackHub, FinishedJob, PollPolicy
from syncd.zoho.limits import DownloadLimiter
from syncd.zoho.outcomes import RowError, RowOutcome
from syncd.zoho.query import BulkQuery, Criterion, Group, all_of, any_of, where
from syncd.zoho.rest import DeletedRecord, DeleteOutcome, Org, RestApi, UpsertOutcome
from syncd.zoho.session import Charge, ChargedCalls, CreditInfo, RetryPolicy, ZohoSession
from syncd.zoho.tokens import CachedToken, MemoryTokenCache, TokenCache

__all__ = [
    "DATA_CENTRES",
    "BulkQuery",
    "BulkReader",
    "BulkResult",
    "BulkWriter",
    "CachedToken",
    "CallbackHub",
    "Charge",
    "ChargedCalls",
    "ChildRows",
    "Credentials",
    "CreditInfo",
    "Criterion",
    "DeleteOutcome",
    "DeletedRecord",
    "DownloadLimiter",
    "Endpoints",
    "FieldMeta",
    "FinishedJob",
    "Group",
    "MemoryTokenCache",
    "Org",
    "Page",
    "PollPolicy",
    "Preparation",
    "PreparedBatch",
    "ReadJob",
    "RejectedRow",
    "RestApi",
    "RetryPolicy",
    "RowError",
    "RowOutcome",
    "TokenCache",
    "UpsertOutcome",
    "WriteJob",
    "ZohoAuth",
    "ZohoClient",
    "ZohoSession",
    "all_of",
    "any_of",
    "where",
]
