"""A lookup Zoho resolves by a field of the looked-up record (``{ find_by = ..., source = ... }``)
carries text, not a record id, and must not be refused as a bad id."""

from __future__ import annotations

from syncd.config.model import PipelineConfig
from syncd.connector import Record, StreamSpec
from syncd.connector.streams import FieldSpec
from syncd.engine.mapping import FieldMapping
from syncd.engine.push import SourceRead, _map_one
from syncd.zoho.fields import FieldMeta


def _mapping() -> FieldMapping:
    pipeline = PipelineConfig.model_validate(
        {
            "connector": "shop",
            "stream": "products",
            "module": "Products",
            "find_by": "Product_Code",
            "fields": {
                "Product_Code": "code",
                "Product_Name": "name",
                "Vendor_Name": {"find_by": "Vendor_Name", "source": "supplier"},
            },
        }
    )
    stream = StreamSpec("products", ("code",), (FieldSpec("code"), FieldSpec("name"), FieldSpec("supplier")))
    metas = {
        "Product_Code": FieldMeta("Product_Code", "text"),
        "Product_Name": FieldMeta("Product_Name", "text", mandatory=True),
        "Vendor_Name": FieldMeta("Vendor_Name", "lookup", lookup_module="Vendors"),
    }
    return FieldMapping("products", pipeline, stream, metas)


def test_a_find_by_lookup_passes_its_text_through_validation() -> None:
    read = SourceRead()
    record = Record({"code": "P-1", "name": "Widget", "supplier": "Acme Supplies Ltd"})

    _map_one(read, _mapping(), "P-1", record, {}, insert=True)

    assert read.rejects == []
    assert read.values["P-1"] == {"Product_Code": "P-1", "Product_Name": "Widget"}
