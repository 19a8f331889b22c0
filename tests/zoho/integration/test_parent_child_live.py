"""A parent-child bulk write (Contacts with their subform rows) against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable

from syncd.emulator import RunningEmulator
from syncd.zoho import ChildRows, ZohoClient


def test_parents_and_subform_rows_go_in_one_job(
    emulator: RunningEmulator, connect: Callable[..., ZohoClient]
) -> None:
    writer = connect().bulk_write
    parents = [
        {"Email": "pc1@example.com", "Last_Name": "Parent One"},
        {"Email": "pc2@example.com", "Last_Name": "Parent Two"},
    ]
    items = ChildRows(
        "Contact_Sub",
        [
            {"Parent_Id": "pc1@example.com", "Item_Name": "Widget", "Quantity": 2},
            {"Parent_Id": "pc1@example.com", "Item_Name": "Gadget", "Quantity": 1},
            {"Parent_Id": "pc2@example.com", "Item_Name": "Gizmo", "Quantity": 5},
        ],
        ["Parent_Id", "Item_Name", "Quantity"],
        parent_column="Parent_Id",
        parent_ref="Email",
    )
    batch = writer.prepare_parent_child(
        "Contacts", parents, columns=["Email", "Last_Name"], key=lambda row: row["Email"], children=[items]
    )
    job = writer.wait(writer.create_job(batch, writer.upload(batch), operation="insert"))
    results = writer.fetch_results(job, batch)
    assert [(o.key, o.status) for o in results["Contacts.csv"]] == [
        ("pc1@example.com", "ADDED"),
        ("pc2@example.com", "ADDED"),
    ]
    with emulator.admin() as admin:
        stored = [
            json.loads(line) for line in admin.get("records/Contacts").text.splitlines() if line.strip()
        ]
        children = [
            json.loads(line) for line in admin.get("records/Contact_Sub").text.splitlines() if line.strip()
        ]
    parent_ids = {record["Email"]: record["id"] for record in stored}
    linked = sorted((item["Parent_Id"]["id"], item["Item_Name"]) for item in children)
    assert linked == sorted(
        [
            (parent_ids["pc1@example.com"], "Widget"),
            (parent_ids["pc1@example.com"], "Gadget"),
            (parent_ids["pc2@example.com"], "Gizmo"),
        ]
    )
    assert [o.status for o in results["Contact_Sub.csv"]] == ["ADDED"] * 3
