"""GET records and deleted records over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from syncd.emulator import RunningEmulator

from .conftest import mint


def _seed(admin: httpx.Client, module: str, count: int, product: str = "crm") -> None:
    body = {"module": module, "count": count, "seed": 3, "product": product}
    assert admin.post("seed", json=body).status_code == 200


def _pages(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Follow page tokens to the end; returns every page's body."""
    bodies = [api.get(path, params=params).json()]
    while bodies[-1]["info"]["more_records"]:
        token = bodies[-1]["info"]["next_page_token"]
        bodies.append(api.get(path, params={**params, "page_token": token}).json())
    return bodies


def test_records_page_by_page_in_id_order(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, "Accounts", 450)
    pages = [api.get("/crm/v8/Accounts", params={"page": n}).json() for n in (1, 2, 3)]
    assert [p["info"]["count"] for p in pages] == [200, 200, 50]
    assert [p["info"]["more_records"] for p in pages] == [True, True, False]
    assert [p["info"]["page"] for p in pages] == [1, 2, 3]
    ids = [int(r["id"]) for p in pages for r in p["data"]]
    assert ids == sorted(set(ids)) and len(ids) == 450
    assert api.get("/crm/v8/Accounts", params={"page": 4}).status_code == 204


def test_fields_choose_the_keys(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, "Accounts", 3)
    _seed(admin, "Contacts", 5)
    body = api.get("/crm/v8/Contacts", params={"fields": "Last_Name,Email,Account_Name,Owner"}).json()
    record = body["data"][0]
    assert set(record) == {"id", "Last_Name", "Email", "Account_Name", "Owner"}
    assert set(record["Owner"]) == {"id", "name", "email"}
    account = next(r["Account_Name"] for r in body["data"] if r["Account_Name"])
    assert set(account) == {"id", "name"} and account["name"]


def test_bad_parameters_are_invalid_data(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, "Accounts", 1)
    unknown = api.get("/crm/v8/Accounts", params={"fields": "Account_Name,Warp_Factor"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_DATA")
    assert unknown.json()["details"]["api_name"] == "Warp_Factor"
    too_many = api.get("/crm/v8/Accounts", params={"per_page": 201})
    assert (too_many.status_code, too_many.json()["details"]) == (400, {"param_name": "per_page"})
    module = api.get("/crm/v8/Spaceships")
    assert (module.status_code, module.json()["code"]) == (400, "INVALID_MODULE")


def test_v8_pages_beyond_2000_records_need_a_page_token(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, "Accounts", 2_100)
    refused = api.get("/crm/v8/Accounts", params={"page": 11})
    assert (refused.status_code, refused.json()["code"]) == (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED")
    pages = _pages(api, "/crm/v8/Accounts", fields="Account_Name")
    assert len(pages) == 11
    assert sum(p["info"]["count"] for p in pages) == 2_100
    assert pages[-1]["info"]["next_page_token"] is None
    assert pages[0]["info"]["page_token_expiry"]


def test_older_versions_page_without_tokens(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, "Accounts", 2_100)
    body = api.get("/crm/v6/Accounts", params={"page": 11}).json()
    assert body["info"]["count"] == 100
    assert "next_page_token" not in body["info"]


def test_a_page_token_is_bound_to_its_query_and_expires(
    emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client
) -> None:
    _seed(admin, "Accounts", 300)
    token = api.get("/crm/v8/Accounts", params={"fields": "Account_Name"}).json()["info"]["next_page_token"]
    other = api.get("/crm/v8/Accounts", params={"fields": "Phone", "page_token": token})
    assert (other.status_code, other.json()["details"]) == (400, {"param_name": "page_token"})
    emulator.state.clock.advance(24 * 3600 + 1)
    emulator.state.tokens.reset()
    fresh = mint(emulator.url).json()["access_token"]
    expired = api.get(
        "/crm/v8/Accounts",
        params={"fields": "Account_Name", "page_token": token},
        headers={"Authorization": f"Zoho-oauthtoken {fresh}"},
    )
    assert (expired.status_code, expired.json()["code"]) == (400, "INVALID_DATA")


def test_if_modified_since_lists_only_later_changes(
    emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client
) -> None:
    _seed(admin, "Accounts", 20)
    ids = [r["id"] for r in api.get("/crm/v8/Accounts").json()["data"]]
    emulator.state.clock.advance(60)
    stamp = emulator.state.clock.now().replace(microsecond=0).isoformat()
    emulator.state.clock.advance(60)
    for record_id in ids[3:5]:
        assert admin.patch(f"records/Accounts/{record_id}", json={"Phone": "+4930123"}).status_code == 200
    body = api.get("/crm/v8/Accounts", headers={"If-Modified-Since": stamp}).json()
    assert [r["id"] for r in body["data"]] == ids[3:5]
    later = emulator.state.clock.now().replace(microsecond=0).isoformat()
    assert api.get("/crm/v8/Accounts", headers={"If-Modified-Since": later}).status_code == 204
    bad = api.get("/crm/v8/Accounts", headers={"If-Modified-Since": "yesterday"})
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_DATA")


def test_an_empty_module_answers_204(api: httpx.Client) -> None:
    response = api.get("/crm/v8/Leads")
    assert (response.status_code, response.content) == (204, b"")


def test_bigin_records_live_apart_from_crm(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, "Accounts", 4, product="bigin")
    assert api.get("/bigin/v2/Accounts").json()["info"]["count"] == 4
    assert api.get("/crm/v8/Accounts").status_code == 204


@pytest.fixture
def deleted_ids(emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client) -> list[str]:
    _seed(admin, "Contacts", 5)
    ids = [r["id"] for r in api.get("/crm/v8/Contacts").json()["data"]]
    for record_id, permanent in zip(ids[:3], ("false", "true", "false"), strict=True):
        emulator.state.clock.advance(10)
        assert (
            admin.delete(f"records/Contacts/{record_id}", params={"permanent": permanent}).status_code == 200
        )
    return ids[:3]


def test_deleted_records_newest_first_with_types(deleted_ids: list[str], api: httpx.Client) -> None:
    body = api.get("/crm/v8/Contacts/deleted").json()
    assert [d["id"] for d in body["data"]] == deleted_ids[::-1]
    assert body["info"] == {"per_page": 200, "count": 3, "page": 1, "more_records": False}
    recycle = body["data"][0]
    assert recycle["type"] == "recycle"
    assert recycle["display_name"] and set(recycle["deleted_by"]) == {"name", "id"}
    permanent = body["data"][1]
    assert (
        permanent["type"],
        permanent["display_name"],
        permanent["deleted_by"],
        permanent["created_by"],
    ) == (
        "permanent",
        None,
        None,
        None,
    )
    only = api.get("/crm/v8/Contacts/deleted", params={"type": "permanent"}).json()["data"]
    assert [d["id"] for d in only] == [deleted_ids[1]]
    paged = api.get("/crm/v8/Contacts/deleted", params={"per_page": 2, "page": 2}).json()
    assert [d["id"] for d in paged["data"]] == [deleted_ids[0]]


def test_deleted_records_filters_and_errors(
    emulator: RunningEmulator, deleted_ids: list[str], api: httpx.Client
) -> None:
    bad = api.get("/crm/v8/Contacts/deleted", params={"type": "shredded"})
    assert (bad.status_code, bad.json()["code"]) == (400, "PATTERN_NOT_MATCHED")
    assert api.get("/crm/v8/Leads/deleted").status_code == 204
    later = emulator.state.clock.now().replace(microsecond=0).isoformat()
    assert api.get("/crm/v8/Contacts/deleted", headers={"If-Modified-Since": later}).status_code == 204


def test_the_recycle_bin_lists_60_days_and_permanent_deletions_120(
    emulator: RunningEmulator, deleted_ids: list[str], api: httpx.Client
) -> None:
    emulator.state.settings.token_seconds = 200 * 86400
    token = mint(emulator.url).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    emulator.state.clock.advance(61 * 86400)
    listed = api.get("/crm/v8/Contacts/deleted", headers=headers).json()["data"]
    assert [d["id"] for d in listed] == [deleted_ids[1]]
    emulator.state.clock.advance(60 * 86400)
    assert api.get("/crm/v8/Contacts/deleted", headers=headers).status_code == 204


def test_tokens_are_checked(emulator: RunningEmulator, api: httpx.Client) -> None:
    missing = httpx.get(f"{emulator.url}/crm/v8/Contacts")
    assert (missing.status_code, missing.json()["code"]) == (401, "AUTHENTICATION_FAILURE")
    unknown = httpx.get(
        f"{emulator.url}/crm/v8/Contacts", headers={"Authorization": "Zoho-oauthtoken 1000.x"}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (401, "INVALID_TOKEN")
    emulator.state.clock.advance(3601)
    expired = api.get("/crm/v8/Contacts/deleted")
    assert (expired.status_code, expired.json()["code"]) == (401, "INVALID_TOKEN")
