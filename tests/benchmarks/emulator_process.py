"""An emulator in its own process, seeded, for benchmarks that must not share a CPU-bound GIL with it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulator_process(contacts: int, log: Path, *, ready_seconds: float = 900) -> Iterator[str]:
    """``syncd emulator serve`` seeded with ``contacts`` Contacts; yields its URL once it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "syncd", "emulator", "serve", "--port", str(port), "--job-seconds", "0"]
    command += ["--seed", f"Contacts={contacts}"]
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_it_answers(process, url, ready_seconds)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_it_answers(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator ended with status {process.returncode} before answering")
        try:
            httpx.get(f"{url}/__emulator__/stats", timeout=5).raise_for_status()
        except httpx.HTTPError:
            time.sleep(0.5)
        else:
            return
    raise TimeoutError(f"the emulator at {url} did not answer within {seconds:.0f} s")
