"""The file host's upload endpoint for bulk write."""

from __future__ import annotations

import httpx

from syncd.emulator import RunningEmulator

from .writing import upload_headers, zip_of

CSV = "Last_Name,Email\nBoyle,p.boyle@example.com\n"


def post(api: httpx.Client, content: bytes, headers: dict[str, str], **kwargs: str) -> httpx.Response:
    name = kwargs.get("part", "file")
    path = kwargs.get("path", "/crm/v8/upload")
    return api.post(path, headers=headers, files={name: ("data.zip", content, "application/zip")})


def test_a_zip_upload_returns_a_file_id_and_its_time(api: httpx.Client, emulator: RunningEmulator) -> None:
    response = post(api, zip_of({"Contacts.csv": CSV}), upload_headers(emulator))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "code", "message")} == {
        "status": "success",
        "code": "FILE_UPLOAD_SUCCESS",
        "message": "file uploaded.",
    }
    file_id = body["details"]["file_id"]
    assert isinstance(file_id, str) and file_id.isdigit() and len(file_id) == 19
    assert body["details"]["created_time"].endswith("+00:00")


def test_the_first_file_part_is_accepted_under_another_name(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    response = post(api, zip_of({"Contacts.csv": CSV}), upload_headers(emulator), part="upload")
    assert response.status_code == 200
    assert response.json()["code"] == "FILE_UPLOAD_SUCCESS"


def test_missing_or_wrong_headers_get_the_file_hosts_own_error(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    good = upload_headers(emulator)
    wrong = [
        {"X-CRM-ORG": good["X-CRM-ORG"]},
        {"feature": "bulk-write"},
        {**good, "feature": "bulk-read"},
        {**good, "X-CRM-ORG": str(emulator.state.zgids["bigin"])},
        {**good, "X-CRM-ORG": "not-a-number"},
    ]
    for headers in wrong:
        response = post(api, zip_of({"Contacts.csv": CSV}), headers)
        assert response.status_code == 400, headers
        assert response.json() == {
            "ERROR_CODE": 400,
            "ERROR_MESSAGE": "Bad Request",
            "x-error": "check if headers [feature, X-CRM-ORG] are present and valid",
        }


def test_a_file_that_is_not_a_zip_is_an_invalid_file_format(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    response = post(api, CSV.encode(), upload_headers(emulator))
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_FILE_FORMAT"
    assert response.json()["message"] == "invalid file format. only zip format is supported"


def test_a_zip_without_a_csv_is_not_supported(api: httpx.Client, emulator: RunningEmulator) -> None:
    response = post(api, zip_of({"notes.txt": "hello"}), upload_headers(emulator))
    assert (response.status_code, response.json()["code"]) == (400, "FILE_NOT_SUPPORTED")


def test_a_file_over_25_mb_is_too_large(api: httpx.Client, emulator: RunningEmulator) -> None:
    response = post(api, b"\0" * (25 * 1024 * 1024 + 1), upload_headers(emulator))
    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"
    assert response.json()["message"] == "File size too large to process"


def test_a_request_without_a_file_names_the_missing_part(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    response = api.post("/crm/v8/upload", headers=upload_headers(emulator), data={"note": "no file"})
    assert (response.status_code, response.json()["code"]) == (400, "MANDATORY_NOT_FOUND")
    assert "file" in response.json()["message"]


def test_an_upload_costs_one_credit_and_a_refused_one_nothing(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    ledger = emulator.state.credits["crm"]
    before = ledger.spent_total
    post(api, zip_of({"Contacts.csv": CSV}), upload_headers(emulator))
    assert ledger.spent_total == before + 1
    post(api, b"not a zip", upload_headers(emulator))
    post(api, zip_of({"Contacts.csv": CSV}), {"feature": "bulk-write"})
    assert ledger.spent_total == before + 1


def test_bigin_uploads_use_the_bigin_org(api: httpx.Client, emulator: RunningEmulator) -> None:
    content = zip_of({"Contacts.csv": CSV})
    ok = post(api, content, upload_headers(emulator, "bigin"), path="/bigin/v2/upload")
    assert ok.status_code == 200
    crm_org = post(api, content, upload_headers(emulator, "crm"), path="/bigin/v2/upload")
    assert crm_org.status_code == 400


def test_an_upload_needs_a_token(emulator: RunningEmulator) -> None:
    response = httpx.post(
        f"{emulator.url}/crm/v8/upload",
        headers=upload_headers(emulator),
        files={"file": ("data.zip", zip_of({"a.csv": CSV}), "application/zip")},
    )
    assert (response.status_code, response.json()["code"]) == (401, "AUTHENTICATION_FAILURE")
