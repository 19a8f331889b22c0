"""A small bulk-read client for the emulator's tests: create, wait, download, read the CSV."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

import httpx

from syncd.emulator import RunningEmulator

FINAL = {"COMPLETED", "FAILURE"}


def client_for(emulator: RunningEmulator, user_index: int = 0) -> httpx.Client:
    """A client whose access token belongs to the org's ``user_index``-th user."""
    state = emulator.state
    user = state.records.users[user_index]
    minted = state.tokens.mint("demo", "demo", "demo", user.id)
    return httpx.Client(
        base_url=emulator.url,
        headers={"Authorization": f"Zoho-oauthtoken {minted['access_token']}"},
        timeout=60,
    )


class BulkRead:
    def __init__(self, api: httpx.Client, version: str = "v7", product: str = "crm") -> None:
        self.api = api
        self.base = f"/{product}/bulk/{version}/read"

    def create(self, query: dict[str, Any] | None = None, **top: Any) -> httpx.Response:
        body = {**top, "query": query} if query is not None else top
        return self.api.post(self.base, json=body)

    def job_id(self, query: dict[str, Any], **top: Any) -> str:
        response = self.create(query, **top)
        assert response.status_code == 201, response.text
        return str(response.json()["data"][0]["details"]["id"])

    def status(self, job_id: str) -> dict[str, Any]:
        response = self.api.get(f"{self.base}/{job_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["data"]) == 1
        job: dict[str, Any] = body["data"][0]
        return job

    def wait(self, job_id: str) -> dict[str, Any]:
        for _ in range(600):
            job = self.status(job_id)
            if job["state"] in FINAL:
                return job
            time.sleep(0.02)
        raise AssertionError(f"job {job_id} did not finish: {job}")

    def run(self, query: dict[str, Any], **top: Any) -> dict[str, Any]:
        return self.wait(self.job_id(query, **top))

    def download(self, job_id: str) -> httpx.Response:
        return self.api.get(f"{self.base}/{job_id}/result")

    def rows(self, job_id: str) -> list[dict[str, str]]:
        """The result CSV as dicts keyed by header (the ``Id`` column included)."""
        return list(csv.DictReader(io.StringIO(self.text(job_id), newline="")))

    def text(self, job_id: str) -> str:
        response = self.download(job_id)
        assert response.status_code == 200, response.text
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            (name,) = archive.namelist()
            return archive.read(name).decode("utf-8")


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert a Zoho error envelope (bare or ``data``-wrapped) and return it."""
    assert response.status_code == status, response.text
    body = response.json()
    envelope: dict[str, Any] = body["data"][0] if "data" in body else body
    assert envelope["status"] == "error"
    assert envelope["code"] == code, envelope
    return envelope
