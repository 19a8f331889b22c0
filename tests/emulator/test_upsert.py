"""Upsert over HTTP: matching, per-record results, status codes and body errors."""

from __future__ import annotations

from typing import Any

import httpx

from syncd.emulator import RunningEmulator

UPSERT = "/crm/v8/Contacts/upsert"


def _upsert(api: httpx.Client, *records: dict[str, Any], **body: Any) -> httpx.Response:
    return api.post(UPSERT, json={"data": list(records), **body})


def test_insert_then_update_matched_on_the_system_duplicate_field(api: httpx.Client) -> None:
    first = _upsert(api, {"Last_Name": "Ito", "Email": "aiko@zylker.example"})
    assert first.status_code == 200
    added = first.json()["data"][0]
    assert (added["code"], added["action"], added["duplicate_field"]) == ("SUCCESS", "insert", None)
    assert added["message"] == "record added"
    assert set(added["details"]) == {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By"}
    second = _upsert(api, {"Last_Name": "Ito-Berg", "Email": "AIKO@zylker.example"})
    updated = second.json()["data"][0]
    assert (updated["action"], updated["duplicate_field"], updated["message"]) == (
        "update",
        "Email",
        "record updated",
    )
    assert updated["details"]["id"] == added["details"]["id"]
    stored = api.get("/crm/v8/Contacts", params={"fields": "Last_Name"}).json()["data"]
    assert stored == [{"id": added["details"]["id"], "Last_Name": "Ito-Berg"}]


def test_duplicate_check_fields_are_tried_in_the_order_given(api: httpx.Client) -> None:
    _upsert(api, {"Last_Name": "A", "Email": "a@x.example"}, {"Last_Name": "B", "Customer_Number": "77"})
    both = {"Last_Name": "C", "Email": "a@x.example", "Customer_Number": "77"}
    # matched on the first field listed, the update then clashes with the other record's value
    number_first = _upsert(api, both, duplicate_check_fields=["Customer_Number", "Email"]).json()["data"][0]
    assert (number_first["code"], number_first["details"]["api_name"]) == ("DUPLICATE_DATA", "Email")
    email_first = _upsert(api, both, duplicate_check_fields=["Email", "Customer_Number"]).json()["data"][0]
    assert (email_first["code"], email_first["details"]["api_name"]) == ("DUPLICATE_DATA", "Customer_Number")
    only_number = {"Last_Name": "D", "Email": "d@x.example", "Customer_Number": "77"}
    result = _upsert(api, only_number, duplicate_check_fields=["Email", "Customer_Number"]).json()["data"][0]
    assert (result["action"], result["duplicate_field"]) == ("update", "Customer_Number")


def test_a_field_that_is_not_unique_cannot_be_a_duplicate_check_field(api: httpx.Client) -> None:
    response = _upsert(api, {"Last_Name": "A"}, duplicate_check_fields=["Phone"])
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_DATA")
    assert response.json()["details"]["api_name"] == "Phone"


def test_results_come_in_input_order_and_mixed_outcomes_are_207(api: httpx.Client) -> None:
    response = _upsert(
        api,
        {"Last_Name": "Good"},
        {"First_Name": "No last name"},
        {"Last_Name": "Bad email", "Email": "not-an-email"},
        {"Last_Name": "L" * 81},
        {"Last_Name": "Also good", "Loyalty_Points": "12"},
    )
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == ["success", "error", "error", "error", "success"]
    missing, email, long = results[1], results[2], results[3]
    assert missing["code"] == "MANDATORY_NOT_FOUND"
    assert missing["details"] == {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"}
    assert missing["message"] == "required field not found"
    assert (email["code"], email["details"]["expected_data_type"]) == ("INVALID_DATA", "email")
    assert email["details"]["json_path"] == "$.data[2].Email"
    assert (long["code"], long["details"]["maximum_length"]) == ("INVALID_DATA", 80)


def test_all_records_failing_is_400(api: httpx.Client) -> None:
    response = _upsert(api, {"First_Name": "x"}, {"Email": "nope"})
    assert response.status_code == 400
    assert [r["code"] for r in response.json()["data"]] == ["MANDATORY_NOT_FOUND", "INVALID_DATA"]


def test_lookups_must_name_existing_records_and_owners_users(
    emulator: RunningEmulator, api: httpx.Client
) -> None:
    account = api.post("/crm/v8/Accounts/upsert", json={"data": [{"Account_Name": "Zylker"}]})
    account_id = account.json()["data"][0]["details"]["id"]
    user_id = str(emulator.state.records.users[2].id)
    response = _upsert(
        api,
        {"Last_Name": "A", "Account_Name": {"id": account_id}, "Owner": {"id": user_id}},
        {"Last_Name": "B", "Account_Name": account_id},
        {"Last_Name": "C", "Account_Name": {"id": "4876876000999999999"}},
        {"Last_Name": "D", "Owner": account_id},
    )
    codes = [r["code"] for r in response.json()["data"]]
    assert codes == ["SUCCESS", "SUCCESS", "INVALID_DATA", "INVALID_DATA"]
    stored = api.get("/crm/v8/Contacts", params={"fields": "Account_Name,Owner"}).json()["data"]
    assert stored[0]["Account_Name"] == {"id": account_id, "name": "Zylker"}
    assert stored[0]["Owner"]["id"] == user_id


def test_a_unique_value_held_by_another_record_is_duplicate_data(api: httpx.Client) -> None:
    _upsert(
        api,
        {"Last_Name": "A", "Email": "a@x.example"},
        {"Last_Name": "B", "Email": "b@x.example", "Customer_Number": "5"},
    )
    clash = _upsert(api, {"Email": "a@x.example", "Customer_Number": "5"}).json()["data"][0]
    assert clash["code"] == "DUPLICATE_DATA"
    assert clash["details"]["api_name"] == "Customer_Number"
    assert clash["details"]["json_path"] == "$.data[0].Customer_Number"
    assert clash["message"] == "duplicate data"


def test_an_update_may_not_empty_a_mandatory_field(api: httpx.Client) -> None:
    _upsert(api, {"Last_Name": "A", "Email": "a@x.example"})
    result = _upsert(api, {"Email": "a@x.example", "Last_Name": None}).json()["data"][0]
    assert (result["code"], result["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "Last_Name")
    kept = _upsert(api, {"Email": "a@x.example", "Title": "CEO"}).json()["data"][0]
    assert kept["action"] == "update"


def test_unknown_fields_are_refused_and_system_fields_ignored(api: httpx.Client) -> None:
    unknown = _upsert(api, {"Last_Name": "A", "Warp": 9}).json()["data"][0]
    assert (unknown["code"], unknown["details"]["api_name"]) == ("INVALID_DATA", "Warp")
    ignored = _upsert(api, {"Last_Name": "A", "Created_Time": "2001-01-01T00:00:00+00:00"})
    assert ignored.json()["data"][0]["details"]["Created_Time"] != "2001-01-01T00:00:00+00:00"


def test_body_errors(api: httpx.Client) -> None:
    too_many = _upsert(api, *({"Last_Name": str(i)} for i in range(101)))
    assert (too_many.status_code, too_many.json()["code"]) == (400, "LIMIT_EXCEEDED")
    no_data = api.post(UPSERT, json={"records": []})
    assert (no_data.status_code, no_data.json()["code"]) == (400, "MANDATORY_NOT_FOUND")
    empty = api.post(UPSERT, json={"data": []})
    assert (empty.status_code, empty.json()["code"]) == (400, "INVALID_DATA")
    garbled = api.post(UPSERT, content=b"{not json", headers={"Content-Type": "application/json"})
    assert (garbled.status_code, garbled.json()["code"]) == (400, "REQUEST_BODY_NOT_SUPPORTED")
    module = api.post("/crm/v8/Spaceships/upsert", json={"data": [{}]})
    assert (module.status_code, module.json()["code"]) == (400, "INVALID_MODULE")
    assert api.get("/crm/v8/Contacts").status_code == 204  # nothing was written


def test_a_hundred_records_is_allowed(api: httpx.Client) -> None:
    response = _upsert(api, *({"Last_Name": f"N{i}", "Email": f"n{i}@x.example"} for i in range(100)))
    assert response.status_code == 200
    assert len(response.json()["data"]) == 100


def test_bigin_upsert(api: httpx.Client) -> None:
    response = api.post("/bigin/v2/Accounts/upsert", json={"data": [{"Account_Name": "Zylker"}]})
    assert response.status_code == 200
    again = api.post(
        "/bigin/v2/Accounts/upsert", json={"data": [{"Account_Name": "zylker", "Phone": "+1555"}]}
    )
    assert again.json()["data"][0]["duplicate_field"] == "Account_Name"
    assert api.get("/crm/v8/Accounts").status_code == 204


def test_update_by_id_changes_a_unique_field_and_never_inserts(api: httpx.Client) -> None:
    added = _upsert(api, {"Last_Name": "Ito", "Email": "aiko@zylker.example"}).json()["data"][0]
    record_id = added["details"]["id"]

    answer = api.put(
        "/crm/v8/Contacts",
        json={
            "data": [
                {"id": record_id, "Email": "aiko.ito@zylker.example"},
                {"id": "1", "Email": "nobody@zylker.example"},
                {"Email": "no-id@zylker.example"},
            ]
        },
    )

    assert answer.status_code == 207
    updated, unknown, missing = answer.json()["data"]
    assert (updated["code"], updated["message"], updated["details"]["id"]) == (
        "SUCCESS",
        "record updated",
        record_id,
    )
    assert "action" not in updated
    assert (unknown["code"], unknown["details"]["json_path"]) == ("INVALID_DATA", "$.data[1].id")
    assert (missing["code"], missing["details"]["json_path"]) == ("MANDATORY_NOT_FOUND", "$.data[2].id")
    stored = api.get("/crm/v8/Contacts", params={"fields": "Email"}).json()["data"]
    assert stored == [{"id": record_id, "Email": "aiko.ito@zylker.example"}]
