"""A local Prefect server that tracker starts once and reuses, under the data directory.

Prefect's ephemeral mode starts a throw-away server inside every command and
kills it at exit, which prints "database is locked" and CancelledError
tracebacks and loses task-run records. Instead, unless PREFECT_API_URL names a
server already, tracker starts `prefect server start` in the background with its
home at DATA_DIR/prefect, records its URL there, and later commands reuse it.
This module does not import Prefect.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tracker.errors import TrackerError

STARTUP_TIMEOUT = 90.0
API_URL_ENV = "PREFECT_API_URL"

# Quiet, private and local: no analytics, no UI, nothing phoned home.
SERVER_ENVIRONMENT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}
CLIENT_ENVIRONMENT = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


class PrefectServerError(TrackerError):
    hint = "see DATA_DIR/prefect/server.log, or set PREFECT_API_URL to a running Prefect server"


def prefect_home(data_dir: Path) -> Path:
    return data_dir / "prefect"


def use_prefect_server(data_dir: Path) -> str:
    """Point this process at a Prefect API (starting the local server if needed); returns its URL.

    Call before importing Prefect.
    """
    for name, value in CLIENT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    url = os.environ.get(API_URL_ENV) or ensure_local_server(data_dir)
    os.environ[API_URL_ENV] = url
    return url


def ensure_local_server(data_dir: Path) -> str:
    """The URL of the local server for `data_dir`, started now unless it is running."""
    home = prefect_home(data_dir)
    home.mkdir(parents=True, exist_ok=True)
    with _exclusive(home / "server.lock"):
        state = _read_state(home)
        if state and _healthy(state["url"]):
            return state["url"]
        return _start(home)


def stop_local_server(data_dir: Path) -> bool:
    """Stop the local server of `data_dir`; returns whether one was running."""
    home = prefect_home(data_dir)
    state = _read_state(home)
    if not state:
        return False
    try:
        os.killpg(int(state["pid"]), signal.SIGTERM)
    except ProcessLookupError:
        return False
    finally:
        (home / "server.json").unlink(missing_ok=True)
    return True


def local_server_url(data_dir: Path) -> str | None:
    """The URL of the local server when it is up, else None."""
    state = _read_state(prefect_home(data_dir))
    return state["url"] if state and _healthy(state["url"]) else None


def _start(home: Path) -> str:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    environment = {**os.environ, **SERVER_ENVIRONMENT, "PREFECT_HOME": str(home.resolve())}
    environment.pop(API_URL_ENV, None)
    log = (home / "server.log").open("ab")
    command = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=environment,
        start_new_session=True,
        cwd=home,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrefectServerError(
                f"the local Prefect server exited with code {process.returncode}"
            )
        if _healthy(url):
            (home / "server.json").write_text(json.dumps({"url": url, "pid": process.pid}))
            return url
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGTERM)
    raise PrefectServerError(
        f"the local Prefect server did not start within {STARTUP_TIMEOUT:.0f} s"
    )


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _read_state(home: Path) -> dict[str, str] | None:
    try:
        state = json.loads((home / "server.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not {"url", "pid"} <= state.keys():
        return None
    return {"url": str(state["url"]), "pid": str(state["pid"])}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One process at a time checks and starts the server."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
