from __future__ import annotations

from typing import Any

import httpx

from syncd.emulator import RunningEmulator


def _fields(api: httpx.Client, module: str, path: str = "/crm/v8") -> dict[str, dict[str, Any]]:
    response = api.get(f"{path}/settings/fields", params={"module": module})
    assert response.status_code == 200
    return {f["api_name"]: f for f in response.json()["fields"]}


def test_org_names_its_zgid_edition_and_users(emulator: RunningEmulator, api: httpx.Client) -> None:
    org = api.get("/crm/v8/org").json()["org"][0]
    assert org["zgid"] == str(emulator.state.zgids["crm"])
    assert org["id"] == str(emulator.state.org_ids["crm"])
    assert org["company_name"] == "Zylker Demo"
    assert org["time_zone"] == "UTC"
    assert org["license_details"]["paid_type"] == "enterprise"
    assert org["license_details"]["users_license_purchased"] == 10


def test_bigin_is_a_separate_org(emulator: RunningEmulator, api: httpx.Client) -> None:
    bigin = api.get("/bigin/v2/org").json()["org"][0]
    crm = api.get("/crm/v2/org").json()["org"][0]
    assert bigin["zgid"] != crm["zgid"]


def test_fields_carry_type_length_mandatory_and_unique(api: httpx.Client) -> None:
    fields = _fields(api, "Contacts")
    assert fields["Last_Name"]["system_mandatory"] is True
    assert fields["Last_Name"]["length"] == 80
    assert fields["First_Name"]["system_mandatory"] is False
    assert fields["Email"]["data_type"] == "email"
    assert fields["Email"]["unique"] == {"casesensitive": "false"}
    assert fields["Phone"]["unique"] == {}
    assert fields["Credit_Limit"]["json_type"] == "double"
    assert fields["Credit_Limit"]["decimal_place"] == 2
    assert fields["Created_Time"]["read_only"] is True
    assert fields["Owner"]["read_only"] is False
    assert all(len(f["id"]) == 19 and f["id"].isdigit() for f in fields.values())
    assert len({f["id"] for f in fields.values()}) == len(fields)


def test_picklists_list_their_values_and_lookups_their_target(api: httpx.Client) -> None:
    fields = _fields(api, "Contacts")
    values = fields["Lead_Source"]["pick_list_values"]
    assert values[0]["display_value"] == values[0]["actual_value"] == "Advertisement"
    assert [v["sequence_number"] for v in values] == list(range(1, len(values) + 1))
    assert fields["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert fields["Owner"]["data_type"] == "ownerlookup"
    assert fields["Email"]["lookup"] == {}


def test_api_v2_names_a_lookup_module_with_a_string(api: httpx.Client) -> None:
    assert _fields(api, "Contacts", "/crm/v2")["Account_Name"]["lookup"]["module"] == "Accounts"
    assert _fields(api, "Contacts", "/crm/v2.1")["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"


def test_picklist_values_learnt_from_writes_are_listed(api: httpx.Client) -> None:
    record = {"Last_Name": "Ito", "Lead_Source": "Podcast"}
    assert api.post("/crm/v8/Contacts/upsert", json={"data": [record]}).status_code == 200
    values = [v["actual_value"] for v in _fields(api, "Contacts")["Lead_Source"]["pick_list_values"]]
    assert values[-1] == "Podcast"
    assert values.count("Podcast") == 1


def test_bigin_modules_have_their_own_fields(api: httpx.Client) -> None:
    fields = _fields(api, "Pipelines", "/bigin/v2")
    assert fields["Pipeline"]["system_mandatory"] is True


def test_module_missing_or_unknown(api: httpx.Client) -> None:
    missing = api.get("/crm/v8/settings/fields")
    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert missing.json()["details"] == {"param": "module"}
    unknown = api.get("/crm/v8/settings/fields", params={"module": "Spaceships"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_MODULE")


def test_metadata_needs_a_token(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.url}/crm/v8/org")
    assert (response.status_code, response.json()["code"]) == (401, "AUTHENTICATION_FAILURE")
