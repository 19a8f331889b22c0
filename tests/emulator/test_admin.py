"""The admin API under /__emulator__/."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.emulator.app import build_app
from syncd.emulator.jobs import BulkJob
from syncd.emulator.seed import seed_order
from syncd.emulator.server import prepare

from .writing import job_body, run, upload_csv


def _lines(admin: httpx.Client, module: str, **params: str) -> list[dict[str, Any]]:
    response = admin.get(f"records/{module}", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_non_loopback_clients_are_refused() -> None:
    app = build_app(prepare(EmulatorSettings()))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 40000))

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.get("/__emulator__/stats")

    response = asyncio.run(call())
    assert (response.status_code, "loopback" in response.json()["error"]) == (403, True)


def test_seed_is_deterministic_and_realistic(admin: httpx.Client) -> None:
    body = {"module": "Contacts", "count": 50, "seed": 9}
    assert admin.post("seed", json=body).json() == {
        "product": "crm",
        "module": "Contacts",
        "added": 50,
        "total": 50,
    }
    first = _lines(admin, "Contacts")
    with start_emulator(EmulatorSettings()) as other, other.admin() as other_admin:
        other_admin.post("seed", json=body)
        second = _lines(other_admin, "Contacts")
    strip = [
        {k: v for k, v in r.items() if k not in {"id", "Owner", "Created_By", "Modified_By"}} for r in first
    ]
    assert strip == [
        {k: v for k, v in r.items() if k not in {"id", "Owner", "Created_By", "Modified_By"}} for r in second
    ]
    person = first[0]
    local = person["Email"].split("@")[0]
    assert local.startswith(person["First_Name"].lower())
    assert len({r["Email"] for r in first}) == 50


def test_seeded_lookups_point_at_seeded_records(admin: httpx.Client) -> None:
    admin.post("seed", json={"module": "Accounts", "count": 10})
    admin.post("seed", json={"module": "Contacts", "count": 40})
    accounts = {r["id"]: r["Account_Name"] for r in _lines(admin, "Accounts")}
    linked = [r["Account_Name"] for r in _lines(admin, "Contacts") if r["Account_Name"]]
    assert len(linked) > 20
    assert all(link["id"] in accounts and link["name"] == accounts[link["id"]] for link in linked)


def test_serve_seeds_lookup_targets_first() -> None:
    settings = EmulatorSettings(seed={"Deals": 10, "Contacts": 30, "Accounts": 5, "bigin:Contacts": 3})
    state = prepare(settings)
    order = seed_order(state, settings.seed)
    assert order.index("Accounts") < order.index("Contacts") < order.index("Deals")
    contacts = state.records.table("crm", "Contacts")
    position = contacts.module.index["Account_Name"]
    assert any(row[position] is not None for row in contacts.rows.values())
    assert state.records.count("bigin", "Contacts") == 3


def test_seed_errors_name_what_was_wrong(admin: httpx.Client) -> None:
    unknown = admin.post("seed", json={"module": "Spaceships", "count": 1})
    assert unknown.status_code == 404 and "Spaceships" in unknown.json()["error"]
    count = admin.post("seed", json={"module": "Contacts", "count": -1})
    assert count.status_code == 400 and "count" in count.json()["error"]
    product = admin.post("seed", json={"module": "Contacts", "count": 1, "product": "desk"})
    assert product.status_code == 400 and "desk" in product.json()["error"]
    garbled = admin.post("seed", content=b"{nope")
    assert garbled.status_code == 400


def test_records_of_bigin_are_streamed_apart(admin: httpx.Client) -> None:
    admin.post("seed", json={"module": "Accounts", "count": 2, "product": "bigin"})
    assert len(_lines(admin, "Accounts", product="bigin")) == 2
    assert _lines(admin, "Accounts") == []


def test_loaded_records_are_validated_like_rest_and_return_ids(
    admin: httpx.Client, api: httpx.Client
) -> None:
    added = admin.post(
        "records/Accounts", json={"records": [{"Account_Name": "Zylker"}, {"Account_Name": "Acme"}]}
    )
    ids = added.json()["ids"]
    assert len(ids) == 2
    contact = {"Last_Name": "Ito", "Account_Name": {"id": ids[1]}, "Interests": ["Cloud", "AI"]}
    assert admin.post("records/Contacts", json={"records": [contact]}).status_code == 200
    stored = api.get("/crm/v8/Contacts", params={"fields": "Account_Name,Interests"}).json()["data"][0]
    assert stored["Account_Name"] == {"id": ids[1], "name": "Acme"}
    assert stored["Interests"] == ["Cloud", "AI"]


def test_a_bad_record_refuses_the_whole_batch(admin: httpx.Client) -> None:
    batch = [{"Last_Name": "Fine"}, {"First_Name": "No last name"}]
    refused = admin.post("records/Contacts", json={"records": batch})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("records[1]: Last_Name")
    twice = [{"Account_Name": "Zylker"}, {"Account_Name": "ZYLKER"}]
    duplicate = admin.post("records/Accounts", json={"records": twice})
    assert duplicate.status_code == 400 and "records[1].Account_Name" in duplicate.json()["error"]
    shape = admin.post("records/Accounts", json={"rows": []})
    assert shape.status_code == 400
    assert _lines(admin, "Contacts") == [] and _lines(admin, "Accounts") == []


def test_update_as_a_crm_user(emulator: RunningEmulator, admin: httpx.Client) -> None:
    record_id = admin.post("records/Contacts", json={"records": [{"Last_Name": "Ito"}]}).json()["ids"][0]
    before = _lines(admin, "Contacts")[0]["Modified_Time"]
    emulator.state.clock.advance(90)
    updated = admin.patch(f"records/Contacts/{record_id}", json={"Title": "CTO"})
    assert updated.json()["Title"] == "CTO"
    assert updated.json()["Modified_Time"] > before
    bad = admin.patch(f"records/Contacts/{record_id}", json={"Email": "nope"})
    assert bad.status_code == 400 and "Email" in bad.json()["error"]
    assert admin.patch("records/Contacts/123", json={"Title": "x"}).status_code == 404


def test_deletes_show_in_the_deleted_records_api(admin: httpx.Client, api: httpx.Client) -> None:
    ids = admin.post("records/Contacts", json={"records": [{"Last_Name": "A"}, {"Last_Name": "B"}]}).json()[
        "ids"
    ]
    assert admin.delete(f"records/Contacts/{ids[0]}").json() == {"deleted": ids[0], "permanent": False}
    admin.delete(f"records/Contacts/{ids[1]}", params={"permanent": "true"})
    deleted = api.get("/crm/v8/Contacts/deleted").json()["data"]
    assert [(d["id"], d["type"]) for d in deleted] == [(ids[1], "permanent"), (ids[0], "recycle")]
    assert admin.delete(f"records/Contacts/{ids[0]}").status_code == 404


def test_stats_report_counts_credits_tokens_faults_jobs_and_downloads(
    emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client
) -> None:
    admin.post("seed", json={"module": "Accounts", "count": 7})
    api.get("/crm/v8/Accounts")
    admin.put("faults", json={"throttle_next": 1})
    api.get("/crm/v8/org")
    emulator.state.extras["downloads"] = {"served": 3, "throttled": 1}
    stats = admin.get("stats").json()
    assert stats["products"]["crm"]["records"]["Accounts"] == 7
    assert stats["products"]["crm"]["credits"]["used"] == 1
    assert stats["products"]["crm"]["credits"]["left"] == stats["products"]["crm"]["credits"]["allowed"] - 1
    assert stats["tokens_minted"] == 1
    assert stats["faults"]["injected"] == {"throttle_next": 1}
    assert stats["downloads"] == {"served": 3, "throttled": 1}
    assert stats["jobs"] == {}


class _Job(BulkJob):
    operation = "read"

    def __init__(self, job_id: int, created_at: float, duration: float) -> None:
        super().__init__(job_id, "crm", "v8", 1, created_at, duration, None)
        self.state = "COMPLETED"

    def execute(self) -> None:
        self.state = "COMPLETED"

    def details(self, base_url: str) -> dict[str, Any]:
        return {"id": str(self.id), "state": self.state}


def test_stats_count_jobs_by_state(emulator: RunningEmulator, admin: httpx.Client) -> None:
    runner = emulator.state.extras["jobs"]
    now = emulator.state.clock.time()
    finished = _Job(1, now, 1000.0)
    finished.finished = True
    runner.add(finished)
    runner.add(_Job(2, now, 1000.0))
    runner.add(_Job(3, now, 1000.0))
    assert admin.get("stats").json()["jobs"] == {"read": {"COMPLETED": 1, "ADDED": 2}}
    admin.post("reset")
    assert admin.get("stats").json()["jobs"] == {}


def test_stats_follow_a_real_bulk_write_job(
    emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client
) -> None:
    details = run(api, job_body(upload_csv(api, emulator, "Last_Name,Email\nBoyle,p.boyle@example.com\n")))
    assert api.get(details["result"]["download_url"]).status_code == 200
    stats = admin.get("stats").json()
    assert stats["jobs"] == {"write": {"COMPLETED": 1}}
    assert stats["uploads"] == 1
    assert stats["downloads"]["bulk_write"]["served"] == 1
    assert stats["products"]["crm"]["credits"]["used"] >= 500


def test_reset_empties_the_org_but_keeps_tokens(admin: httpx.Client, api: httpx.Client) -> None:
    admin.post("seed", json={"module": "Accounts", "count": 7})
    api.get("/crm/v8/Accounts")
    assert admin.post("reset").json() == {"reset": True}
    stats = admin.get("stats").json()
    assert stats["products"]["crm"]["records"]["Accounts"] == 0
    assert stats["products"]["crm"]["credits"]["used"] == 0
    assert api.get("/crm/v8/Accounts").status_code == 204


def test_the_clock_moves_forward_only(emulator: RunningEmulator, admin: httpx.Client) -> None:
    before = emulator.state.clock.time()
    moved = admin.post("clock/advance", json={"seconds": 3600})
    assert moved.status_code == 200 and moved.json()["now"]
    assert emulator.state.clock.time() - before >= 3600
    backwards = admin.post("clock/advance", json={"seconds": -5})
    assert backwards.status_code == 400 and "seconds" in backwards.json()["error"]


def test_unknown_admin_paths_get_an_admin_error(admin: httpx.Client) -> None:
    response = admin.get("teleport")
    assert (response.status_code, "teleport" in response.json()["error"]) == (404, True)
    module = admin.get("records/Spaceships")
    assert module.status_code == 404 and "Spaceships" in module.json()["error"]


def test_reset_forgets_uploads_and_bulk_read_results(
    emulator: RunningEmulator, admin: httpx.Client, api: httpx.Client
) -> None:
    from syncd.emulator.bulk_read import bulk_reads

    file_id = upload_csv(api, emulator, "Last_Name\nBoyle\n")
    job = api.post("/crm/bulk/v8/read", json={"query": {"module": {"api_name": "Contacts"}}})
    assert job.status_code == 201
    emulator.state.extras["jobs"].run_due()
    results = bulk_reads(emulator.state).root
    assert list(results.glob("*.zip"))
    assert admin.post("reset").json() == {"reset": True}
    assert admin.get("stats").json()["uploads"] == 0
    assert not list(results.glob("*.zip"))
    write = api.post("/crm/bulk/v8/write", json=job_body(file_id, operation="insert"))
    assert write.json()["code"] == "INVALID_FILE_ID"
