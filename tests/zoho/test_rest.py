from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from syncd.errors import ConfigError, ZohoAPIError
from syncd.zoho import ZohoClient

from .conftest import FakeZoho, json_answer


def upsert_answer(request: httpx.Request) -> httpx.Response:
    records = json.loads(request.content)["data"]
    items = []
    for i, record in enumerate(records):
        if record.get("Last_Name"):
            items.append(
                {
                    "code": "SUCCESS",
                    "action": "insert",
                    "details": {"id": f"id-{record['Email']}"},
                    "message": "record added",
                    "status": "success",
                }
            )
        else:
            items.append(
                {
                    "code": "MANDATORY_NOT_FOUND",
                    "details": {"api_name": "Last_Name", "json_path": f"$.data[{i}].Last_Name"},
                    "message": "required field not found",
                    "status": "error",
                }
            )
    return json_answer(207 if any(item["status"] == "error" for item in items) else 200, {"data": items})


def test_upsert_goes_in_chunks_of_100_with_per_record_outcomes(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on("POST /crm/v8/Contacts/upsert", upsert_answer)
    records = [{"Email": f"{i}@example.com", "Last_Name": "" if i == 150 else "N"} for i in range(250)]
    outcomes = make_client().rest.upsert("Contacts", records, duplicate_check_fields=["Email"])
    bodies = [json.loads(r.content) for r in fake.calls("POST /crm/v8/Contacts/upsert")]
    assert [len(b["data"]) for b in bodies] == [100, 100, 50]
    assert bodies[0]["duplicate_check_fields"] == ["Email"]
    assert bodies[0]["trigger"] == []
    assert len(outcomes) == 250
    assert outcomes[0].record_id == "id-0@example.com" and outcomes[0].action == "insert"
    failed = outcomes[150]
    assert (failed.index, failed.ok, failed.code, failed.field) == (
        150,
        False,
        "MANDATORY_NOT_FOUND",
        "Last_Name",
    )


def update_answer(request: httpx.Request) -> httpx.Response:
    records = json.loads(request.content)["data"]
    items = [
        {"code": "SUCCESS", "details": {"id": r["id"]}, "message": "record updated", "status": "success"}
        if r["id"] != "gone"
        else {"code": "INVALID_DATA", "details": {"api_name": "id"}, "message": "invalid", "status": "error"}
        for r in records
    ]
    return json_answer(207 if any(item["status"] == "error" for item in items) else 200, {"data": items})


def test_update_puts_records_by_id_in_chunks_of_100(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on("PUT /crm/v8/Contacts", update_answer)
    records = [{"id": "gone" if i == 120 else str(i), "Email": f"{i}@example.com"} for i in range(150)]

    outcomes = make_client().rest.update("Contacts", records)

    bodies = [json.loads(r.content) for r in fake.calls("PUT /crm/v8/Contacts")]
    assert [len(b["data"]) for b in bodies] == [100, 50]
    assert bodies[0]["trigger"] == [] and "duplicate_check_fields" not in bodies[0]
    assert (outcomes[0].ok, outcomes[0].action, outcomes[0].record_id) == (True, "update", "0")
    assert (outcomes[120].ok, outcomes[120].action, outcomes[120].code) == (False, None, "INVALID_DATA")


def test_an_upsert_refused_as_a_whole_is_an_api_error(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on(
        "POST /crm/v8/Contacts/upsert",
        json_answer(
            400,
            {
                "code": "INVALID_MODULE",
                "details": {},
                "message": "the module name given seems to be invalid",
                "status": "error",
            },
        ),
    )
    with pytest.raises(ZohoAPIError, match="INVALID_MODULE"):
        make_client().rest.upsert("Contacts", [{"Email": "x"}])


def test_modified_since_sends_the_header_and_follows_page_tokens(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on(
        "GET /crm/v8/Contacts",
        json_answer(
            200, {"data": [{"id": "1"}], "info": {"more_records": True, "next_page_token": "tok2", "page": 1}}
        ),
        json_answer(200, {"data": [{"id": "2"}], "info": {"more_records": False, "page": 2}}),
    )
    since = datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    records = list(make_client().rest.modified_since("Contacts", since, ["Last_Name", "Email"]))
    assert records == [{"id": "1"}, {"id": "2"}]
    first, second = fake.calls("GET /crm/v8/Contacts")
    assert first.headers["If-Modified-Since"] == "2025-01-02T03:04:05+00:00"
    assert first.url.params["fields"] == "Last_Name,Email"
    assert second.url.params["page_token"] == "tok2" and "page" not in second.url.params


def test_nothing_modified_is_an_empty_answer(fake: FakeZoho, make_client: Callable[..., ZohoClient]) -> None:
    fake.on("GET /crm/v8/Contacts", httpx.Response(304))
    assert (
        list(make_client().rest.modified_since("Contacts", datetime(2025, 1, 1, tzinfo=UTC), ["Email"])) == []
    )
    with pytest.raises(ConfigError, match="timezone-aware"):
        list(make_client().rest.modified_since("Contacts", datetime(2025, 1, 1), ["Email"]))


def test_deleted_records_page_by_number_and_204_means_none(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    page1 = {
        "data": [
            {
                "id": 410888000000099071,
                "type": "recycle",
                "deleted_time": "2015-06-19T11:19:38+05:30",
                "display_name": "Patricia",
            }
        ],
        "info": {"more_records": True, "page": 1},
    }
    page2 = {
        "data": [
            {
                "id": "410888000000680013",
                "type": "permanent",
                "deleted_by": None,
                "display_name": None,
                "deleted_time": "2016-10-26T11:44:15+05:30",
            }
        ],
        "info": {"more_records": False, "page": 2},
    }
    fake.on("GET /crm/v8/Contacts/deleted", json_answer(200, page1), json_answer(200, page2))
    deleted = list(make_client().rest.deleted("Contacts"))
    assert [(d.id, d.type) for d in deleted] == [
        ("410888000000099071", "recycle"),
        ("410888000000680013", "permanent"),
    ]
    assert [r.url.params["page"] for r in fake.calls("GET /crm/v8/Contacts/deleted")] == ["1", "2"]
    fake.on("GET /crm/v8/Leads/deleted", httpx.Response(204))
    assert list(make_client().rest.deleted("Leads", kind="recycle")) == []


def test_field_metadata_is_parsed_into_field_meta(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on(
        "GET /crm/v8/settings/fields",
        json_answer(
            200,
            {
                "fields": [
                    {
                        "api_name": "Lead_Source",
                        "data_type": "picklist",
                        "length": 120,
                        "pick_list_values": [{"display_value": "Web", "actual_value": "Web"}],
                    },
                    {
                        "api_name": "Account_Name",
                        "data_type": "lookup",
                        "lookup": {"module": {"api_name": "Accounts", "id": "1"}},
                        "system_mandatory": True,
                    },
                ]
            },
        ),
    )
    fields = make_client().rest.fields("Contacts")
    assert fields["Lead_Source"].picklist_values == ("Web",) and fields["Lead_Source"].length == 120
    assert fields["Account_Name"].lookup_module == "Accounts" and fields["Account_Name"].mandatory
    assert fake.calls("GET /crm/v8/settings/fields")[0].url.params["module"] == "Contacts"


def delete_answer(request: httpx.Request) -> httpx.Response:
    ids = request.url.params["ids"].split(",")
    items = [
        {"code": "SUCCESS", "details": {"id": i}, "message": "record deleted", "status": "success"}
        if not i.endswith("7")
        else {
            "code": "INVALID_DATA",
            "details": {"id": i},
            "message": "the id given seems to be invalid",
            "status": "error",
        }
        for i in ids
    ]
    return json_answer(207 if any(item["status"] == "error" for item in items) else 200, {"data": items})


def test_delete_goes_in_chunks_of_100_ids_with_per_record_outcomes(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    fake.on("DELETE /crm/v8/Contacts", delete_answer)
    ids = [str(1000 + i) for i in range(230)]

    outcomes = make_client().rest.delete("Contacts", ids)

    calls = fake.calls("DELETE /crm/v8/Contacts")
    assert [len(c.url.params["ids"].split(",")) for c in calls] == [100, 100, 30]
    assert calls[0].url.params["wf_trigger"] == "false"
    assert [o.record_id for o in outcomes] == ids
    assert [o.index for o in outcomes] == list(range(230))
    unknown = [o for o in outcomes if not o.ok]
    assert [o.record_id for o in unknown] == [i for i in ids if i.endswith("7")]
    assert all(o.unknown and not o.retryable for o in unknown)
    assert outcomes[0].ok and outcomes[0].code == "SUCCESS"


def test_a_delete_refused_as_a_whole_is_an_api_error(
    fake: FakeZoho, make_client: Callable[..., ZohoClient]
) -> None:
    refusal = {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param": "ids"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }
    fake.on("DELETE /crm/v8/Contacts", json_answer(400, refusal))
    with pytest.raises(ZohoAPIError, match="Contacts delete: REQUIRED_PARAM_MISSING"):
        make_client().rest.delete("Contacts", ["1"])


def test_deleting_no_ids_makes_no_call(fake: FakeZoho, make_client: Callable[..., ZohoClient]) -> None:
    assert make_client().rest.delete("Contacts", []) == []
    assert fake.calls("DELETE /crm/v8/Contacts") == []
