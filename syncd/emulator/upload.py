"""The file host's upload endpoint: a zip of CSV files in, a ``file_id`` for a bulk write job out.

``POST /{product}/{version}/upload`` with ``feature: bulk-write`` and ``X-CRM-ORG: <zgid>`` headers and
the zip in a multipart part named ``file`` (the first file part is accepted under any name, as some
clients send it so). The headers are checked first and answered in the file host's own error format;
then the zip: at most 25 MB (``FILE_TOO_LARGE``, 413), a real zip (``INVALID_FILE_FORMAT``) holding at
least one CSV (``FILE_NOT_SUPPORTED``). Uploads live in memory for the emulator's lifetime.
"""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from syncd.emulator.api import ApiContext, api_route
from syncd.emulator.state import EmulatorState
from syncd.emulator.values import format_datetime
from syncd.emulator.wire import ZohoError

MAX_BYTES = 25 * 1024 * 1024
FEATURE = "bulk-write"


@dataclass(frozen=True)
class Upload:
    file_id: int
    product: str
    user_id: int
    created_at: int
    content: bytes
    csv_names: tuple[str, ...]


class UploadStore:
    """Uploaded zips by ``file_id``."""

    def __init__(self) -> None:
        self._files: dict[int, Upload] = {}
        self._lock = threading.Lock()

    def add(self, upload: Upload) -> None:
        with self._lock:
            self._files[upload.file_id] = upload

    def get(self, file_id: int) -> Upload | None:
        with self._lock:
            return self._files.get(file_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def clear(self) -> None:
        """Forget every uploaded file (the admin API's reset)."""
        with self._lock:
            self._files.clear()


def uploads_of(state: EmulatorState) -> UploadStore:
    store = state.extras.setdefault("uploads", UploadStore())
    assert isinstance(store, UploadStore)
    return store


def _header_problem() -> Response:
    """The file host answers header problems in its own format, not Zoho's API envelope."""
    body = {
        "ERROR_CODE": 400,
        "ERROR_MESSAGE": "Bad Request",
        "x-error": "check if headers [feature, X-CRM-ORG] are present and valid",
    }
    return JSONResponse(body, status_code=400)


def _headers_valid(ctx: ApiContext) -> bool:
    headers = ctx.request.headers
    org = headers.get("x-crm-org", "").strip()
    return (
        headers.get("feature", "").strip().lower() == FEATURE
        and org.isdigit()
        and int(org) == ctx.state.zgids[ctx.product]
    )


def _file_part(form: FormData) -> UploadFile:
    named = form.get("file")
    if isinstance(named, UploadFile):
        return named
    first = next((value for _, value in form.multi_items() if isinstance(value, UploadFile)), None)
    if first is None:
        raise ZohoError(
            "MANDATORY_NOT_FOUND",
            "required file is not found in the request; send the zip as the multipart part 'file'",
            400,
            {"param_name": "file"},
        )
    return first


async def _zip_content(ctx: ApiContext) -> bytes:
    """The uploaded file's bytes, read only when it is not over the limit."""
    try:
        form = await ctx.request.form(max_files=10, max_fields=10)
    except HTTPException as exc:
        raise ZohoError("INVALID_REQUEST", f"unreadable multipart body: {exc.detail}", 400) from None
    try:
        part = _file_part(form)
        if part.size is None or part.size <= MAX_BYTES:
            content = await part.read()
            if len(content) <= MAX_BYTES:
                return content
    finally:
        await form.close()
    raise ZohoError("FILE_TOO_LARGE", "File size too large to process", 413, {"limit_in_bytes": MAX_BYTES})


def _csv_names(content: bytes) -> tuple[str, ...]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ZohoError(
            "INVALID_FILE_FORMAT", "invalid file format. only zip format is supported", 400
        ) from None
    csvs = tuple(n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX/"))
    if not csvs:
        raise ZohoError(
            "FILE_NOT_SUPPORTED",
            "File not supported for bulk write: the zip holds no CSV file",
            400,
            {"file_names": names},
        )
    return csvs


async def upload(ctx: ApiContext) -> Response:
    if not _headers_valid(ctx):
        return _header_problem()
    content = await _zip_content(ctx)
    names = _csv_names(content)
    now = int(ctx.state.clock.time())
    stored = Upload(ctx.state.ids.next(), ctx.product, ctx.token.user_id, now, content, names)
    uploads_of(ctx.state).add(stored)
    created = format_datetime(now, ctx.state.zone)
    return JSONResponse(
        {
            "status": "success",
            "code": "FILE_UPLOAD_SUCCESS",
            "message": "file uploaded.",
            "details": {"file_id": str(stored.file_id), "created_time": created},
        }
    )


def routes() -> list[BaseRoute]:
    return [api_route("/{product}/{version}/upload", upload, ["POST"])]
