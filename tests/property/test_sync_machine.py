"""A Hypothesis state machine over whole pipeline runs: the CSV connector, the emulator over HTTP.

Rules create, change and delete records in the CSV file and in the CRM (admin API), run the
pipeline, and inject a fault before a run. After every run that had no fault pending:

* both sides agree on the mapped fields of every record they both hold, and a record only one side
  holds was deleted on the other (deletes are off by default: a delete is left where it happened);
* a dry run right after plans nothing, and a real second run writes nothing and spends no write
  credits in the emulator;
* the state store's record state and ID map match what both sides hold.

Bounded so it finishes in about a minute, and derandomized so CI sees the same examples every time.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from syncd.app import open_runtime
from syncd.config import load_config
from syncd.emulator import EmulatorSettings, RunningEmulator, start_emulator
from syncd.engine.report import PipelineReport
from syncd.engine.runner import run_pipeline

COLUMNS = ("email", "surname", "given_name", "phone")
FIELDS = {"Email": "email", "Last_Name": "surname", "First_Name": "given_name", "Phone": "phone"}
PIPELINE = "contacts"

emails = st.sampled_from([f"p{n}@example.com" for n in range(8)])
surnames = st.sampled_from(["Lovelace", "Hopper", "Turing", "Noether"])
given_names = st.sampled_from(["", "Ada", "Grace", "Alan"])
phones = st.sampled_from(["", "+4412345", "+15550100"])
faults = st.sampled_from([{"throttle_next": 1}, {"fail_next_jobs": 1}, {"throttle_next": 3}])


def _config(root: Path, url: str) -> str:
    fields = "".join(f'{crm} = "{column}"\n' for crm, column in FIELDS.items())
    return f"""
[state]
url = "sqlite:///{root / "state.sqlite"}"
[zoho]
accounts_url = "{url}"
api_url = "{url}"
upload_url = "{url}"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"
[connectors.shop]
type = "csv"
directory = "{root / "shop"}"
streams.customers = {{ key = ["email"] }}
[pipelines.{PIPELINE}]
connector = "shop"
stream = "customers"
module = "Contacts"
find_by = "Email"
[pipelines.{PIPELINE}.fields]
{fields}"""


class SyncMachine(RuleBasedStateMachine):
    emulator: RunningEmulator
    scratch: Path

    def __init__(self) -> None:
        super().__init__()
        self._admin("POST", "reset")
        self.root = Path(tempfile.mkdtemp(dir=self.scratch))
        (self.root / "shop").mkdir()
        self.config_path = self.root / "syncd.toml"
        self.config_path.write_text(_config(self.root, self.emulator.url), encoding="utf-8")
        self._write_csv([])
        self.deleted: set[str] = set()  # keys deleted on one side at some point
        self.fault_pending = False
        self.last_run: PipelineReport | None = None

    # -- the two sides ---------------------------------------------------------------------------

    def _admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{self.emulator.url}/__emulator__/{path}", timeout=30, **kwargs)
        answer.raise_for_status()
        return answer

    def _crm(self) -> dict[str, dict[str, Any]]:
        lines = self._admin("GET", "records/Contacts").text.splitlines()
        return {str(r["Email"]).casefold(): r for r in (json.loads(line) for line in lines if line)}

    def _csv(self) -> dict[str, dict[str, str]]:
        with (self.root / "shop" / "customers.csv").open(encoding="utf-8", newline="") as handle:
            return {row["email"]: row for row in csv.DictReader(handle)}

    def _write_csv(self, rows: list[dict[str, str]]) -> None:
        with (self.root / "shop" / "customers.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def _write_jobs(self) -> int:
        jobs = self._admin("GET", "stats").json()["jobs"]
        return sum(sum(states.values()) for kind, states in jobs.items() if kind != "read")

    def _run(self, **options: Any) -> PipelineReport:
        # Runs a minute apart on the emulator's clock: Zoho allows 10 bulk-read downloads a minute.
        self._admin("POST", "clock/advance", json={"seconds": 60})
        with open_runtime(load_config(self.config_path)) as runtime:
            return run_pipeline(runtime, PIPELINE, **options)

    # -- rules -----------------------------------------------------------------------------------

    @rule(email=emails, surname=surnames, given=given_names, phone=phones)
    def put_source_row(self, email: str, surname: str, given: str, phone: str) -> None:
        self.last_run = None  # the invariants hold right after a run
        rows = self._csv()
        rows[email] = {"email": email, "surname": surname, "given_name": given, "phone": phone}
        self._write_csv(list(rows.values()))

    @rule(email=emails)
    def delete_source_row(self, email: str) -> None:
        self.last_run = None  # the invariants hold right after a run
        rows = self._csv()
        if rows.pop(email, None) is not None:
            self.deleted.add(email)
            self._write_csv(list(rows.values()))

    @rule(email=emails, surname=surnames, given=given_names, phone=phones)
    def put_crm_record(self, email: str, surname: str, given: str, phone: str) -> None:
        self.last_run = None  # the invariants hold right after a run
        values = {"Email": email, "Last_Name": surname, "First_Name": given or None, "Phone": phone or None}
        existing = self._crm().get(email)
        if existing is None:
            self._admin("POST", "records/Contacts", json={"records": [values]})
        else:
            self._admin("PATCH", f"records/Contacts/{existing['id']}", json=values)

    @rule(email=emails)
    def delete_crm_record(self, email: str) -> None:
        self.last_run = None  # the invariants hold right after a run
        existing = self._crm().get(email)
        if existing is not None:
            self.deleted.add(email)
            self._admin("DELETE", f"records/Contacts/{existing['id']}")

    @rule(fault=faults)
    def inject_fault(self, fault: dict[str, int]) -> None:
        self.last_run = None  # the invariants hold right after a run
        self._admin("PUT", "faults", json=fault)
        self.fault_pending = True

    @rule()
    def run(self) -> None:
        report = self._run()
        if self.fault_pending:
            self._admin("PUT", "faults", json={"throttle_next": 0, "fail_next_jobs": 0})
            self.fault_pending = False
            self.last_run = None
            return
        assert report.error is None, report.error
        self.last_run = report
        self._check_second_run_is_idle()

    # -- invariants ------------------------------------------------------------------------------

    def _check_second_run_is_idle(self) -> None:
        plan = self._run(dry_run=True)
        assert _writes(plan) == {}, f"a dry run right after a run plans {_writes(plan)}"
        records_before, jobs_before = self._crm(), self._write_jobs()
        again = self._run()
        assert again.error is None, again.error
        assert _writes(again) == {}, f"a second run wrote {_writes(again)}"
        assert again.push.credits == 0
        assert self._write_jobs() == jobs_before
        assert self._crm() == records_before  # no upsert either: it would move Modified_Time
        assert self._crm() == records_before

    @invariant()
    @precondition(lambda self: self.last_run is not None)
    def sides_agree_and_the_store_knows_it(self) -> None:
        crm, source = self._crm(), self._csv()
        for key in set(crm) ^ set(source):
            assert key in self.deleted, f"{key} is on one side only but was never deleted"
        both = sorted(set(crm) & set(source))
        for key in both:
            assert _mapped(crm[key]) == _source_mapped(source[key]), key
        with open_runtime(load_config(self.config_path)) as runtime, runtime.store.snapshot() as tx:
            stored = tx.records.get(PIPELINE, both)
            ids = tx.id_map.crm_ids(PIPELINE, both)
        for key in both:
            assert ids.get(key) == str(crm[key]["id"]), f"the ID map of {key}"
            assert _stored(stored[key].values) == _source_mapped(source[key]), f"the record state of {key}"


def _writes(report: PipelineReport) -> dict[str, int]:
    counts = {
        f"{side}.{name}": getattr(getattr(report, side), name)
        for side in ("push", "pull")
        for name in ("created", "updated", "deleted", "jobs")
    }
    return {name: count for name, count in counts.items() if count} | (
        {"paths": len(report.paths)} if report.paths else {}
    )


def _blank(value: Any) -> str:
    return "" if value is None else str(value)


def _mapped(record: dict[str, Any]) -> dict[str, str]:
    return {crm: _blank(record.get(crm)) for crm in FIELDS}


def _source_mapped(row: dict[str, str]) -> dict[str, str]:
    return {crm: row[column] for crm, column in FIELDS.items()}


def _stored(values: Any) -> dict[str, str]:
    return {crm: _blank(values.get(crm)) for crm in FIELDS}


@pytest.fixture
def quick_emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorSettings(job_seconds=0.0, page_size=500)) as emu:
        yield emu


def test_runs_converge_and_a_second_run_does_nothing(quick_emulator: RunningEmulator, tmp_path: Path) -> None:
    SyncMachine.emulator = quick_emulator
    SyncMachine.scratch = tmp_path
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
