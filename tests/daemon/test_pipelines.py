"""The daemon's side of a run, without processes: reported errors, the merged stop event."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from syncd.daemon.pipelines import RunFailedError, either, raise_for_report
from syncd.daemon.schedule import Backoff


@dataclass
class Report:
    error: str | None = None


def test_an_error_the_engine_reported_fails_the_run_so_the_pipeline_backs_off() -> None:
    raise_for_report("contacts", Report())
    with pytest.raises(RunFailedError, match="contacts: Zoho is down") as failure:
        raise_for_report("contacts", Report("Zoho is down"))
    assert Backoff().delay(1, failure.value) == Backoff().initial


def test_the_run_stops_when_either_shutdown_or_a_lost_lease_says_so() -> None:
    shutdown, lost = threading.Event(), threading.Event()
    with either(shutdown, lost, poll=0.01) as stop:
        assert not stop.wait(0.05)
        lost.set()
        assert stop.wait(5)
    with either(shutdown, threading.Event()) as stop_again:
        shutdown.set()
        assert stop_again.wait(5)
