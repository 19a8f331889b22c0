"""The custom views an org has out of the box, for ``query.cvid``.

Every module gets "All <Module>" (no criteria) and "My <Module>" (one criterion: owned by the user
who creates the job); Contacts and Leads also get "Mailing List" (two criteria). A view's criteria
count toward the 25 a bulk read allows. As in Zoho, "Shared By Me", "Shared To Me" and every view
of the Activities modules (Events here) exist but cannot be exported (``CVID_NOT_SUPPORTED``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from syncd.emulator.records import IdGenerator
from syncd.emulator.schema import ModuleDef

ACTIVITIES = frozenset({"Events", "Tasks", "Calls"})
UNSUPPORTED_VIEWS = ("Shared By Me", "Shared To Me")
_lock = threading.Lock()


@dataclass(frozen=True)
class CustomView:
    id: int
    product: str
    module: str
    name: str
    criteria: dict[str, Any] | None  # ``${CURRENT_USER}`` stands for the job's creator
    supported: bool = True

    def criteria_for(self, user_id: int) -> dict[str, Any] | None:
        if self.criteria is None:
            return None
        criteria: dict[str, Any] = _substitute(self.criteria, str(user_id))
        return criteria


def _substitute(node: Any, user_id: str) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, user_id) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, user_id) for item in node]
    return user_id if node == "${CURRENT_USER}" else node


def _leaf(api_name: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"field": {"api_name": api_name}, "comparator": comparator, "value": value}


def _definitions(module: ModuleDef) -> list[tuple[str, dict[str, Any] | None, bool]]:
    name = module.api_name.replace("_", " ")
    supported = module.api_name not in ACTIVITIES
    views: list[tuple[str, dict[str, Any] | None, bool]] = [(f"All {name}", None, supported)]
    if module.field("Owner") is not None:
        views.append((f"My {name}", _leaf("Owner", "equal", "${CURRENT_USER}"), supported))
    if module.field("Email") is not None and module.field("Email_Opt_Out") is not None:
        mailing = {
            "group_operator": "and",
            "group": [_leaf("Email", "not_equal", "${EMPTY}"), _leaf("Email_Opt_Out", "equal", False)],
        }
        views.append(("Mailing List", mailing, supported))
    views.extend((shared, None, False) for shared in UNSUPPORTED_VIEWS)
    return views


class ViewCatalog:
    """The org's views per product and module, with ids minted once from the org's id generator."""

    def __init__(self, ids: IdGenerator) -> None:
        self._ids = ids
        self._views: dict[tuple[str, str], list[CustomView]] = {}

    def views(self, product: str, module: ModuleDef) -> list[CustomView]:
        key = (product, module.api_name)
        with _lock:
            if key not in self._views:
                self._views[key] = [
                    CustomView(self._ids.next(), product, module.api_name, name, criteria, supported)
                    for name, criteria, supported in _definitions(module)
                ]
            return list(self._views[key])

    def find(self, product: str, module: ModuleDef, view_id: int) -> CustomView | None:
        return next((v for v in self.views(product, module) if v.id == view_id), None)
