"""The body of a create-bulk-read request, checked and turned into a :class:`ReadQuery`.

Checks follow the create-job page and Kaizen #12: ``query.module`` is a bare string in CRM v2 and
``{"api_name": ...}`` from v2.1 (and in Bigin); ``fields`` in dot notation, more than 200 of them
exports every field; at most 25 criteria counting the custom view's; ``page`` 1..500 or a
``page_token`` from an earlier job (alone, or with the same module, fields, criteria and view);
``file_type: "ics"`` (top level or inside ``query``) for Events only, without ``fields``, at most
20,000 records a page; ``callback`` with an http(s) ``url`` and ``method: "post"``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from syncd.emulator.bulk_read.columns import Column, PathProblem, PathResolver
from syncd.emulator.bulk_read.criteria import MAX_CRITERIA, Criteria, CriteriaCompiler
from syncd.emulator.bulk_read.tokens import PageTokens
from syncd.emulator.bulk_read.views import CustomView, ViewCatalog
from syncd.emulator.records import RecordStore
from syncd.emulator.schema import ModuleDef
from syncd.emulator.wire import ZohoError, invalid_data, mandatory

MAX_FIELDS = 200
MAX_PAGE = 500
ICS_PAGE_SIZE = 20_000
ICS_MODULES = frozenset({"Events"})


@dataclass(frozen=True)
class ReadQuery:
    """What a bulk-read job exports: which rows, which columns, which slice of the match set."""

    product: str
    module: ModuleDef
    columns: tuple[Column, ...]  # empty for an ICS export
    criteria: Criteria | None  # the view's and the request's together
    request_criteria: Criteria | None
    view: CustomView | None
    file_type: str
    fields: list[str] | None  # as requested
    page: int
    offset: int
    per_page: int
    page_token: str | None = None

    def echo(self, legacy: bool, module_id: int) -> dict[str, Any]:
        """The ``query`` object of the job's details: the request, module and fields enriched."""
        module: Any = (
            self.module.api_name if legacy else {"id": str(module_id), "api_name": self.module.api_name}
        )
        echo: dict[str, Any] = {"module": module}
        if self.fields is not None:
            echo["fields"] = list(self.fields)
        if self.request_criteria is not None:
            echo["criteria"] = self.request_criteria.echo
        echo["page"] = self.page
        if self.view is not None:
            echo["cvid"] = str(self.view.id)
        if self.page_token is not None:
            echo["page_token"] = self.page_token
        return echo


@dataclass(frozen=True)
class Callback:
    url: str
    method: str = "post"

    def as_dict(self) -> dict[str, str]:
        return {"url": self.url, "method": self.method}


def parse_callback(raw: Any) -> Callback | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ZohoError("INVALID_CALLBACK_URL", "callback must be an object with url and method", 400)
    url = raw.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if not isinstance(url, str) or parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ZohoError(
            "INVALID_CALLBACK_URL", f"callback.url {url!r} is not an http(s) URL", 400, {"api_name": "url"}
        )
    method = raw.get("method")
    if not isinstance(method, str) or method.lower() != "post":
        raise ZohoError(
            "INVALID_CALLBACK_METHOD",
            f"callback.method {method!r} is not supported; only post is",
            400,
            {"api_name": "method", "supported": ["post"]},
        )
    return Callback(url)


def _file_type(body: dict[str, Any], query: dict[str, Any]) -> str:
    raw = body.get("file_type", query.get("file_type", "csv"))
    if raw not in {"csv", "ics"}:
        raise invalid_data(f"file_type {raw!r} is not supported; use csv or ics", api_name="file_type")
    return str(raw)


def _page(query: dict[str, Any]) -> int:
    page = query.get("page", 1)
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise invalid_data(f"page {page!r} must be a whole number from 1 to {MAX_PAGE}", api_name="page")
    if page > MAX_PAGE:
        raise ZohoError(
            "PAGE_RANGE_EXCEEDED",
            f"page {page} is beyond the last page {MAX_PAGE}",
            400,
            {"max_limit": MAX_PAGE},
        )
    return page


class QueryParser:
    """Parses create requests for one product and API version on behalf of one user."""

    def __init__(
        self,
        records: RecordStore,
        views: ViewCatalog,
        tokens: PageTokens[ReadQuery],
        *,
        product: str,
        version: str,
        user_id: int,
        page_size: int,
    ) -> None:
        self.records = records
        self.views = views
        self.tokens = tokens
        self.product = product
        self.legacy = product == "crm" and version == "v2"
        self.user_id = user_id
        self.page_size = page_size

    def parse(self, body: Any, now: float) -> ReadQuery:
        if not isinstance(body, dict):
            raise ZohoError("REQUEST_BODY_NOT_SUPPORTED", "request body must be a JSON object", 400)
        if "query" not in body:
            raise mandatory("query")
        query = body["query"]
        if not isinstance(query, dict):
            raise invalid_data("query must be an object", api_name="query")
        if "page_token" in query:
            return self._continue(query, now)
        return self._new(body, query)

    # -- a first page ----------------------------------------------------------------------------
    def _new(self, body: dict[str, Any], query: dict[str, Any]) -> ReadQuery:
        module = self._module(query)
        resolver = PathResolver(self.records, self.product, module)
        file_type = _file_type(body, query)
        fields = self._fields(query)
        if file_type == "ics":
            self._check_ics(module, fields)
        view = self._view(module, query.get("cvid"))
        request_criteria, criteria = self._criteria(resolver, view, query.get("criteria"))
        page = _page(query)
        per_page = min(self.page_size, ICS_PAGE_SIZE) if file_type == "ics" else self.page_size
        columns = () if file_type == "ics" else self._columns(resolver, fields)
        return ReadQuery(
            self.product,
            module,
            columns,
            criteria,
            request_criteria,
            view,
            file_type,
            fields,
            page,
            (page - 1) * per_page,
            per_page,
        )

    def _module(self, query: dict[str, Any]) -> ModuleDef:
        if "module" not in query:
            raise mandatory("module")
        raw = query["module"]
        if self.legacy and not isinstance(raw, str):
            raise invalid_data(
                'in v2 query.module is the module API name, e.g. "Contacts"', api_name="module"
            )
        if not self.legacy and not isinstance(raw, dict):
            raise invalid_data(
                'query.module must be an object such as {"api_name": "Contacts"}', api_name="module"
            )
        name = raw if isinstance(raw, str) else raw.get("api_name")
        module = self.records.module(self.product, name) if isinstance(name, str) else None
        if module is None:
            raise ZohoError(
                "MODULE_NOT_AVAILABLE", f"the module {name!r} is not available", 400, {"api_name": "module"}
            )
        if module.parent is not None:
            raise ZohoError(
                "MODULE_NOT_SUPPORTED",
                f"{module.api_name} belongs to {module.parent}; export it through its parent module",
                400,
                {"api_name": "module"},
            )
        return module

    def _fields(self, query: dict[str, Any]) -> list[str] | None:
        raw = query.get("fields")
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
            raise invalid_data("fields must be an array of field API names", api_name="fields")
        return list(raw)

    def _columns(self, resolver: PathResolver, fields: list[str] | None) -> tuple[Column, ...]:
        if not fields or len(fields) > MAX_FIELDS:  # Kaizen #12: more than 200 exports every field
            return tuple(resolver.all_columns())
        columns: dict[str, Column] = {}
        for name in fields:
            try:
                column = resolver.resolve(name)
            except PathProblem as problem:
                code = "FIELD_NOT_SUPPORTED" if problem.available else "FIELD_NOT_AVAILABLE"
                raise ZohoError(code, problem.message, 400, {"api_name": name}) from None
            if column.field.api_name != "id" or "." in name:  # the Id column is always there
                columns.setdefault(name, column)
        return tuple(columns.values())

    def _check_ics(self, module: ModuleDef, fields: list[str] | None) -> None:
        if module.api_name not in ICS_MODULES:
            raise ZohoError(
                "MODULE_NOT_SUPPORTED",
                f"file_type ics exports Events only, not {module.api_name}",
                400,
                {"api_name": "module"},
            )
        if fields is not None:
            raise ZohoError(
                "FIELD_NOT_SUPPORTED",
                "fields cannot be chosen for an ICS export",
                400,
                {"api_name": "fields"},
            )

    def _view(self, module: ModuleDef, raw: Any) -> CustomView | None:
        if raw is None:
            return None
        text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
        if not text.isdigit():
            raise invalid_data(f"cvid {raw!r} must be a custom view id", api_name="cvid")
        view = self.views.find(self.product, module, int(text))
        if view is None:
            raise ZohoError(
                "CVID_NOT_SUPPORTED",
                f"{module.api_name} has no custom view {text}",
                400,
                {"api_name": "cvid"},
            )
        if not view.supported:
            raise ZohoError(
                "CVID_NOT_SUPPORTED",
                f"the view {view.name!r} of {module.api_name} cannot be exported by bulk read",
                400,
                {"api_name": "cvid"},
            )
        return view

    def _criteria(
        self, resolver: PathResolver, view: CustomView | None, raw: Any
    ) -> tuple[Criteria | None, Criteria | None]:
        compiler = CriteriaCompiler(resolver, legacy=self.legacy)
        own = None if raw is None else compiler.compile(raw)
        inherited = view.criteria_for(self.user_id) if view is not None else None
        from_view = None if inherited is None else compiler.compile(inherited, "$.cvid")
        both = own if from_view is None else from_view if own is None else from_view.also(own)
        if both is not None and both.count > MAX_CRITERIA:
            raise ZohoError(
                "CRITERIA_LIMIT_EXCEEDED",
                f"{both.count} criteria (the custom view's included); at most {MAX_CRITERIA} are allowed",
                400,
                {"max_limit": MAX_CRITERIA},
            )
        return own, both

    # -- a page token ----------------------------------------------------------------------------
    def _continue(self, query: dict[str, Any], now: float) -> ReadQuery:
        if "page" in query:
            raise ZohoError(
                "PAGE_NOT_SUPPORTED", "send either page or page_token, not both", 400, {"api_name": "page"}
            )
        token = self.tokens.redeem(query["page_token"], self.user_id, now)
        origin = token.query
        if origin.product != self.product:
            raise invalid_data("the page_token belongs to another product", api_name="page_token")
        self._check_same(origin, query)
        return replace(
            origin,
            offset=token.offset,
            page=token.offset // origin.per_page + 1,
            page_token=query["page_token"],
        )

    def _check_same(self, origin: ReadQuery, query: dict[str, Any]) -> None:
        differs = []
        if "module" in query and self._module(query).api_name != origin.module.api_name:
            differs.append("module")
        if "fields" in query and self._fields(query) != origin.fields:
            differs.append("fields")
        if "cvid" in query and str(query["cvid"]) != (str(origin.view.id) if origin.view else None):
            differs.append("cvid")
        if "criteria" in query:
            resolver = PathResolver(self.records, self.product, origin.module)
            mine = CriteriaCompiler(resolver, legacy=self.legacy).compile(query["criteria"])
            if origin.request_criteria is None or mine.echo != origin.request_criteria.echo:
                differs.append("criteria")
        if differs:
            raise invalid_data(
                f"the page_token was issued for another query ({', '.join(differs)} differ); "
                "send the token alone or with the same query",
                api_name="page_token",
            )
