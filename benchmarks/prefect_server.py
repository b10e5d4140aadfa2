"""The benchmarks' own local Prefect server: started once, under the scratch directory.

It is the server `tracker sync` starts (`tracker.prefect_server`), homed elsewhere so the
benchmarks never touch `storage/`. The server keeps working through its event backlog for a
while after a flow ends; `wait_until_idle` lets it finish, so one measurement does not pay
for the one before it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tracker.prefect_server import API_URL_ENV, prefect_home, stop_local_server, use_prefect_server

IDLE_CPU_SHARE = 0.05  # the server counts as idle below 5% of a core
IDLE_SAMPLE = 0.5  # seconds
IDLE_TIMEOUT = 300.0


def start(workdir: Path) -> int | None:
    """Start the server for `workdir` (this process talks to it from now on); its pid."""
    os.environ.pop(API_URL_ENV, None)
    use_prefect_server(workdir)
    return server_pid(workdir)


def stop(workdir: Path) -> None:
    """Stop the server and reap it, so its files can be removed."""
    pid = server_pid(workdir)
    if not stop_local_server(workdir) or pid is None:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            reaped, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if reaped:
            return
        time.sleep(0.1)


def server_pid(workdir: Path) -> int | None:
    try:
        state = json.loads((prefect_home(workdir) / "server.json").read_text())
        return int(state["pid"])
    except (OSError, ValueError, KeyError):
        return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time the process has used so far (0 when it cannot be read)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int | None) -> None:
    """Wait until the server has worked through what the last flow sent it."""
    if pid is None:
        return
    deadline = time.monotonic() + IDLE_TIMEOUT
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(IDLE_SAMPLE)
        if cpu_seconds(pid) - before < IDLE_CPU_SHARE * IDLE_SAMPLE:
            return
