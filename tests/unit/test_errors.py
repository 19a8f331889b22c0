from __future__ import annotations

import syncd
from syncd.errors import (
    ConfigError,
    FatalError,
    RateLimitedError,
    RecordError,
    RetriableError,
    SyncdError,
    ZohoAPIError,
)


def test_errors_are_grouped_by_what_to_do() -> None:
    assert issubclass(RateLimitedError, RetriableError)
    assert issubclass(ZohoAPIError, FatalError)
    for kind in (ConfigError, RetriableError, FatalError, RecordError):
        assert issubclass(kind, SyncdError)


def test_context_is_shown_after_the_message_and_none_is_left_out() -> None:
    error = ZohoAPIError("job creation refused", code="INVALID_DATA", http_status=400, job_id=None)
    assert str(error) == "job creation refused [code=INVALID_DATA, http_status=400]"
    assert error.details == {}


def test_public_facade_exports_the_errors() -> None:
    for name in ("SyncdError", "ConfigError", "RecordError", "__version__"):
        assert name in syncd.__all__
        assert hasattr(syncd, name)
