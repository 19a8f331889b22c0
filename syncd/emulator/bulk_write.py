"""Bulk write jobs: create (``POST /{product}/bulk/{version}/write``), status, and the result zip.

A job is checked fully when it is created (see :mod:`write_spec`); 500 credits are charged only
once it is scheduled. It shows ADDED, then IN PROGRESS, then COMPLETED with per-resource counters
and an absolute ``result.download_url`` on the emulator's download path
``/{version}/{product}/{zgid}/bulk-write/{job_id}/{job_id}.zip`` (same token required). The
``fail_next_jobs`` fault makes a job end FAILED without touching any record; ``cut_next_downloads``
cuts the result download halfway.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from syncd.emulator import upload
from syncd.emulator.api import ApiContext, DroppedConnection, api_route
from syncd.emulator.jobs import BulkJob, JobRunner
from syncd.emulator.state import EmulatorState
from syncd.emulator.upload import uploads_of
from syncd.emulator.values import format_datetime
from syncd.emulator.wire import invalid_url, not_found
from syncd.emulator.write_files import ResultRow, result_csv, result_name, result_zip
from syncd.emulator.write_rows import RowWriter, parent_keys
from syncd.emulator.write_spec import Resource, WriteSpec, parse_spec

JOB_CREDITS = 500


class WriteJob(BulkJob):
    operation = "write"
    queued_phase = False

    def __init__(self, job_id: int, ctx: ApiContext, spec: WriteSpec) -> None:
        state = ctx.state
        callback = spec.callback if spec.callback and spec.callback.get("url") else None
        super().__init__(
            job_id,
            ctx.product,
            ctx.version,
            ctx.token.user_id,
            state.clock.time(),
            state.settings.job_seconds,
            callback,
        )
        self.state = state
        self.spec = spec
        self.outcome: str | None = None  # COMPLETED or FAILED once executed
        self.results: list[list[ResultRow]] = []
        self.archive = b""

    # -- the work -------------------------------------------------------------------------------
    def execute(self) -> None:
        if self.state.faults.take("fail_next_jobs"):
            self.outcome = "FAILED"
            return
        writer = RowWriter(self.state.records, self.product, self.user_id, self.state.zone)
        parent: Resource | None = None
        for resource in self.spec.resources:
            link = resource.parent_link
            if link is None or parent is None:
                self.results.append(writer.process(resource, self.spec.operation))
                parent = parent or resource
                continue
            assert link.parent_column_index is not None
            parents = parent_keys(parent, self.results[0], link.parent_column_index)
            self.results.append(writer.process(resource, "insert", parents))
        parts = [
            (result_name(r.module.api_name, r.source.name), result_csv(r.source, rows))
            for r, rows in zip(self.spec.resources, self.results, strict=True)
        ]
        self.archive = result_zip(parts)
        self.outcome = "COMPLETED"

    # -- how it looks ---------------------------------------------------------------------------
    def status(self) -> str:
        if not self.finished:
            return self.phase(self.state.clock.time())
        return self.outcome or "FAILED"

    def download_path(self) -> str:
        zgid = self.state.zgids[self.product]
        return f"/{self.version}/{self.product}/{zgid}/bulk-write/{self.id}/{self.id}.zip"

    def _module(self, resource: Resource) -> Any:
        name = resource.module.api_name
        if self.version == "v2":
            return name
        return {"api_name": name, "id": str(self.state.module_ids.get((self.product, name), 0))}

    def _file(self, resource: Resource, position: int, status: str) -> dict[str, Any]:
        if status == "ADDED":
            return {"status": "ADDED"}
        rows = self.results[position] if status == "COMPLETED" else []
        added = sum(r.status == "ADDED" for r in rows)
        updated = sum(r.status == "UPDATED" for r in rows)
        return {
            "status": status,
            "name": resource.source.name.rsplit("/", 1)[-1],
            "added_count": added,
            "skipped_count": len(rows) - added - updated,
            "updated_count": updated,
            "total_count": len(rows),
        }

    def _resource(self, resource: Resource, position: int, status: str) -> dict[str, Any]:
        code = {"COMPLETED": "SUCCESS", "FAILED": "FAILED"}.get(status, status)
        return {
            "status": status,
            "type": "data",
            "code": code,
            "module": self._module(resource),
            "field_mappings": [m.echo() for m in resource.mappings],
            "file": self._file(resource, position, status),
        }

    def details(self, base_url: str) -> dict[str, Any]:
        status = self.status()
        user = self.state.records.user(self.user_id)
        body: dict[str, Any] = {
            "status": status,
            "character_encoding": self.spec.character_encoding,
            "resource": [self._resource(r, i, status) for i, r in enumerate(self.spec.resources)],
            "id": str(self.id),
        }
        if self.spec.callback is not None:
            body["callback"] = self.spec.callback
        if status == "COMPLETED":
            body["result"] = {"download_url": f"{base_url}{self.download_path()}"}
        body["created_by"] = user.ref() if user else {"id": str(self.user_id), "name": None}
        body["operation"] = self.spec.operation
        body["created_time"] = format_datetime(int(self.created_at), self.state.zone)
        return body


def _runner(state: EmulatorState) -> JobRunner:
    runner = state.extras["jobs"]
    assert isinstance(runner, JobRunner)
    return runner


def download_counters(state: EmulatorState) -> dict[str, int]:
    downloads: dict[str, Any] = state.extras.setdefault("downloads", {})
    counters: dict[str, int] = downloads.setdefault("bulk_write", {"served": 0, "cut": 0})
    return counters


async def create_job(ctx: ApiContext) -> Response:
    body = await ctx.json()
    spec = await run_in_threadpool(parse_spec, body, ctx.state.records, uploads_of(ctx.state), ctx.product)
    ctx.spend(JOB_CREDITS)
    job = WriteJob(ctx.state.ids.next(), ctx, spec)
    _runner(ctx.state).add(job)
    user = ctx.state.records.user(ctx.token.user_id)
    return JSONResponse(
        {
            "status": "success",
            "code": "SUCCESS",
            "message": "success",
            "details": {
                "id": str(job.id),
                "created_by": user.ref() if user else {"id": str(ctx.token.user_id)},
            },
        },
        status_code=201,
    )


def _job(ctx: ApiContext, raw_id: str) -> WriteJob:
    job = _runner(ctx.state).get(int(raw_id)) if raw_id.isdigit() else None
    if not isinstance(job, WriteJob) or job.product != ctx.product:
        raise not_found("job_id")
    return job


async def job_status(ctx: ApiContext) -> Response:
    job = _job(ctx, ctx.request.path_params["job_id"])
    _runner(ctx.state).polled(job)
    return JSONResponse(job.details(ctx.state.base_url(ctx.request)))


async def download(ctx: ApiContext) -> Response:
    zgid = str(ctx.request.path_params["zgid"]).removeprefix("org")
    if zgid != str(ctx.state.zgids[ctx.product]):
        raise invalid_url()
    job = _job(ctx, ctx.request.path_params["job_id"])
    if ctx.request.path_params["file_name"] != f"{job.id}.zip" or job.status() != "COMPLETED":
        raise not_found("download_url")
    counters = download_counters(ctx.state)
    headers = {"Content-Disposition": f'attachment; filename="{job.id}.zip"'}
    if ctx.state.faults.take("cut_next_downloads"):
        counters["cut"] += 1
        cut = DroppedConnection(job.archive)
        cut.headers.update({"Content-Type": "application/zip", **headers})
        return cut
    counters["served"] += 1
    return Response(job.archive, media_type="application/zip", headers=headers)


def routes() -> list[BaseRoute]:
    """The upload endpoint and the bulk write endpoints."""
    return [
        *upload.routes(),
        api_route("/{product}/bulk/{version}/write", create_job, ["POST"]),
        api_route("/{product}/bulk/{version}/write/{job_id}", job_status, ["GET"]),
        api_route("/{version}/{product}/{zgid}/bulk-write/{job_id}/{file_name}", download, ["GET"]),
    ]
