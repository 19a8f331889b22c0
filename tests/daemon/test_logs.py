from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, SecretBytes, SecretStr

from syncd.daemon.logs import (
    Redactor,
    configure_logging,
    redact,
    redactor,
    register_secret,
    register_secrets_in,
    run_context,
)

ACCESS_TOKEN = "1000.5f2b9d0c4e8a4b1f9c3d2e7a6b5c4d3e.0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """Capture what the daemon's log handler writes, then put logging back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield io.StringIO()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {ACCESS_TOKEN} refreshed", "token *** refreshed"),
        ("Authorization: Zoho-oauthtoken abc.def-123", "Authorization: Zoho-oauthtoken ***"),
        (
            "POST /oauth/v2/token?client_id=1000.X&client_secret=s3cr3t&refresh_token=r3fr3sh&grant_type=x",
            "POST /oauth/v2/token?client_id=1000.X&client_secret=***&refresh_token=***&grant_type=x",
        ),
        (
            '{"refresh_token": "abcd", "access_token":"efgh"}',
            '{"refresh_token": "***", "access_token":"***"}',
        ),
        ("{'client_secret': 'abcd'}", "{'client_secret': '***'}"),
        ("page_token=abcdef kept", "page_token=abcdef kept"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_zoho_credentials_are_recognised_by_shape(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_registered_secrets_are_masked_wherever_they_appear() -> None:
    r = Redactor()
    r.register("hunter22", None, "", "abc")
    assert r.redact("dsn=postgres://u:hunter22@db/x") == "dsn=postgres://u:***@db/x"
    assert r.redact("abc is too short to be a secret") == "abc is too short to be a secret"


def test_a_secret_containing_another_is_masked_whole() -> None:
    r = Redactor()
    r.register("pass", "password123")
    assert r.redact("it was password123") == "it was ***"


def test_every_part_of_a_record_is_redacted(output: io.StringIO) -> None:
    register_secret("db-passw0rd")
    configure_logging("plain", stream=output)
    log = logging.getLogger("syncd.test")
    try:
        raise RuntimeError(f"connect failed with db-passw0rd and {ACCESS_TOKEN}")
    except RuntimeError:
        log.exception("refresh with %s failed: %r", "client_secret=topsecret", {"pw": "db-passw0rd"})
    text = output.getvalue()
    assert "db-passw0rd" not in text
    assert "topsecret" not in text
    assert ACCESS_TOKEN not in text
    assert "RuntimeError: connect failed with *** and ***" in text
    assert "refresh with client_secret=*** failed: {'pw': '***'}" in text
    assert redactor.redact("db-passw0rd") == "***"


def test_journal_lines_carry_priority_level_pipeline_and_run_but_no_timestamp(output: io.StringIO) -> None:
    configure_logging("journal", stream=output)
    log = logging.getLogger("syncd.engine")
    with run_context("contacts", "3f2a9c1e"):
        log.warning("credits low")
    log.info("idle")
    assert output.getvalue().splitlines() == [
        "<4>WARNING [contacts 3f2a9c1e] syncd.engine: credits low",
        "<6>INFO syncd.engine: idle",
    ]


def test_plain_lines_start_with_a_timestamp(output: io.StringIO) -> None:
    configure_logging("plain", stream=output)
    logging.getLogger("syncd").error("boom")
    stamp, rest = output.getvalue().split(" ", 1)
    assert stamp[:2] == "20" and "T" in stamp
    assert rest == "ERROR syncd: boom\n"


def test_json_lines_are_objects_with_the_run(output: io.StringIO) -> None:
    configure_logging("json", stream=output)
    with run_context("deals", "77"):
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            logging.getLogger("syncd.engine").exception("refresh_token=abcdef failed")
    entry = json.loads(output.getvalue())
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "syncd.engine"
    assert entry["message"] == "refresh_token=*** failed"
    assert (entry["pipeline"], entry["run_id"]) == ("deals", "77")
    assert "ZeroDivisionError" in entry["traceback"]
    assert entry["time"].endswith("+00:00")


def test_auto_picks_journal_only_for_the_announced_stream(output: io.StringIO) -> None:
    with tempfile.TemporaryFile("w+") as stream:
        stat = os.fstat(stream.fileno())
        configure_logging("auto", stream=stream, environ={"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"})
        logging.getLogger("syncd").info("hello")
        configure_logging("auto", stream=stream, environ={"JOURNAL_STREAM": "1:2"})
        logging.getLogger("syncd").info("again")
        stream.seek(0)
        first, second = stream.read().splitlines()
    assert first == "<6>INFO syncd: hello"
    assert second.endswith(" INFO syncd: again") and not second.startswith("<")


def test_configuring_again_replaces_the_handler(output: io.StringIO) -> None:
    configure_logging("plain", stream=output)
    configure_logging("json", stream=output)
    logging.getLogger("syncd").info("once")
    assert len(output.getvalue().splitlines()) == 1


class Database(BaseModel):
    url: SecretStr
    key: SecretBytes | None = None


class Settings(BaseModel):
    name: str
    databases: dict[str, Database]
    tokens: list[SecretStr]


def test_every_secret_in_a_config_model_is_registered() -> None:
    settings = Settings(
        name="visible-name",
        databases={
            "shop": Database(url=SecretStr("postgresql://u:pw-shop-1@db/x"), key=SecretBytes(b"key-bytes-9"))
        },
        tokens=[SecretStr("token-in-a-list-7")],
    )
    register_secrets_in(settings)
    text = "postgresql://u:pw-shop-1@db/x key-bytes-9 token-in-a-list-7 visible-name"
    assert redact(text) == "*** *** *** visible-name"
