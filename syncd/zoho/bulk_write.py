"""Bulk write: prepare, upload, create, wait, fetch the result — each step on its own.

The engine journals between the steps (design §4 "exactly-once effect")::

    prep = writer.prepare("Contacts", rows, columns=[...], key=lambda r: r["sku"], find_by="Email")
    for batch in prep.batches:
        file_id = writer.upload(batch)
        job_id = writer.create_job(batch, file_id, operation="upsert", find_by="Email")   # 500 credits
        job = writer.wait(job_id)
        outcomes = writer.fetch_result(job, batch)        # one RowOutcome per uploaded row, in order
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from syncd.errors import ConfigError, ZohoAPIError
from syncd.zoho.archive import ResultFile
from syncd.zoho.batches import BatchWriter, ChildRows, KeyOf, Part, Preparation, PreparedBatch
from syncd.zoho.jobs import (
    CallbackHub,
    JobTimer,
    PollPolicy,
    job_id_of,
    normalise_state,
    unwrap,
    wait_for_job,
)
from syncd.zoho.limits import DownloadLimiter
from syncd.zoho.metadata import FieldCatalog
from syncd.zoho.outcomes import RowOutcome, join_outcomes
from syncd.zoho.session import Charge, ZohoSession

log = logging.getLogger(__name__)

Operation = Literal["insert", "update", "upsert"]


@dataclass(frozen=True)
class WriteJob:
    id: str
    state: str
    download_url: str | None = None
    added: int = 0
    updated: int = 0
    skipped: int = 0
    error_code: str | None = None
    error_message: str | None = None
    callback_url: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in {"COMPLETED", "FAILED"}

    @classmethod
    def parse(cls, payload: Any, *, fallback_id: str | None = None) -> WriteJob:
        job = unwrap(payload)
        resources = [r for r in job.get("resource") or [] if isinstance(r, Mapping)]
        files: list[Mapping[str, Any]] = [r["file"] for r in resources if isinstance(r.get("file"), Mapping)]
        result = job.get("result") if isinstance(job.get("result"), Mapping) else {}
        assert isinstance(result, Mapping)
        failed = next((r for r in resources if normalise_state(r.get("status")) == "FAILED"), {})
        return cls(
            id=job_id_of(job) or fallback_id or "",
            state=normalise_state(job.get("status") or job.get("state")),
            download_url=result.get("download_url") or None,
            added=sum(int(f.get("added_count") or 0) for f in files),
            updated=sum(int(f.get("updated_count") or 0) for f in files),
            skipped=sum(int(f.get("skipped_count") or 0) for f in files),
            error_code=failed.get("code") or job.get("code"),
            error_message=failed.get("message") or job.get("message"),
            callback_url=_callback_url(job),
        )


class BulkWriter:
    def __init__(
        self,
        session: ZohoSession,
        *,
        org_id: Callable[[], str],
        limiter: DownloadLimiter,
        catalog: FieldCatalog | None = None,
        work_dir: str | os.PathLike[str],
        poll: PollPolicy | None = None,
        callbacks: CallbackHub | None = None,
        callback_url: str | None = None,
        timer: JobTimer | None = None,
    ) -> None:
        self._session = session
        self._endpoints = session.endpoints
        self._org_id = org_id
        self._limiter = limiter
        self._catalog = catalog
        self._batches = BatchWriter(Path(work_dir))
        self._poll = poll or PollPolicy()
        self._hub = callbacks
        self._callback_url = callback_url if callbacks is not None else None
        self._timer = timer or JobTimer()

    # -- prepare ---------------------------------------------------------------------------------------

    def prepare(
        self,
        module: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        columns: Sequence[str],
        key: KeyOf,
        find_by: str | None = None,
    ) -> Preparation:
        metadata = self._catalog.fields(module) if self._catalog else {}
        return self._batches.prepare(
            module, rows, columns=columns, key=key, metadata=metadata, find_by=find_by
        )

    def prepare_parent_child(
        self,
        module: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        columns: Sequence[str],
        key: KeyOf,
        children: Sequence[ChildRows],
    ) -> PreparedBatch:
        modules = [module, *(child.module for child in children)]
        metadata = {name: self._catalog.fields(name) if self._catalog else {} for name in modules}
        return self._batches.prepare_parent_child(
            module, rows, columns=columns, key=key, metadata=metadata, children=children
        )

    # -- upload and create -----------------------------------------------------------------------------

    def upload(self, batch: PreparedBatch) -> str:
        content = batch.path.read_bytes()
        answer = self._session.call(
            "POST",
            self._endpoints.upload_path,
            host="upload",
            headers={"feature": "bulk-write", "X-CRM-ORG": self._org_id()},
            files={"file": (batch.path.name, content, "application/zip")},
            what="upload a bulk write file",
            context={"module": batch.module},
        )
        payload = answer.payload if isinstance(answer.payload, Mapping) else {}
        details = payload.get("details") if isinstance(payload.get("details"), Mapping) else payload
        file_id = details.get("file_id") if isinstance(details, Mapping) else None
        if file_id in (None, ""):
            raise ZohoAPIError(
                "Zoho accepted the upload but named no file_id", code="NO_FILE_ID", module=batch.module
            )
        return str(file_id)

    def create_job(
        self,
        batch: PreparedBatch,
        file_id: str,
        *,
        operation: Operation,
        find_by: str | None = None,
        ignore_empty: bool = False,
    ) -> str:
        body = self.job_request(
            batch, file_id, operation=operation, find_by=find_by, ignore_empty=ignore_empty
        )
        answer = self._session.call(
            "POST",
            self._endpoints.bulk_path("write"),
            json=body,
            what=f"create a bulk write {operation} job",
            idempotent=False,
            charge=Charge.BOOKED,  # the engine reserves its 500 credits
            context={"module": batch.module},
        )
        job_id = job_id_of(unwrap(answer.payload))
        if job_id is None:
            raise ZohoAPIError(
                "Zoho created a bulk write job but named no id", code="NO_JOB_ID", module=batch.module
            )
        self._timer.created(job_id)
        log.info(
            "bulk write %s job %s created for %s (%d rows)",
            operation,
            job_id,
            batch.module,
            len(batch.row_keys),
        )
        return job_id

    def job_request(
        self,
        batch: PreparedBatch,
        file_id: str,
        *,
        operation: Operation,
        find_by: str | None,
        ignore_empty: bool,
    ) -> dict[str, Any]:
        if operation not in ("insert", "update", "upsert"):
            raise ConfigError(
                f"unknown bulk write operation {operation!r}; expected insert, update or upsert"
            )
        if operation != "insert" and not find_by:
            raise ConfigError(
                f"a bulk write {operation} needs find_by (the field that matches records)",
                module=batch.module,
            )
        resources = [
            self._resource(part, file_id, batch, find_by if i == 0 else None)
            for i, part in enumerate(batch.parts)
        ]
        body: dict[str, Any] = {
            "operation": operation,
            "ignore_empty": ignore_empty,
            "character_encoding": "UTF-8",
            "resource": resources,
        }
        if self._callback_url:
            body["callback"] = {"url": self._callback_url, "method": "post"}
        return body

    def _resource(
        self, part: Part, file_id: str, batch: PreparedBatch, find_by: str | None
    ) -> dict[str, Any]:
        module: Any = part.module if self._endpoints.numeric_version < 2.1 else {"api_name": part.module}
        resource: dict[str, Any] = {"type": "data", "module": module, "file_id": file_id}
        if find_by:
            resource["find_by"] = find_by
        if batch.is_parent_child:
            resource["file_names"] = [part.file_name]
        resource["field_mappings"] = [_mapping(part, index, name) for index, name in enumerate(part.columns)]
        return resource

    # -- wait and result -------------------------------------------------------------------------------

    def status(self, job_id: str) -> WriteJob:
        answer = self._session.call(
            "GET",
            self._endpoints.bulk_path("write", job_id),
            what="read bulk write job status",
            context={"job_id": job_id},
        )
        return WriteJob.parse(answer.payload, fallback_id=job_id)

    def wait(self, job_id: str) -> WriteJob:
        return wait_for_job(
            "write",
            job_id,
            self.status,
            policy=self._poll,
            hub=self._hub,
            timer=self._timer,
            failed_code="FAILED",
        )

    def fetch_result(self, job: WriteJob | str, batch: PreparedBatch) -> list[RowOutcome]:
        """One outcome per row of the batch's (parent) CSV, in upload order."""
        results = self.fetch_results(job, batch)
        return results[batch.parts[0].file_name]

    def fetch_results(self, job: WriteJob | str, batch: PreparedBatch) -> dict[str, list[RowOutcome]]:
        """Outcomes per CSV of the batch, keyed by file name (children are keyed by row position)."""
        if isinstance(job, str):
            job = self.status(job)
        if not job.download_url:
            raise ZohoAPIError(
                f"bulk write job {job.id} has no result to download yet", code="NO_RESULT", job_id=job.id
            )
        with self._download(job) as result:
            return self._outcomes(result, job, batch)

    def _download(self, job: WriteJob) -> ResultFile:
        assert job.download_url is not None
        path, handle = ResultFile.spool(self._batches_dir, job.id)
        try:
            with handle:
                self._session.download(
                    job.download_url,
                    handle,
                    what="download a bulk write result",
                    context={"job_id": job.id},
                    before_attempt=self._limiter.acquire,
                )
            return ResultFile(path, label=f"bulk write result {job.id}")
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    @property
    def _batches_dir(self) -> Path:
        directory = self._batches.work_dir
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _outcomes(
        self, result: ResultFile, job: WriteJob, batch: PreparedBatch
    ) -> dict[str, list[RowOutcome]]:
        names = result.names
        outcomes: dict[str, list[RowOutcome]] = {}
        for position, part in enumerate(batch.parts):
            entry = _entry_for(part, position, names)
            if entry is None:
                continue
            keys = batch.row_keys if position == 0 else tuple(str(i) for i in range(part.row_count))
            outcomes[part.file_name] = join_outcomes(result.csv_rows(entry), keys, job_id=job.id)
        if batch.parts[0].file_name not in outcomes:
            raise ZohoAPIError(
                f"bulk write result of job {job.id} holds no CSV ({names})", code="RESULT_MISMATCH"
            )
        return outcomes


def _callback_url(job: Mapping[str, Any]) -> str | None:
    callback = job.get("callback") or job.get("callBack")  # samples spell it both ways
    url = callback.get("url") if isinstance(callback, Mapping) else None
    return str(url) if url else None


def _mapping(part: Part, index: int, name: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {"api_name": name, "index": index}
    if name in part.lookups:
        mapping["find_by"] = "id"
    if name == part.parent_column:
        mapping["parent_column_index"] = part.parent_ref_index
    return mapping


def _entry_for(part: Part, position: int, names: list[str]) -> str | None:
    """The result CSV of a part: by its file name, else by position (Zoho renames result files)."""
    for name in names:
        if name.lower() == part.file_name.lower():
            return name
    csvs = [name for name in names if name.lower().endswith(".csv")] or names
    return csvs[position] if position < len(csvs) else None
