"""Parent-child bulk write jobs: one zip, a CSV per module, children tied to parent rows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from syncd.emulator import RunningEmulator

from .writing import create, result_files, run, upload, zip_of

PARENT = "Ref,Last_Name,Email\nC1,Boyle,b@example.com\nC2,,k@example.com\nC3,Chen,c@example.com\n"
SUBFORM = "Item,Qty,ParentRef\nBolts,3,C1\nNuts,4,C1\nWashers,5,C2\nGears,1,C9\n"


def resources(file_id: str, product_id: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "data",
            "module": {"api_name": "Contacts"},
            "file_id": file_id,
            "file_names": ["contacts.csv"],
            "field_mappings": [{"api_name": "Last_Name", "index": 1}, {"api_name": "Email", "index": 2}],
        },
        {
            "type": "data",
            "module": {"api_name": "Contact_Sub"},
            "file_id": file_id,
            "file_names": ["sub.csv"],
            "field_mappings": [
                {"api_name": "Item_Name", "index": 0},
                {"api_name": "Quantity", "index": 1},
                {"api_name": "Parent_Id", "index": 2, "parent_column_index": 0},
            ],
        },
        {
            "type": "data",
            "module": {"api_name": "Contacts_X_Products"},
            "file_id": file_id,
            "file_names": ["links.csv"],
            "field_mappings": [
                {"api_name": "Contact", "index": 0, "parent_column_index": 0},
                {"api_name": "Product", "index": 1, "find_by": "id"},
            ],
        },
    ]


@pytest.fixture
def family(api: httpx.Client, emulator: RunningEmulator) -> tuple[str, int]:
    product = emulator.state.records.insert(
        "crm", "Products", {"Product_Name": "Widget"}, emulator.state.records.users[0].id
    )
    links = f"ContactRef,Product\nC1,{product}\nC3,{product}\n"
    content = zip_of({"contacts.csv": PARENT, "sub.csv": SUBFORM, "links.csv": links})
    return upload(api, emulator, content), product


def test_children_are_tied_to_the_parent_rows_of_the_same_job(
    api: httpx.Client, emulator: RunningEmulator, family: tuple[str, int]
) -> None:
    file_id, product = family
    details = run(api, {"operation": "insert", "resource": resources(file_id, product)})
    assert details["status"] == "COMPLETED"
    counts = [
        (r["module"]["api_name"], r["file"]["added_count"], r["file"]["skipped_count"])
        for r in details["resource"]
    ]
    assert counts == [("Contacts", 2, 1), ("Contact_Sub", 2, 2), ("Contacts_X_Products", 2, 0)]
    files = result_files(api, details)
    assert sorted(files) == ["Contact_Sub-sub.csv", "Contacts-contacts.csv", "Contacts_X_Products-links.csv"]
    parents = files["Contacts-contacts.csv"]
    assert [p["STATUS"] for p in parents] == ["ADDED", "SKIPPED", "ADDED"]
    boyle, chen = int(parents[0]["RECORD_ID"]), int(parents[2]["RECORD_ID"])
    children = files["Contact_Sub-sub.csv"]
    assert [c["STATUS"] for c in children] == ["ADDED", "ADDED", "UNPROCESSED", "SKIPPED"]
    assert children[3]["ERRORS"] == "RESOURCE_NOT_FOUND-ParentRef"
    store = emulator.state.records
    sub_rows = [store.get("crm", "Contact_Sub", int(c["RECORD_ID"])) for c in children[:2]]
    assert [(r or {}).get("Parent_Id") for r in sub_rows] == [boyle, boyle]
    links = [
        store.get("crm", "Contacts_X_Products", int(x["RECORD_ID"]))
        for x in files["Contacts_X_Products-links.csv"]
    ]
    assert [((x or {}).get("Contact"), (x or {}).get("Product")) for x in links] == [
        (boyle, product),
        (chen, product),
    ]


def test_the_job_details_show_each_resource_with_its_parent_column(
    api: httpx.Client, family: tuple[str, int]
) -> None:
    file_id, product = family
    details = run(api, {"operation": "insert", "resource": resources(file_id, product)})
    link = details["resource"][1]["field_mappings"][2]
    assert (link["api_name"], link["index"], link["parent_column_index"]) == ("Parent_Id", 2, 0)
    assert [r["file"]["name"] for r in details["resource"]] == ["contacts.csv", "sub.csv", "links.csv"]


def _broken(change: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if change == "child first":
        return [items[1], items[0]]
    if change == "not a child":
        items[1]["module"] = {"api_name": "Leads"}
    if change == "no file_names":
        del items[1]["file_names"]
    if change == "unknown file name":
        items[1]["file_names"] = ["nope.csv"]
    if change == "no parent_column_index":
        items[1]["field_mappings"][2] = {"api_name": "Parent_Id", "index": 2, "find_by": "id"}
    if change == "parent column out of range":
        items[1]["field_mappings"][2]["parent_column_index"] = 3
    if change == "parent column on the wrong field":
        items[1]["field_mappings"][2] = {"api_name": "Parent_Id", "index": 2, "find_by": "id"}
        items[1]["field_mappings"][0]["parent_column_index"] = 0
    if change == "no field_mappings":
        del items[2]["field_mappings"]
    if change == "module twice":
        items.append(dict(items[1]))
    return items


PARENT_CHILD_ERRORS = [
    ("child first", "INVALID_DATA"),
    ("not a child", "INVALID_DATA"),
    ("no file_names", "MANDATORY_NOT_FOUND"),
    ("unknown file name", "INVALID_DATA"),
    ("no parent_column_index", "MANDATORY_NOT_FOUND"),
    ("parent column out of range", "COLUMN_INDEX_NOT_FOUND"),
    ("parent column on the wrong field", "INVALID_DATA"),
    ("no field_mappings", "MANDATORY_NOT_FOUND"),
    ("module twice", "INVALID_DATA"),
]


@pytest.mark.parametrize(("change", "code"), PARENT_CHILD_ERRORS, ids=[c for c, _ in PARENT_CHILD_ERRORS])
def test_malformed_parent_child_jobs_are_refused(
    api: httpx.Client, emulator: RunningEmulator, family: tuple[str, int], change: str, code: str
) -> None:
    file_id, product = family
    body = {"operation": "insert", "resource": _broken(change, resources(file_id, product))}
    response = create(api, body)
    assert (response.status_code, response.json()["code"]) == (400, code), response.text
    assert emulator.state.records.count("crm", "Contacts") == 0


def test_all_resources_share_one_file_id(
    api: httpx.Client, emulator: RunningEmulator, family: tuple[str, int]
) -> None:
    file_id, product = family
    items = resources(file_id, product)
    items[2]["file_id"] = upload(api, emulator, zip_of({"links.csv": f"ContactRef,Product\nC1,{product}\n"}))
    response = create(api, {"operation": "insert", "resource": items})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_FILE_ID")
    assert "share one file_id" in response.json()["message"]
