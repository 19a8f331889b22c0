"""Query parameters shared by the REST list endpoints: module, paging, page tokens, If-Modified-Since.

GET records pages by ``page`` up to 2,000 records from API v7 on; beyond that the client follows
``info.next_page_token``. A token is bound to the user and the query that produced it and lives 24
hours (``info.page_token_expiry``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.convertors import Convertor, register_url_convertor

from syncd.emulator.api import ApiContext
from syncd.emulator.schema import ModuleDef
from syncd.emulator.values import format_datetime
from syncd.emulator.wire import ZohoError, invalid_data

MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2_000  # records reachable with ``page`` alone, API v7 and later
TOKEN_SECONDS = 24 * 3600
TOKENS = "page_tokens"  # state.extras key


class _Text(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _Product(_Text):
    regex = "crm|bigin"


class _Version(_Text):
    regex = r"v[0-9]+(?:\.[0-9]+)?"


# Route paths of the REST list endpoints match widely (``/{product}/{version}/{module}``); these
# keep them to Zoho's products and version segments so other paths keep their own answers.
register_url_convertor("zoho_product", _Product())
register_url_convertor("zoho_version", _Version())
ZOHO_PREFIX = "/{product:zoho_product}/{version:zoho_version}"


def module_of(ctx: ApiContext, name: str) -> ModuleDef:
    """The module named in the path (case-insensitively, as Zoho matches it) or INVALID_MODULE."""
    records = ctx.state.records
    found = records.module(ctx.product, name) or next(
        (m for m in records.modules(ctx.product) if m.api_name.lower() == name.lower()), None
    )
    if found is None:
        raise ZohoError("INVALID_MODULE", "the module name given seems to be invalid", 400, {})
    return found


def _whole(ctx: ApiContext, name: str, default: int, low: int, high: int | None) -> int:
    raw = ctx.request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        limit = f"from {low} to {high}" if high else f"at least {low}"
        raise invalid_data(
            f"invalid value for {name}: {raw!r}; expected a whole number {limit}", param_name=name
        )
    return int(raw)


def per_page(ctx: ApiContext) -> int:
    return _whole(ctx, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)


def page(ctx: ApiContext) -> int:
    return _whole(ctx, "page", 1, 1, None)


def modified_since(ctx: ApiContext) -> int | None:
    """The ``If-Modified-Since`` header as epoch seconds (date-times without offset are org time)."""
    raw = ctx.request.headers.get("if-modified-since")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_data(
            f"If-Modified-Since {raw!r} is not an ISO-8601 date-time such as 2019-07-25T15:26:49+05:30",
            header_name="If-Modified-Since",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ctx.state.zone)
    return int(moment.timestamp())


@dataclass(frozen=True)
class PageToken:
    query: tuple[Any, ...]
    offset: int
    expires_at: float


def issue_token(ctx: ApiContext, query: tuple[Any, ...], offset: int) -> tuple[str, str]:
    """A new page token for ``query`` from ``offset``; returns the token and its expiry time."""
    expires = ctx.state.clock.time() + TOKEN_SECONDS
    value = secrets.token_hex(24)
    ctx.state.extras.setdefault(TOKENS, {})[value] = PageToken(query, offset, expires)
    return value, format_datetime(int(expires), ctx.state.zone)


def redeem_token(ctx: ApiContext, value: str, query: tuple[Any, ...]) -> int:
    """The offset a token stands for; INVALID_DATA when unknown, expired or from another query."""
    token = ctx.state.extras.get(TOKENS, {}).get(value)
    if token is None or token.expires_at <= ctx.state.clock.time():
        raise invalid_data("the page_token is invalid or has expired", param_name="page_token")
    if token.query != query:
        raise invalid_data(
            "the page_token belongs to another user or other query parameters", param_name="page_token"
        )
    return int(token.offset)


def discrete_limit(offset: int, size: int) -> None:
    if offset + size > DISCRETE_LIMIT:
        raise ZohoError(
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            f"Cannot fetch more than {DISCRETE_LIMIT} records. Use page_token to fetch more records.",
            400,
            {"limit": DISCRETE_LIMIT},
        )
