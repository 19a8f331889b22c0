"""Helpers for the bulk write tests: build zips, upload them, run jobs, read result CSVs."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

import httpx

from syncd.emulator import RunningEmulator


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content if isinstance(content, bytes) else content.encode("utf-8"))
    return buffer.getvalue()


def upload_headers(emulator: RunningEmulator, product: str = "crm") -> dict[str, str]:
    return {"feature": "bulk-write", "X-CRM-ORG": str(emulator.state.zgids[product])}


def upload(
    api: httpx.Client, emulator: RunningEmulator, content: bytes, *, product: str = "crm", version: str = "v8"
) -> str:
    response = api.post(
        f"/{product}/{version}/upload",
        headers=upload_headers(emulator, product),
        files={"file": ("data.zip", content, "application/zip")},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["details"]["file_id"])


def upload_csv(api: httpx.Client, emulator: RunningEmulator, text: str, *, product: str = "crm") -> str:
    return upload(
        api,
        emulator,
        zip_of({"data.csv": text}),
        product=product,
        version="v2" if product == "bigin" else "v8",
    )


def job_body(
    file_id: str, module: str = "Contacts", operation: str = "insert", **resource: Any
) -> dict[str, Any]:
    return {
        "operation": operation,
        "resource": [{"type": "data", "module": {"api_name": module}, "file_id": file_id, **resource}],
    }


def create(api: httpx.Client, body: dict[str, Any], *, path: str = "/crm/bulk/v8/write") -> httpx.Response:
    return api.post(path, json=body)


def wait(api: httpx.Client, job_id: str, *, path: str = "/crm/bulk/v8/write") -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        details: dict[str, Any] = api.get(f"{path}/{job_id}").json()
        if details["status"] in {"COMPLETED", "FAILED"}:
            return details
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def run(api: httpx.Client, body: dict[str, Any], *, path: str = "/crm/bulk/v8/write") -> dict[str, Any]:
    created = create(api, body, path=path)
    assert created.status_code == 201, created.text
    return wait(api, created.json()["details"]["id"], path=path)


def result_files(api: httpx.Client, details: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    response = api.get(details["result"]["download_url"])
    assert response.status_code == 200, response.text
    out: dict[str, list[dict[str, str]]] = {}
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8")
            out[name] = list(csv.DictReader(io.StringIO(text, newline="")))
    return out


def result_rows(api: httpx.Client, details: dict[str, Any]) -> list[dict[str, str]]:
    files = result_files(api, details)
    assert len(files) == 1, list(files)
    return next(iter(files.values()))
