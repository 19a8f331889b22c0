"""Logging for the daemon: lines made for journald or a terminal, JSON on request, secrets masked.

Every record passes a :class:`RedactingFilter` on its way out (message, arguments and traceback
alike) and carries the pipeline and run id of the run that logged it, taken from a context
variable that :func:`run_context` sets. Three formats:

``journal``
    ``<6>INFO [contacts 3f2a9c1e] syncd.engine: pushed 120 rows`` — no timestamp (journald adds
    its own) and a ``<N>`` syslog priority prefix, so ``journalctl -p warning`` works.
``plain``
    the same with a timestamp and without the prefix, for terminals and files.
``json``
    one object per line: ``time``, ``level``, ``logger``, ``message``, ``pipeline``, ``run_id``
    and ``traceback`` when there is one.

``auto`` picks ``journal`` when ``$JOURNAL_STREAM`` names the stream we write to (sd_journal(3)'s
advice), ``plain`` otherwise.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TextIO

from pydantic import BaseModel, SecretBytes, SecretStr

LogFormat = Literal["auto", "journal", "plain", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("auto", "journal", "plain", "json")
MASK = "***"

# Secrets shorter than this are not masked: they would mangle every line and are no secret anyway.
MIN_SECRET_LENGTH = 4

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Zoho OAuth access and refresh tokens: 1000.<hex>.<hex>
    (re.compile(r"\b1000\.[0-9A-Za-z]{8,}\.[0-9A-Za-z]{8,}\b"), MASK),
    # the Authorization header value
    (re.compile(r"(Zoho-oauthtoken|Bearer)(\s+)[^\s'\",;]+", re.IGNORECASE), r"\1\2" + MASK),
    # key=value in query strings and forms, "key": "value" in JSON, key: value in reprs
    (
        re.compile(
            r"""\b(client_secret|refresh_token|access_token|password|secret_token)"""
            r"""(['"]?\s*[=:]\s*['"]?)([^\s&'",;}]+)""",
            re.IGNORECASE,
        ),
        r"\1\2" + MASK,
    ),
)


class Redactor:
    """Masks registered secrets and anything shaped like a Zoho credential."""

    def __init__(self) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def register(self, *secrets: str | None) -> None:
        """Mask these values from now on wherever they appear."""
        fresh = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        with self._lock:
            self._secrets = self._secrets | fresh

    def redact(self, text: str) -> str:
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


redactor = Redactor()
"""The process-wide redactor: config loading registers every secret it reads here."""


def register_secret(*secrets: str | None) -> None:
    """Mask these values in every log line from now on."""
    redactor.register(*secrets)


def register_secrets_in(value: object) -> None:
    """Mask every secret value (pydantic ``SecretStr`` / ``SecretBytes``) found in a config model,
    walking nested models, mappings and sequences."""
    if isinstance(value, SecretStr):
        register_secret(value.get_secret_value())
    elif isinstance(value, SecretBytes):
        register_secret(value.get_secret_value().decode("utf-8", "replace"))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            register_secrets_in(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            register_secrets_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            register_secrets_in(item)


def redact(text: str) -> str:
    """*text* with registered secrets and Zoho credentials masked (for error messages too)."""
    return redactor.redact(text)


@dataclass(frozen=True)
class RunContext:
    pipeline: str
    run_id: str


_run: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("syncd_run", default=None)


@contextlib.contextmanager
def run_context(pipeline: str, run_id: str) -> Iterator[RunContext]:
    """Tag every record logged inside the block (in this thread or task) with the run."""
    context = RunContext(pipeline, run_id)
    token = _run.set(context)
    try:
        yield context
    finally:
        _run.reset(token)


def current_run() -> RunContext | None:
    return _run.get()


class RunContextFilter(logging.Filter):
    """Adds ``pipeline`` and ``run_id`` to records that do not carry them already."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _run.get()
        if not hasattr(record, "pipeline"):
            record.pipeline = context.pipeline if context else None
        if not hasattr(record, "run_id"):
            record.run_id = context.run_id if context else None
        return True


class RedactingFilter(logging.Filter):
    """Renders each record's message and traceback once, with secrets masked."""

    def __init__(self, redactor: Redactor = redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.redact(record.exc_text)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self._redactor.redact(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """``journal`` and ``plain`` lines: level, ``[pipeline run]`` when in a run, logger, message."""

    def __init__(self, *, journal: bool) -> None:
        super().__init__(datefmt="%Y-%m-%dT%H:%M:%S%z")
        self.journal = journal

    def formatMessage(self, record: logging.LogRecord) -> str:
        where = _run_tag(record)
        line = f"{record.levelname} {where}{record.name}: {record.message}"
        if self.journal:
            return f"<{_syslog_priority(record.levelno)}>{line}"
        return f"{self.formatTime(record, self.datefmt)} {line}"


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pipeline": getattr(record, "pipeline", None),
            "run_id": getattr(record, "run_id", None),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    log_format: LogFormat = "auto",
    *,
    level: int = logging.INFO,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Send the root logger's records to *stream* (stderr) in *log_format*; return the handler.

    Replaces handlers installed earlier, so calling it again (after a reload) does not double lines.
    """
    out = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(out)
    handler.addFilter(RunContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(_formatter(_resolve(log_format, out, environ)))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler narrates every job at INFO; its warnings (missed or skipped runs) are what matter.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    # httpx logs every request at INFO; a daemon polling Zoho would drown its own lines in them.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    return handler


def writes_to_journal(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether *stream* is the journal stream systemd announced in ``$JOURNAL_STREAM`` (dev:inode)."""
    announced = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    try:
        stat = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return False
    return announced == f"{stat.st_dev}:{stat.st_ino}"


def _resolve(log_format: LogFormat, stream: TextIO, environ: Mapping[str, str] | None) -> LogFormat:
    if log_format != "auto":
        return log_format
    return "journal" if writes_to_journal(stream, environ) else "plain"


def _formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return TextFormatter(journal=log_format == "journal")


def _run_tag(record: logging.LogRecord) -> str:
    pipeline = getattr(record, "pipeline", None)
    if pipeline is None:
        return ""
    run_id = getattr(record, "run_id", None)
    return f"[{pipeline} {run_id}] " if run_id else f"[{pipeline}] "


def _syslog_priority(levelno: int) -> int:
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


__all__ = [
    "LOG_FORMATS",
    "LogFormat",
    "RedactingFilter",
    "Redactor",
    "RunContext",
    "RunContextFilter",
    "configure_logging",
    "current_run",
    "redact",
    "redactor",
    "register_secret",
    "register_secrets_in",
    "run_context",
    "writes_to_journal",
]
