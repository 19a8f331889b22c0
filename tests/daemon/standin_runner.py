"""A pipeline runner for ``syncd run``'s tests, standing in for the engine's (``--runner``).

It does what the daemon relies on the engine to do, against the real runtime: build the pipeline's
connector, get an access token from the (emulated) Zoho, reserve credits in the shared ledger, work
in steps that stop at a checkpoint once ``stop`` is set, and record the run in the store's run
history under the daemon's holder name. Each run costs ``COST`` credits; a full budget fails the run.
Pipelines named ``slow*`` take ``SLOW_STEPS`` steps of ``STEP_SECONDS``; the others take one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from syncd.app import Runtime
from syncd.errors import BudgetExceededError
from syncd.store import Outcome

COST = COST_PER_RUN = 100
STEP_SECONDS = 0.1
SLOW_STEPS = 200

log = logging.getLogger("standin")


@dataclass
class Report:
    pipeline: str
    error: str | None = None


def run_pipeline(runtime: Runtime, name: str, *, stop: threading.Event) -> Report:
    runtime.connector(runtime.config.pipelines[name].connector).close()
    runtime.zoho.auth.token()
    with runtime.store.transaction() as tx:
        run_id = tx.runs.start(name, holder=runtime.config.daemon.holder).id
    limits = runtime.config.credits
    reservation = runtime.store.credits.reserve(
        runtime.org, COST, f"bulk read {name}", limit=limits.daily_limit, reserve=limits.reserve
    )
    if reservation is None:
        _finish(runtime, run_id, Outcome.FAILED, credits=0, error="credit budget full")
        raise BudgetExceededError(f"{name}: no {COST} credits left in the budget")
    steps = SLOW_STEPS if name.startswith("slow") else 1
    for step in range(steps):
        if stop.wait(STEP_SECONDS):
            log.info("%s stopped at a checkpoint after step %d", name, step)
            break
    runtime.store.credits.commit(reservation)
    _finish(runtime, run_id, Outcome.SUCCEEDED, credits=COST, counts={"push_created": 1})
    return Report(name)


def _finish(runtime: Runtime, run_id: int, outcome: Outcome, **details: Any) -> None:
    with runtime.store.transaction() as tx:
        tx.runs.finish(run_id, outcome, **details)
