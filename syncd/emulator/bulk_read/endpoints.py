"""The three bulk-read endpoints: create a job, read its status, download its result.

``POST /{product}/bulk/{version}/read`` costs 50 credits; status and download cost 1. Downloading
before the job completed answers HTTP 400 ``INVALID_REQUEST`` naming the job's state (Zoho
documents no code for it; a JSON error while the job runs is what clients have seen); a failed
job's result, and any result a day after completion, is 404 ``RESOURCE_NOT_FOUND``. More than 10
downloads a minute per product answer 429 ``TOO_MANY_REQUESTS``.
"""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from syncd.emulator.api import ApiContext, api_route
from syncd.emulator.bulk_read.job import ReadJob
from syncd.emulator.bulk_read.query import QueryParser, parse_callback
from syncd.emulator.bulk_read.registry import DOWNLOADS_PER_MINUTE, bulk_reads, count_download
from syncd.emulator.jobs import JobRunner
from syncd.emulator.values import format_datetime
from syncd.emulator.wire import ZohoError, not_found, too_many_requests

CREATE_CREDITS = 50
CHUNK = 256 * 1024


def _runner(context: ApiContext) -> JobRunner:
    runner = context.state.extras["jobs"]
    assert isinstance(runner, JobRunner)
    return runner


def _job(context: ApiContext) -> ReadJob:
    raw = context.request.path_params["job_id"]
    job = _runner(context).get(int(raw)) if raw.isdigit() else None
    if not isinstance(job, ReadJob) or job.product != context.product:
        raise not_found(raw)
    return job


async def create(context: ApiContext) -> Response:
    state = context.state
    reads = bulk_reads(state)
    body = await context.json()
    parser = QueryParser(
        state.records,
        reads.views,
        reads.tokens,
        product=context.product,
        version=context.version,
        user_id=context.token.user_id,
        page_size=state.settings.page_size,
    )
    query = parser.parse(body, state.clock.time())
    callback = parse_callback(body.get("callback"))
    context.spend(CREATE_CREDITS)
    job = ReadJob(
        state,
        query,
        version=context.version,
        user_id=context.token.user_id,
        callback=callback,
        tokens=reads.tokens,
        pages=reads.pages,
        directory=reads.root,
        doomed=state.faults.take("fail_next_jobs"),
    )
    runner = _runner(context)
    runner.add(job)
    reads.sweep(runner.jobs(), state.clock.time())
    return JSONResponse(_created(job), status_code=201)


def _created(job: ReadJob) -> dict[str, object]:
    user = job.state.records.user(job.user_id)
    details = {
        "id": str(job.id),
        "operation": "read",
        "state": "ADDED",
        "created_by": user.ref() if user else {"id": str(job.user_id), "name": None},
        "created_time": format_datetime(int(job.created_at), job.state.zone),
    }
    entry = {
        "status": "success",
        "code": "ADDED_SUCCESSFULLY",
        "message": "Added successfully.",
        "details": details,
    }
    return {"data": [entry], "info": {}}


async def status(context: ApiContext) -> Response:
    job = _job(context)
    _runner(context).polled(job)
    return JSONResponse(job.details())


async def download(context: ApiContext) -> Response:
    state = context.state
    reads = bulk_reads(state)
    now = state.clock.time()
    if not reads.admit_download(context.product, now):
        count_download(state, "throttled")
        raise too_many_requests(f"at most {DOWNLOADS_PER_MINUTE} bulk read downloads are allowed per minute")
    job = _job(context)
    if not job.finished:
        raise ZohoError(
            "INVALID_REQUEST",
            f"bulk read job {job.id} has not completed yet; download its result once its state is COMPLETED",
            400,
            {"state": job.phase(now)},
        )
    if job.outcome != "COMPLETED" or job.expired(now) or not job.path.exists():
        job.path.unlink(missing_ok=True)
        raise not_found(str(job.id))
    count_download(state, "bulk_read")
    return ResultDownload(job, cut=state.faults.take("cut_next_downloads"))


class ResultDownload(Response):
    """Streams the result zip from disk; ``cut`` promises the whole zip and sends only half."""

    def __init__(self, job: ReadJob, *, cut: bool = False) -> None:
        super().__init__(
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{job.id}.zip"'},
        )
        self.path = job.path
        size = self.path.stat().st_size
        self.headers["content-length"] = str(size)
        self.limit = size // 2 if cut else size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        sent = 0
        async with await anyio.open_file(self.path, "rb") as handle:
            while sent < self.limit:
                chunk = await handle.read(min(CHUNK, self.limit - sent))
                if not chunk:
                    break
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": sent < self.limit})
        if sent < self.limit or self.limit == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def routes() -> list[BaseRoute]:
    return [
        api_route("/{product}/bulk/{version}/read", create, ["POST"]),
        api_route("/{product}/bulk/{version}/read/{job_id}", status, ["GET"]),
        api_route("/{product}/bulk/{version}/read/{job_id}/result", download, ["GET"]),
    ]
