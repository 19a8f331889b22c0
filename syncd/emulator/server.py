"""Running the emulator: in a background thread for tests and the demo, or in the foreground."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import httpx
import uvicorn

from syncd.emulator.app import build_app
from syncd.emulator.jobs import JobRunner
from syncd.emulator.persist import StateKeeper, load
from syncd.emulator.settings import EmulatorSettings
from syncd.emulator.state import EmulatorState


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def prepare(settings: EmulatorSettings) -> EmulatorState:
    """A new emulator state with its job runner and seed data, not yet serving."""
    state = EmulatorState(settings)
    state.extras["jobs"] = JobRunner(state.clock)
    if settings.state_file is None or not load(state, settings.state_file):
        _seed(state)
    return state


def _seed(state: EmulatorState) -> None:
    if not state.settings.seed:
        return
    from syncd.emulator.seed import seed_all  # the synthetic data generator

    seed_all(state, state.settings.seed, state.settings.random_seed)


@dataclass
class RunningEmulator:
    url: str
    state: EmulatorState
    stop: Callable[[], None]

    def admin(self) -> httpx.Client:
        """An HTTP client on the admin API (``/__emulator__/``); close it when done."""
        return httpx.Client(base_url=f"{self.url}/__emulator__/", timeout=30)


def _server(state: EmulatorState) -> uvicorn.Server:
    config = uvicorn.Config(build_app(state), log_level="warning", lifespan="off", access_log=False)
    return uvicorn.Server(config)


@contextmanager
def start_emulator(settings: EmulatorSettings | None = None) -> Iterator[RunningEmulator]:
    """Serve an emulator on a loopback port in a background thread for the ``with`` block."""
    settings = settings or EmulatorSettings()
    state = prepare(settings)
    sock = _bind(settings.host, settings.port)
    server = _server(state)
    runner: JobRunner = state.extras["jobs"]
    runner.base_url = _url(sock)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    runner.start()
    keeper = StateKeeper(state, settings.state_file)
    keeper.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        runner.stop()
        keeper.stop()
        sock.close()

    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
        yield RunningEmulator(_url(sock), state, stop)
    finally:
        stop()


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(settings: EmulatorSettings, announce: Callable[[str], None]) -> None:
    """Serve in the foreground until SIGINT or SIGTERM (uvicorn stops cleanly on both)."""
    state = prepare(settings)
    sock = _bind(settings.host, settings.port)
    runner: JobRunner = state.extras["jobs"]
    runner.base_url = _url(sock)
    runner.start()
    keeper = StateKeeper(state, settings.state_file)
    keeper.start()
    announce(_url(sock))
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; without a handler
    # that would kill the process before the state file is saved below.
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        asyncio.run(_server(state).serve(sockets=[sock]))
    finally:
        runner.stop()
        keeper.stop()
        sock.close()
