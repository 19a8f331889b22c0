"""The systemd units in systemd/: hardened, consistent with the daemon, and valid for systemd."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.daemon.service import ServiceOptions

UNITS = Path(__file__).parents[2] / "systemd"
SERVICES = ["syncd.service", "syncd-sync@.service"]

Unit = dict[str, dict[str, list[str]]]

HARDENING = {
    "DynamicUser": "yes",
    "StateDirectory": "syncd",
    "ConfigurationDirectory": "syncd",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


def parse_unit(path: Path) -> Unit:
    """Sections of key -> every value given (systemd keys may repeat)."""
    unit: Unit = {}
    section: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = unit.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def timespan(text: str) -> timedelta:
    units = {"s": 1, "sec": 1, "min": 60, "h": 3600}
    total = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)\s*(min|sec|s|h)", text))
    assert total, f"cannot read the time span {text!r}"
    return timedelta(seconds=total)


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_hardened(name: str) -> None:
    service = parse_unit(UNITS / name)["Service"]
    missing = {key: want for key, want in HARDENING.items() if want not in service.get(key, [])}
    assert missing == {}, f"{name} lacks {missing}"
    assert "@system-service" in service["SystemCallFilter"]
    assert any(f.startswith("~") and "@privileged" in f for f in service["SystemCallFilter"])


@pytest.mark.parametrize("name", SERVICES)
def test_zoho_secrets_come_as_credentials(name: str) -> None:
    credentials = [c.split(":", 1)[0] for c in parse_unit(UNITS / name)["Service"]["LoadCredential"]]
    assert credentials == ["zoho_client_secret", "zoho_refresh_token"]  # the names syncd.config reads


def test_the_daemon_unit_notifies_reloads_and_is_watched() -> None:
    service = parse_unit(UNITS / "syncd.service")["Service"]
    assert service["Type"] == ["notify"]
    assert service["NotifyAccess"] == ["main"]
    assert service["ExecStart"] == ["/usr/bin/syncd run --config /etc/syncd/syncd.toml"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["2"]  # a configuration error


def test_the_daemon_units_timeouts_fit_the_daemons() -> None:
    service = parse_unit(UNITS / "syncd.service")["Service"]
    options = ServiceOptions()
    assert timespan(service["TimeoutStopSec"][0]) > options.stop_timeout
    # The watchdog must outlast a heartbeat judged stale, or a busy scheduler would be killed.
    assert timespan(service["WatchdogSec"][0]) >= 2 * options.max_heartbeat_age


def test_the_timer_model_runs_one_pipeline_per_instance() -> None:
    service = parse_unit(UNITS / "syncd-sync@.service")
    timer = parse_unit(UNITS / "syncd-sync@.timer")
    assert service["Service"]["Type"] == ["oneshot"]
    assert service["Service"]["ExecStart"][0].endswith(" %I")
    assert service["Service"]["User"] == parse_unit(UNITS / "syncd.service")["Service"]["User"]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd to run this check)")
    for unit in UNITS.glob("syncd*"):
        # verify insists that ExecStart= names an existing executable; syncd is not installed here.
        text = unit.read_text().replace("/usr/bin/syncd ", f"{shutil.which('true')} ")
        (tmp_path / unit.name).write_text(text)
    names = ["syncd.service", "syncd-sync@contacts.service", "syncd-sync@contacts.timer"]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(f"./{n}" for n in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
