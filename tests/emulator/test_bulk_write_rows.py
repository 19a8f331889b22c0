"""What a bulk write job does with each row: types, lookups, mandatory and unique fields, operations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from syncd.emulator import RunningEmulator

from .writing import job_body, result_rows, run, upload, upload_csv, zip_of


def write(
    api: httpx.Client, emulator: RunningEmulator, text: str, operation: str = "insert", **options: Any
) -> list[dict[str, str]]:
    module = options.pop("module", "Contacts")
    top = {k: options.pop(k) for k in ("ignore_empty", "character_encoding") if k in options}
    body = {**job_body(upload_csv(api, emulator, text), module, operation, **options), **top}
    details = run(api, body)
    assert details["status"] == "COMPLETED"
    return result_rows(api, details)


def record(emulator: RunningEmulator, row: dict[str, str], module: str = "Contacts") -> dict[str, Any]:
    found = emulator.state.records.get("crm", module, int(row["RECORD_ID"]))
    assert found is not None
    return found


def owner(emulator: RunningEmulator) -> int:
    return emulator.state.records.users[0].id


def seed(emulator: RunningEmulator, module: str, **values: Any) -> int:
    return emulator.state.records.insert("crm", module, values, owner(emulator))


def test_the_result_echoes_every_input_column_then_status_id_and_errors_in_input_order(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    text = (
        "Last_Name,Email,Phone\n"
        "Boyle,p.boyle@example.com,9800000099\n"
        ",j.doe@example.com,98-00\n"
        "Smith,p.boyle@example.com,1\n"
    )
    rows = write(api, emulator, text)
    assert list(rows[0]) == ["Last_Name", "Email", "Phone", "STATUS", "RECORD_ID", "ERRORS"]
    assert [r["Email"] for r in rows] == ["p.boyle@example.com", "j.doe@example.com", "p.boyle@example.com"]
    assert [r["STATUS"] for r in rows] == ["ADDED", "SKIPPED", "SKIPPED"]
    assert rows[0]["RECORD_ID"] and rows[1]["RECORD_ID"] == "" and rows[0]["ERRORS"] == ""
    assert rows[1]["ERRORS"] == "INVALID_DATA-Phone:MANDATORY_NOT_FOUND-Last_Name"
    assert rows[2]["ERRORS"] == "DUPLICATE_DATA-Email"


def test_errors_of_one_code_list_their_columns_together(api: httpx.Client, emulator: RunningEmulator) -> None:
    rows = write(api, emulator, "Last_Name,Company,Email\n,,x@example.com\n", module="Leads")
    assert rows[0]["ERRORS"] == "MANDATORY_NOT_FOUND-Last_Name,Company"


def test_values_are_checked_by_type(api: httpx.Client, emulator: RunningEmulator) -> None:
    cases = [
        ("First_Name", "x" * 41, "INVALID_DATA"),
        ("Email", "not-an-email", "INVALID_DATA"),
        ("Phone", "call me", "INVALID_DATA"),
        ("Loyalty_Points", "1234567890", "INVALID_DATA"),
        ("Loyalty_Points", "12.5", "INVALID_DATA"),
        ("Credit_Limit", "abc", "INVALID_DATA"),
        ("Date_of_Birth", "28.08.2019", "INVALID_DATA"),
        ("Last_Contacted", "yesterday", "INVALID_DATA"),
        ("Email_Opt_Out", "yes", "INVALID_DATA"),
        ("Home_Page", "not a url", "INVALID_DATA"),
    ]
    text = "Last_Name,Field\n"
    for column, value, code in cases:
        rows = write(api, emulator, text.replace("Field", column) + f"Boyle,{value}\n")
        assert rows[0]["STATUS"] == "SKIPPED", column
        assert rows[0]["ERRORS"] == f"{code}-{column}", column
    assert emulator.state.records.count("crm", "Contacts") == 0


def test_dates_take_iso_and_us_forms_and_a_mapping_format(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    rows = write(api, emulator, "Last_Name,Date_of_Birth\nA,2019-08-28\nB,08/28/2019\n")
    assert [record(emulator, r)["Date_of_Birth"] for r in rows] == [date(2019, 8, 28)] * 2
    mapped = write(
        api,
        emulator,
        "Last_Name,Born,Seen\nC,28.08.2019,28.08.2019 13:45\n",
        field_mappings=[
            {"api_name": "Last_Name", "index": 0},
            {"api_name": "Date_of_Birth", "index": 1, "format": "dd.MM.yyyy"},
            {"api_name": "Last_Contacted", "index": 2, "format": "dd.MM.yyyy HH:mm"},
        ],
    )
    stored = record(emulator, mapped[0])
    assert stored["Date_of_Birth"] == date(2019, 8, 28)
    assert stored["Last_Contacted"] == 1566999900  # 2019-08-28T13:45:00Z


def test_date_times_take_iso_8601_with_offset(api: httpx.Client, emulator: RunningEmulator) -> None:
    rows = write(
        api, emulator, "Last_Name,Last_Contacted\nA,2019-08-28T15:45:00+02:00\nB,08/28/2019 13:45:00\n"
    )
    assert [record(emulator, r)["Last_Contacted"] for r in rows] == [1566999900, 1566999900]


def test_a_number_format_reads_grouping_and_decimal_marks(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    rows = write(
        api,
        emulator,
        "Last_Name;Credit_Limit\nA;1.234.567,89\n",
        field_mappings=[
            {"api_name": "Last_Name", "index": 0},
            {"api_name": "Credit_Limit", "index": 1, "format": "#.##0,00"},
        ],
    )
    assert record(emulator, rows[0])["Credit_Limit"] == Decimal("1234567.89")


def test_new_picklist_values_are_accepted_and_remembered(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    rows = write(api, emulator, 'Last_Name,Lead_Source,Interests\nA,Podcast,"Cloud;Quantum"\n')
    stored = record(emulator, rows[0])
    assert (stored["Lead_Source"], stored["Interests"]) == ("Podcast", ("Cloud", "Quantum"))
    table = emulator.state.records.table("crm", "Contacts")
    assert table.new_picklist_values == {"Lead_Source": ["Podcast"], "Interests": ["Quantum"]}


def test_lookups_resolve_to_existing_records_by_id_or_name(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    zylker = seed(emulator, "Accounts", Account_Name="Zylker")
    by_id = write(api, emulator, f"Last_Name,Account_Name.id\nA,{zylker}\nB,4876876000099999999\n")
    assert record(emulator, by_id[0])["Account_Name"] == zylker
    assert (by_id[1]["STATUS"], by_id[1]["ERRORS"]) == ("SKIPPED", "INVALID_DATA-Account_Name.id")
    by_name = write(api, emulator, "Last_Name,Account_Name.Account_Name\nC,zylker\nD,Nobody Inc\n")
    assert record(emulator, by_name[0])["Account_Name"] == zylker
    assert by_name[1]["ERRORS"] == "INVALID_DATA-Account_Name.Account_Name"


def test_a_lookup_mapping_finds_by_the_display_field(api: httpx.Client, emulator: RunningEmulator) -> None:
    contact = seed(emulator, "Contacts", Last_Name="Boyle")
    rows = write(
        api,
        emulator,
        "Name,Stage,Closing,Contact\nBig deal,Qualification,2024-01-31,Boyle\n",
        module="Deals",
        field_mappings=[
            {"api_name": "Deal_Name", "index": 0},
            {"api_name": "Stage", "index": 1},
            {"api_name": "Closing_Date", "index": 2},
            {"api_name": "Contact_Name", "index": 3, "find_by": "Last_Name"},
        ],
    )
    assert record(emulator, rows[0], "Deals")["Contact_Name"] == contact


def test_a_lookup_cannot_point_at_a_row_of_the_same_job(api: httpx.Client, emulator: RunningEmulator) -> None:
    rows = write(
        api,
        emulator,
        "Account_Name,Parent_Account.Account_Name\nHolding,\nDaughter,Holding\n",
        module="Accounts",
    )
    assert [r["STATUS"] for r in rows] == ["ADDED", "SKIPPED"]
    assert rows[1]["ERRORS"] == "INVALID_DATA-Parent_Account.Account_Name"


def test_owners_are_found_by_id_or_email(api: httpx.Client, emulator: RunningEmulator) -> None:
    second = emulator.state.records.users[1]
    rows = write(api, emulator, f"Last_Name,Owner.email\nA,{second.email.upper()}\nB,nobody@example.com\n")
    assert record(emulator, rows[0])["Owner"] == second.id
    assert rows[1]["ERRORS"] == "INVALID_DATA-Owner.email"
    by_id = write(api, emulator, f"Last_Name,Owner\nC,{second.id}\n")
    assert record(emulator, by_id[0])["Owner"] == second.id


def test_unique_values_clash_with_existing_records_and_earlier_rows(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    seed(emulator, "Contacts", Last_Name="Old", Customer_Number=7)
    rows = write(api, emulator, "Last_Name,Customer_Number\nA,7\nB,8\nC,8\n")
    assert [r["STATUS"] for r in rows] == ["SKIPPED", "ADDED", "SKIPPED"]
    assert rows[0]["ERRORS"] == rows[2]["ERRORS"] == "DUPLICATE_DATA-Customer_Number"


def test_insert_with_find_by_skips_records_that_exist(api: httpx.Client, emulator: RunningEmulator) -> None:
    seed(emulator, "Contacts", Last_Name="Old", Email="p.boyle@example.com")
    rows = write(
        api, emulator, "Last_Name,Email\nBoyle,p.boyle@example.com\nKeller,t@example.com\n", find_by="Email"
    )
    assert [r["STATUS"] for r in rows] == ["SKIPPED", "ADDED"]
    assert rows[0]["ERRORS"] == "DUPLICATE_DATA-Email"


def test_update_changes_matched_records_and_their_modified_time(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    kept = seed(emulator, "Contacts", Last_Name="Boyle", Title="CEO", Phone="1")
    blanked = seed(emulator, "Contacts", Last_Name="Keller", Title="CTO", Phone="2")
    created = emulator.state.records.get("crm", "Contacts", kept)
    assert created is not None
    emulator.state.clock.advance(600)
    text = f"id,Title,Phone\n{kept},,10\n{blanked},VP,\n4876876000099999999,X,3\n,Y,4\n"
    rows = write(api, emulator, text, "update", find_by="id", ignore_empty=True)
    assert [r["STATUS"] for r in rows] == ["UPDATED", "UPDATED", "SKIPPED", "SKIPPED"]
    assert [r["RECORD_ID"] for r in rows[:2]] == [str(kept), str(blanked)]
    assert rows[2]["ERRORS"] == "RESOURCE_NOT_FOUND-id"
    assert rows[3]["ERRORS"] == "MANDATORY_NOT_FOUND-id"
    first = record(emulator, rows[0])
    assert (first["Title"], first["Phone"]) == ("CEO", "10")
    assert first["Modified_Time"] >= created["Modified_Time"] + 600  # real seconds pass too
    assert record(emulator, rows[1])["Phone"] == "2"


def test_without_ignore_empty_blank_cells_clear_fields_but_not_mandatory_ones(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    target = seed(emulator, "Contacts", Last_Name="Boyle", Title="CEO", Email="b@example.com")
    rows = write(api, emulator, "Email,Title\nb@example.com,\n", "update", find_by="Email")
    assert rows[0]["STATUS"] == "UPDATED"
    assert record(emulator, rows[0])["Title"] is None
    refused = write(api, emulator, f"id,Last_Name\n{target},\n", "update", find_by="id")
    assert refused[0]["ERRORS"] == "MANDATORY_NOT_FOUND-Last_Name"


def test_upsert_updates_matches_and_inserts_the_rest(api: httpx.Client, emulator: RunningEmulator) -> None:
    existing = seed(emulator, "Contacts", Last_Name="Boyle", Email="p.boyle@example.com")
    rows = write(
        api,
        emulator,
        "Email,Last_Name\np.boyle@example.com,Boyle-Smith\nnew@example.com,New\nnew2@example.com,\n",
        "upsert",
        find_by="Email",
    )
    assert [r["STATUS"] for r in rows] == ["UPDATED", "ADDED", "SKIPPED"]
    assert rows[0]["RECORD_ID"] == str(existing)
    assert rows[2]["ERRORS"] == "MANDATORY_NOT_FOUND-Last_Name"
    assert record(emulator, rows[0])["Last_Name"] == "Boyle-Smith"


def test_default_values_fill_blank_cells(api: httpx.Client, emulator: RunningEmulator) -> None:
    rows = write(
        api,
        emulator,
        "Last_Name,Source\nA,\nB,Partner\n",
        field_mappings=[
            {"api_name": "Last_Name", "index": 0},
            {"api_name": "Lead_Source", "index": 1, "default_value": {"value": "Trade Show"}},
            {"api_name": "Title", "default_value": {"value": "Buyer"}},
            {"api_name": "Layout", "default_value": {"value": "4876876000000000123"}},
        ],
    )
    assert [record(emulator, r)["Lead_Source"] for r in rows] == ["Trade Show", "Partner"]
    assert [record(emulator, r)["Title"] for r in rows] == ["Buyer", "Buyer"]


def test_only_mapped_columns_are_written(api: httpx.Client, emulator: RunningEmulator) -> None:
    rows = write(
        api, emulator, "Last_Name,Title\nBoyle,CEO\n", field_mappings=[{"api_name": "Last_Name", "index": 0}]
    )
    assert record(emulator, rows[0])["Title"] is None
    assert rows[0]["Title"] == "CEO"


def test_delimiters_are_detected_from_the_header(api: httpx.Client, emulator: RunningEmulator) -> None:
    for delimiter in ";:|":
        text = f"Last_Name{delimiter}Title\nBoyle{delimiter}CEO\n"
        assert record(emulator, write(api, emulator, text)[0])["Title"] == "CEO"


def test_quoted_cells_may_hold_delimiters_and_new_lines(api: httpx.Client, emulator: RunningEmulator) -> None:
    rows = write(api, emulator, 'Last_Name,Description\n"Boyle, Jr.","line one\nline two"\n')
    stored = record(emulator, rows[0])
    assert (stored["Last_Name"], stored["Description"]) == ("Boyle, Jr.", "line one\nline two")


def test_character_encoding_is_honoured_and_a_bom_tolerated(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    latin = upload(api, emulator, zip_of({"c.csv": "Last_Name\nMüller\n".encode("latin-1")}))
    details = run(api, {**job_body(latin), "character_encoding": "ISO-8859-1"})
    assert details["character_encoding"] == "ISO-8859-1"
    assert result_rows(api, details)[0]["Last_Name"] == "Müller"
    bom = upload(api, emulator, zip_of({"c.csv": "\ufeffLast_Name\nMüller\n".encode()}))
    assert result_rows(api, run(api, job_body(bom)))[0]["STATUS"] == "ADDED"
    wrong = api.post("/crm/bulk/v8/write", json=job_body(latin))
    assert (wrong.status_code, wrong.json()["code"]) == (400, "INVALID_DATA")


def test_subform_rows_alone_attach_to_existing_parents_by_id(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    parent = seed(emulator, "Contacts", Last_Name="Boyle")
    rows = write(
        api,
        emulator,
        f"Item,Qty,Parent\nBolts,3,{parent}\nNuts,4,4876876000099999999\n",
        module="Contact_Sub",
        field_mappings=[
            {"api_name": "Item_Name", "index": 0},
            {"api_name": "Quantity", "index": 1},
            {"api_name": "Parent_Id", "index": 2, "find_by": "id"},
        ],
    )
    assert [r["STATUS"] for r in rows] == ["ADDED", "SKIPPED"]
    assert record(emulator, rows[0], "Contact_Sub")["Parent_Id"] == parent


def test_ignore_empty_per_resource_and_per_mapping_keep_stored_values(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    seed(emulator, "Contacts", Last_Name="Boyle", Title="CEO", Phone="1", Email="b@example.com")
    file_id = upload_csv(api, emulator, "Email,Title\nb@example.com,\n")
    body = job_body(file_id, operation="update", find_by="Email", ignore_empty=True)
    assert "ignore_empty" in body["resource"][0]
    per_resource = result_rows(api, run(api, body))
    assert record(emulator, per_resource[0])["Title"] == "CEO"
    per_mapping = write(
        api,
        emulator,
        "Email,Title,Phone\nb@example.com,,\n",
        "update",
        find_by="Email",
        field_mappings=[
            {"api_name": "Email", "index": 0},
            {"api_name": "Title", "index": 1, "ignore_empty": True},
            {"api_name": "Phone", "index": 2},
        ],
    )
    stored = record(emulator, per_mapping[0])
    assert (stored["Title"], stored["Phone"]) == ("CEO", None)


def test_a_callback_without_url_is_echoed_and_nothing_is_called(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    body = {**job_body(upload_csv(api, emulator, "Last_Name\nBoyle\n")), "callback": {"method": "post"}}
    details = run(api, body)
    assert details["callback"] == {"method": "post"}
    assert emulator.state.extras["jobs"].callbacks_failed == 0


def test_a_trailing_delimiter_in_the_header_maps_nothing(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    rows = write(api, emulator, "Last_Name,Title,\nBoyle,CEO,\n")
    assert rows[0]["STATUS"] == "ADDED"
    assert record(emulator, rows[0])["Title"] == "CEO"
