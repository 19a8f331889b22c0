"""DELETE records over HTTP: per-id results, the deleted-records log, limits and credits."""

from __future__ import annotations

import httpx

from syncd.emulator import RunningEmulator


def _seed(admin: httpx.Client, count: int, product: str = "crm", module: str = "Contacts") -> None:
    body = {"module": module, "count": count, "seed": 5, "product": product}
    assert admin.post("seed", json=body).status_code == 200


def _ids(api: httpx.Client, path: str = "/crm/v8/Contacts") -> list[str]:
    return [r["id"] for r in api.get(path).json()["data"]]


def test_deleting_ids_answers_per_record_and_logs_them_as_recycled(
    admin: httpx.Client, api: httpx.Client
) -> None:
    _seed(admin, 4)
    ids = _ids(api)

    response = api.delete("/crm/v8/Contacts", params={"ids": ",".join(ids[:2])})

    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {"code": "SUCCESS", "details": {"id": i}, "message": "record deleted", "status": "success"}
            for i in ids[:2]
        ]
    }
    assert _ids(api) == ids[2:]
    deleted = api.get("/crm/v8/Contacts/deleted").json()["data"]
    assert sorted(d["id"] for d in deleted) == sorted(ids[:2])
    assert {d["type"] for d in deleted} == {"recycle"}


def test_unknown_ids_fail_alone_with_207_and_all_unknown_is_400(
    admin: httpx.Client, api: httpx.Client
) -> None:
    _seed(admin, 2)
    ids = _ids(api)

    mixed = api.delete("/crm/v8/Contacts", params={"ids": f"{ids[0]},999,abc"})

    assert mixed.status_code == 207
    results = mixed.json()["data"]
    assert [r["status"] for r in results] == ["success", "error", "error"]
    assert results[1] == {
        "code": "INVALID_DATA",
        "details": {"id": "999"},
        "message": "the id given seems to be invalid",
        "status": "error",
    }
    again = api.delete("/crm/v8/Contacts", params={"ids": ids[0]})
    assert again.status_code == 400 and again.json()["data"][0]["code"] == "INVALID_DATA"
    assert _ids(api) == ids[1:]


def test_one_record_by_path(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, 2)
    ids = _ids(api)

    response = api.delete(f"/crm/v8/Contacts/{ids[1]}")

    assert response.status_code == 200 and response.json()["data"][0]["details"] == {"id": ids[1]}
    assert _ids(api) == ids[:1]


def test_missing_or_too_many_ids_are_refused_whole(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, 1)
    missing = api.delete("/crm/v8/Contacts")
    assert missing.status_code == 400
    assert (missing.json()["code"], missing.json()["details"]) == ("REQUIRED_PARAM_MISSING", {"param": "ids"})
    too_many = api.delete("/crm/v8/Contacts", params={"ids": ",".join(str(i) for i in range(101))})
    assert (too_many.status_code, too_many.json()["code"]) == (400, "LIMIT_EXCEEDED")
    assert len(_ids(api)) == 1


def test_an_unknown_module_is_invalid_module(api: httpx.Client) -> None:
    response = api.delete("/crm/v8/Nonsense", params={"ids": "1"})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_MODULE")


def test_bigin_deletes_its_own_records(admin: httpx.Client, api: httpx.Client) -> None:
    _seed(admin, 2, product="bigin", module="Accounts")
    ids = _ids(api, "/bigin/v2/Accounts")

    response = api.delete("/bigin/v2/Accounts", params={"ids": ids[0]})

    assert response.status_code == 200
    assert _ids(api, "/bigin/v2/Accounts") == ids[1:]
    assert [d["id"] for d in api.get("/bigin/v2/Accounts/deleted").json()["data"]] == ids[:1]


def test_a_call_costs_one_credit_whatever_it_deletes(
    emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client
) -> None:
    _seed(admin, 50)
    ids = _ids(api)
    before = emulator.state.credits["crm"].used()

    api.delete("/crm/v8/Contacts", params={"ids": ",".join(ids[:50])})

    assert emulator.state.credits["crm"].used() - before == 1
