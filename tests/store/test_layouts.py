"""Record layouts: field lists stored once per pipeline, found again by their number."""

from __future__ import annotations

from sqlalchemy import insert

from syncd.store import StateStore
from syncd.store.layouts import TABLE, Layouts, layout_number


def test_the_same_fields_get_the_same_number_in_every_transaction(store: StateStore) -> None:
    with store.transaction() as tx:
        first = Layouts(tx.connection).number("contacts", ("Name", "Email"))
    with store.transaction() as tx:
        layouts = Layouts(tx.connection)
        assert layouts.number("contacts", ("Name", "Email")) == first == layout_number(["Name", "Email"])
        assert layouts.number("contacts", ("Email", "Name")) != first  # the order is part of the layout
        assert layouts.fields("contacts") == {
            first: ("Name", "Email"),
            layout_number(["Email", "Name"]): ("Email", "Name"),
        }
        assert layouts.fields("leads") == {}


def test_a_layout_stored_by_another_transaction_is_read_when_needed(store: StateStore) -> None:
    with store.transaction() as tx:
        layouts = Layouts(tx.connection)
        assert layouts.fields("contacts") == {}  # read before the other transaction stored its layout
        tx.connection.execute(insert(TABLE), {"pipeline": "contacts", "layout": 7, "fields": ["Phone"]})
        assert layouts.field_names("contacts", 7) == ("Phone",)
