"""Fixtures shared by the whole suite.

PostgreSQL: tests that need it take the ``postgres_url`` fixture. The URL comes from
``SYNCD_TEST_POSTGRES_URL``; without it a throw-away server is started with testcontainers where a
Docker engine answers; otherwise those tests are skipped with the reason.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--benchmarks",
        action="store_true",
        default=False,
        help="run the benchmarks in tests/benchmarks (they print their figures); off by default",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--benchmarks"):
        return
    kept = [item for item in items if "benchmark" not in item.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if "benchmark" in item.keywords])
        items[:] = kept


def _docker_engine_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
    except Exception:
        answered = False
    else:
        return True
    # A failed probe leaves its socket to the garbage collector: collect it now, quietly, rather
    # than let its ResourceWarning fail whichever test happens to run next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return answered


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a PostgreSQL database the test may create schemas in."""
    url = os.environ.get("SYNCD_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if not _docker_engine_answers():
        pytest.skip("no PostgreSQL: set SYNCD_TEST_POSTGRES_URL, or run a Docker engine for testcontainers")
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver="psycopg") as container:
        yield container.get_connection_url()
