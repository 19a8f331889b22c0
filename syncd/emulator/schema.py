"""The emulator's modules and fields: what an org of each product holds out of the box.

Between them the modules cover every data type of the Kaizen #13 table, system fields, mandatory and
unique fields, lookups between modules, a subform and a multi-select lookup with its linking module.
More modules and fields can be loaded from a JSON schema file (see :func:`load_schema_file`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PRODUCTS = ("crm", "bigin")

# data_type -> (json_type as Zoho's field metadata names it, default length)
DATA_TYPES: dict[str, tuple[str, int | None]] = {
    "bigint": ("string", 18),
    "text": ("string", 255),
    "textarea": ("string", 32000),
    "email": ("string", 100),
    "phone": ("string", 30),
    "website": ("string", 255),
    "picklist": ("string", 120),
    "multiselectpicklist": ("jsonarray", 2000),
    "date": ("string", 20),
    "datetime": ("string", 120),
    "integer": ("integer", 9),
    "currency": ("double", 16),
    "double": ("double", 16),
    "percent": ("double", 5),
    "boolean": ("boolean", 5),
    "lookup": ("jsonobject", 18),
    "ownerlookup": ("jsonobject", 18),
    "autonumber": ("string", 255),
    "subform": ("jsonarray", None),
    "multiselectlookup": ("jsonarray", None),
}
# Types bulk read cannot export or filter on: multi-line text, multi-select lookups, subforms.
NOT_EXPORTABLE = frozenset({"textarea", "subform", "multiselectlookup"})
READ_ONLY_TYPES = frozenset({"autonumber", "subform", "multiselectlookup"})


@dataclass(frozen=True)
class FieldDef:
    api_name: str
    data_type: str
    length: int | None = None
    mandatory: bool = False
    unique: bool = False
    read_only: bool = False
    system: bool = False
    picklist: tuple[str, ...] = ()
    lookup: str | None = None  # target module api name; "users" for owner lookups
    decimal_places: int | None = None
    linking_module: str | None = None  # for multi-select lookups

    @property
    def label(self) -> str:
        return self.api_name.replace("_", " ")

    @property
    def exportable(self) -> bool:
        return self.data_type not in NOT_EXPORTABLE

    @property
    def writable(self) -> bool:
        return not (self.read_only or self.system or self.data_type in READ_ONLY_TYPES)


@dataclass(frozen=True)
class ModuleDef:
    api_name: str
    fields: tuple[FieldDef, ...]
    module_id: int = 0
    parent: str | None = None  # set for subforms and linking modules (children in parent-child jobs)
    display_field: str | None = None
    duplicate_check: tuple[str, ...] = ()
    index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.index.update({f.api_name: i for i, f in enumerate(self.fields)})

    def field(self, api_name: str) -> FieldDef | None:
        position = self.index.get(api_name)
        return None if position is None else self.fields[position]

    def field_ci(self, api_name: str) -> FieldDef | None:
        """Zoho matches field API names case-insensitively in many places (``id`` / ``Id``)."""
        exact = self.field(api_name)
        if exact is not None:
            return exact
        lowered = api_name.lower()
        return next((f for f in self.fields if f.api_name.lower() == lowered), None)

    @property
    def unique_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.unique)


def _f(api_name: str, data_type: str, **options: Any) -> FieldDef:
    if data_type not in DATA_TYPES:
        raise ValueError(f"field {api_name}: unknown data_type {data_type!r}")
    options.setdefault("length", DATA_TYPES[data_type][1])
    if data_type in {"currency", "double"}:
        options.setdefault("decimal_places", 2 if data_type == "currency" else 9)
    if "picklist" in options:
        options["picklist"] = tuple(options["picklist"])
    return FieldDef(api_name, data_type, **options)


def system_fields() -> tuple[FieldDef, ...]:
    return (
        _f("id", "bigint", system=True, read_only=True, unique=True),
        _f("Owner", "ownerlookup", lookup="users"),
        _f("Created_By", "ownerlookup", lookup="users", system=True, read_only=True),
        _f("Modified_By", "ownerlookup", lookup="users", system=True, read_only=True),
        _f("Created_Time", "datetime", system=True, read_only=True),
        _f("Modified_Time", "datetime", system=True, read_only=True),
    )


LEAD_SOURCES = (
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "External Referral",
    "Online Store",
    "Partner",
    "Public Relations",
    "Seminar Partner",
    "Trade Show",
    "Web Download",
    "Web Research",
)
INDUSTRIES = (
    "ASP",
    "Data/Telecom OEM",
    "ERP",
    "Government/Military",
    "Large Enterprise",
    "Management ISV",
    "MSP (Management Service Provider)",
    "Network Equipment Enterprise",
    "Non-management ISV",
    "Optical Networking",
    "Service Provider",
    "Small/Medium Enterprise",
    "Storage Equipment",
    "Storage Service Provider",
    "Systems Integrator",
    "Wireless Industry",
)
STAGES = (
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
INTERESTS = ("Analytics", "Bigdata", "Cloud", "Security", "Mobile", "IoT", "AI")


def _address(prefix: str) -> tuple[FieldDef, ...]:
    return (
        _f(f"{prefix}_Street", "text", length=250),
        _f(f"{prefix}_City", "text", length=100),
        _f(f"{prefix}_State", "text", length=100),
        _f(f"{prefix}_Code" if prefix == "Billing" else f"{prefix}_Zip", "text", length=30),
        _f(f"{prefix}_Country", "text", length=100),
    )


def _module(api_name: str, *fields: FieldDef, **options: Any) -> ModuleDef:
    own = fields if options.get("parent") else (*system_fields(), *fields)
    return ModuleDef(api_name, tuple(own), **options)


def crm_modules() -> list[ModuleDef]:
    return [
        _module(
            "Leads",
            _f("First_Name", "text", length=40),
            _f("Last_Name", "text", length=80, mandatory=True),
            _f("Company", "text", length=200, mandatory=True),
            _f("Email", "email", unique=True),
            _f("Phone", "phone"),
            _f("Mobile", "phone"),
            _f("Website", "website"),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCES),
            _f(
                "Lead_Status",
                "picklist",
                picklist=(
                    "Attempted to Contact",
                    "Contact in Future",
                    "Contacted",
                    "Junk Lead",
                    "Lost Lead",
                    "Not Contacted",
                    "Pre-Qualified",
                ),
            ),
            _f("Industry", "picklist", picklist=INDUSTRIES),
            _f("Annual_Revenue", "currency"),
            _f("No_of_Employees", "integer"),
            _f("Email_Opt_Out", "boolean"),
            _f("Interests", "multiselectpicklist", picklist=INTERESTS),
            _f("City", "text", length=100),
            _f("Country", "text", length=100),
            _f("Description", "textarea", length=32000),
            display_field="Last_Name",
            duplicate_check=("Email",),
        ),
        _module(
            "Contacts",
            _f("First_Name", "text", length=40),
            _f("Last_Name", "text", length=80, mandatory=True),
            _f("Email", "email", unique=True),
            _f("Secondary_Email", "email"),
            _f("Phone", "phone"),
            _f("Mobile", "phone"),
            _f("Title", "text", length=100),
            _f("Department", "text", length=100),
            _f("Account_Name", "lookup", lookup="Accounts"),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCES),
            _f("Date_of_Birth", "date"),
            _f("Last_Contacted", "datetime"),
            _f("Email_Opt_Out", "boolean"),
            _f("Interests", "multiselectpicklist", picklist=INTERESTS),
            _f("Loyalty_Points", "integer"),
            _f("Customer_Number", "bigint", unique=True),
            _f("Credit_Limit", "currency"),
            _f("Discount", "percent"),
            _f("Score", "double", decimal_places=2),
            _f("Home_Page", "website"),
            *_address("Mailing"),
            _f("Notes_Summary", "textarea", length=2000),
            _f("Description", "textarea", length=32000),
            _f(
                "Interested_Products",
                "multiselectlookup",
                lookup="Products",
                linking_module="Contacts_X_Products",
            ),
            _f("Contact_Sub", "subform", lookup="Contact_Sub"),
            display_field="Last_Name",
            duplicate_check=("Email",),
        ),
        _module(
            "Accounts",
            _f("Account_Name", "text", length=200, mandatory=True, unique=True),
            _f("Phone", "phone"),
            _f("Website", "website"),
            _f("Account_Number", "bigint"),
            _f(
                "Account_Type",
                "picklist",
                picklist=(
                    "Analyst",
                    "Competitor",
                    "Customer",
                    "Distributor",
                    "Integrator",
                    "Investor",
                    "Partner",
                    "Press",
                    "Prospect",
                    "Reseller",
                    "Other",
                ),
            ),
            _f("Industry", "picklist", picklist=INDUSTRIES),
            _f("Annual_Revenue", "currency"),
            _f("Employees", "integer"),
            _f("Parent_Account", "lookup", lookup="Accounts"),
            *_address("Billing"),
            _f("Description", "textarea", length=32000),
            display_field="Account_Name",
            duplicate_check=("Account_Name",),
        ),
        _module(
            "Deals",
            _f("Deal_Name", "text", length=120, mandatory=True),
            _f("Account_Name", "lookup", lookup="Accounts"),
            _f("Contact_Name", "lookup", lookup="Contacts"),
            _f("Amount", "currency"),
            _f("Stage", "picklist", picklist=STAGES, mandatory=True),
            _f("Closing_Date", "date", mandatory=True),
            _f("Probability", "percent"),
            _f("Type", "picklist", picklist=("New Business", "Existing Business")),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCES),
            _f("Next_Step", "text", length=100),
            _f("Description", "textarea", length=32000),
            display_field="Deal_Name",
            duplicate_check=("Deal_Name",),
        ),
        _module(
            "Products",
            _f("Product_Name", "text", length=200, mandatory=True),
            _f("Product_Code", "text", length=40, unique=True),
            _f("Unit_Price", "currency"),
            _f("Qty_in_Stock", "double", decimal_places=2),
            _f("Product_Active", "boolean"),
            _f("Product_Category", "picklist", picklist=("Hardware", "Software", "CRM Applications")),
            _f("Manufacturer", "picklist", picklist=("AltvetPet Inc.", "LexPro Inc.", "MetBeat Corp.")),
            _f("Sales_Start_Date", "date"),
            _f("Commission_Rate", "percent"),
            _f("Description", "textarea", length=32000),
            display_field="Product_Name",
            duplicate_check=("Product_Name",),
        ),
        _module(
            "Events",
            _f("Event_Title", "text", length=255, mandatory=True),
            _f("Start_DateTime", "datetime", mandatory=True),
            _f("End_DateTime", "datetime", mandatory=True),
            _f("All_day", "boolean"),
            _f("Venue", "text", length=255),
            _f("Who_Id", "lookup", lookup="Contacts"),
            _f("Description", "textarea", length=32000),
            display_field="Event_Title",
        ),
        _module(
            "Contact_Sub",
            _f("id", "bigint", system=True, read_only=True, unique=True),
            _f("Parent_Id", "lookup", lookup="Contacts", mandatory=True),
            _f("Item_Name", "text", length=255),
            _f("Quantity", "integer"),
            _f("Price", "currency"),
            parent="Contacts",
        ),
        _module(
            "Contacts_X_Products",
            _f("id", "bigint", system=True, read_only=True, unique=True),
            _f("Contact", "lookup", lookup="Contacts", mandatory=True),
            _f("Product", "lookup", lookup="Products", mandatory=True),
            parent="Contacts",
        ),
    ]


def bigin_modules() -> list[ModuleDef]:
    return [
        _module(
            "Contacts",
            _f("First_Name", "text", length=40),
            _f("Last_Name", "text", length=80, mandatory=True),
            _f("Email", "email", unique=True),
            _f("Phone", "phone"),
            _f("Mobile", "phone"),
            _f("Title", "text", length=100),
            _f("Account_Name", "lookup", lookup="Accounts"),
            _f("Email_Opt_Out", "boolean"),
            *_address("Mailing"),
            _f("Description", "textarea", length=32000),
            display_field="Last_Name",
            duplicate_check=("Email",),
        ),
        _module(
            "Accounts",
            _f("Account_Name", "text", length=200, mandatory=True, unique=True),
            _f("Phone", "phone"),
            _f("Website", "website"),
            *_address("Billing"),
            _f("Description", "textarea", length=32000),
            display_field="Account_Name",
            duplicate_check=("Account_Name",),
        ),
        _module(
            "Pipelines",
            _f("Deal_Name", "text", length=120, mandatory=True),
            _f("Account_Name", "lookup", lookup="Accounts"),
            _f("Contact_Name", "lookup", lookup="Contacts"),
            _f("Amount", "currency"),
            _f(
                "Stage",
                "picklist",
                picklist=(
                    "Qualification",
                    "Needs Analysis",
                    "Proposal/Price Quote",
                    "Negotiation/Review",
                    "Closed Won",
                    "Closed Lost",
                ),
                mandatory=True,
            ),
            _f("Pipeline", "picklist", picklist=("Sales Pipeline Standard",), mandatory=True),
            _f("Closing_Date", "date"),
            _f("Description", "textarea", length=32000),
            display_field="Deal_Name",
            duplicate_check=("Deal_Name",),
        ),
        _module(
            "Products",
            _f("Product_Name", "text", length=200, mandatory=True),
            _f("Product_Code", "text", length=40, unique=True),
            _f("Unit_Price", "currency"),
            _f("Product_Active", "boolean"),
            _f("Product_Category", "picklist", picklist=("Hardware", "Software")),
            _f("Description", "textarea", length=32000),
            display_field="Product_Name",
            duplicate_check=("Product_Name",),
        ),
    ]


def _field_from_json(spec: dict[str, Any], where: str) -> FieldDef:
    try:
        options = {k: v for k, v in spec.items() if k not in {"api_name", "data_type"}}
        return _f(spec["api_name"], spec["data_type"], **options)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid field definition {spec!r}: {exc}") from exc


def load_schema_file(path: Path, schema: dict[str, dict[str, ModuleDef]]) -> None:
    """Add modules and fields from a JSON file to ``schema`` in place.

    The file maps product -> module api name -> ``{"fields": [{"api_name", "data_type", ...}]}``.
    A module that exists gains the fields (a field of the same name is replaced); a new module gets
    the system fields plus the given ones.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read schema file {path}: {exc}") from exc
    for product, modules in document.items():
        if product not in schema:
            raise ValueError(f"{path}: unknown product {product!r}; use one of {', '.join(PRODUCTS)}")
        for name, spec in modules.items():
            where = f"{path}: {product}.{name}"
            extra = [_field_from_json(f, where) for f in spec.get("fields", [])]
            existing = schema[product].get(name)
            if existing is None:
                schema[product][name] = _module(name, *extra, display_field=spec.get("display_field"))
                continue
            names = {f.api_name for f in extra}
            kept = tuple(f for f in existing.fields if f.api_name not in names)
            schema[product][name] = replace(existing, fields=(*kept, *extra), index={})


def default_schema(schema_file: Path | None = None) -> dict[str, dict[str, ModuleDef]]:
    schema = {
        "crm": {m.api_name: m for m in crm_modules()},
        "bigin": {m.api_name: m for m in bigin_modules()},
    }
    if schema_file is not None:
        load_schema_file(schema_file, schema)
    return schema
