"""The Zoho client: one object per Zoho account, composing auth, session, bulk read/write and REST.

>>> client = ZohoClient(Endpoints.for_data_centre("eu"), Credentials(client_id, secret, refresh_token),
...                     work_dir="/var/lib/syncd/spool")
>>> for record in client.bulk_read.read_all(BulkQuery("Contacts", fields=("Last_Name", "Email"))): ...
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import httpx

from syncd.zoho.auth import Credentials, ZohoAuth
from syncd.zoho.bulk_read import BulkReader
from syncd.zoho.bulk_write import BulkWriter
from syncd.zoho.endpoints import Endpoints
from syncd.zoho.jobs import CallbackHub, FinishedJob, JobTimer, PollPolicy
from syncd.zoho.limits import DownloadLimiter
from syncd.zoho.metadata import FieldCatalog
from syncd.zoho.rest import RestApi
from syncd.zoho.session import ChargedCalls, CreditInfo, RetryPolicy, ZohoSession
from syncd.zoho.tokens import TokenCache


class ZohoClient:
    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        token_cache: TokenCache | None = None,
        work_dir: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        limiter: DownloadLimiter | None = None,
        callbacks: CallbackHub | None = None,
        callback_url: str | None = None,
        on_credits: Callable[[CreditInfo], None] | None = None,
        on_job: Callable[[FinishedJob], None] | None = None,
        charged: ChargedCalls | None = None,
        check_fields: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``check_fields=False`` skips validating queries and rows against field metadata (for a token
        without the ``settings.fields`` scope); Zoho's own limits are still checked. ``on_job`` hears
        of every bulk job waited for until it finished, with its duration (the daemon's metrics).
        ``charged`` counts the successful calls whose credits the caller does not book itself."""
        self.endpoints = endpoints
        retry = retry or RetryPolicy()
        self.auth = ZohoAuth(
            endpoints, credentials, cache=token_cache, transport=transport, timeout=retry.timeout, clock=clock
        )
        self.session = ZohoSession(
            endpoints, self.auth, transport=transport, retry=retry, on_credits=on_credits, charged=charged
        )
        self.rest = RestApi(self.session)
        self.fields = FieldCatalog(self.rest.fields, clock=clock)
        self.limiter = limiter or DownloadLimiter()
        self.work_dir = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir()) / "syncd-zoho"
        catalog = self.fields if check_fields else None
        timer = JobTimer(on_job)
        self.bulk_read = BulkReader(
            self.session,
            limiter=self.limiter,
            catalog=catalog,
            poll=poll,
            callbacks=callbacks,
            callback_url=callback_url,
            timer=timer,
            spool_dir=self._spool_dir(),
        )
        self.bulk_write = BulkWriter(
            self.session,
            org_id=self.rest.zgid,
            limiter=self.limiter,
            catalog=catalog,
            work_dir=self.work_dir / "batches",
            poll=poll,
            callbacks=callbacks,
            callback_url=callback_url,
            timer=timer,
        )

    def __repr__(self) -> str:
        return f"ZohoClient({self.endpoints.describe()}, product={self.endpoints.product!r})"

    def _spool_dir(self) -> Path:
        spool = self.work_dir / "spool"
        spool.mkdir(parents=True, exist_ok=True)
        return spool

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
