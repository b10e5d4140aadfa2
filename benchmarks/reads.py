"""Reads: `tracker history` and `tracker report` on the grown database, as a person runs them.

Each command is a fresh interpreter (`python -m tracker ...`), so the wall time includes
starting Python and importing tracker; `python -c pass` and `tracker --help` show how much
of it that start is. Most of the start is compiling the imported modules when Python has
no bytecode cache for them (PYTHONDONTWRITEBYTECODE set and no .pyc files installed), so
`history` is also timed with a bytecode cache, as an install that keeps .pyc files runs it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from benchmarks import growth
from benchmarks.report import Section, secs
from tracker.store import Store
from tracker.store.queries import changes

HISTORY_TARGET = 0.3
REPORT_TARGET = 3.0


def run(workdir: Path, *, quick: bool) -> Section:
    size = growth.scale(quick=quick)
    path = growth.database(workdir)
    if not path.exists():
        growth.grow(workdir, size)
    profile = _busiest_profile(path)
    tracker = [sys.executable, "-m", "tracker", "--db", str(path)]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "tracker --help": [sys.executable, "-m", "tracker", "--help"],
        "history": [*tracker, "history", profile],
        "report": [*tracker, "report", "--format", "md"],
    }
    repeats = 3 if quick else 5
    cached = _with_bytecode_cache(workdir / "pycache")
    _wall(commands["history"], cached)  # fills the cache
    runs: dict[str, tuple[list[str], Mapping[str, str] | None]] = {
        name: (command, None) for name, command in commands.items()
    }
    runs["history, bytecode cached"] = (commands["history"], cached)
    best = {name: float("inf") for name in runs}
    output = dict.fromkeys(runs, 0)
    for _ in range(repeats):
        for name, (command, env) in runs.items():
            seconds, output[name] = _wall(command, env)
            best[name] = min(best[name], seconds)
    start = f"{secs(best['python -c pass'])} python, {secs(best['tracker --help'])} --help"
    section = Section(
        f"Reads: wall time of a command on {size.profiles:,} profiles over {size.days} days",
        f"best of {repeats}, interleaved; each a new process (`python -m tracker ...`)",
    )
    section.check(
        f"tracker history {profile} ({output['history'] // 1024} KiB out)",
        secs(best["history"]),
        start,
        f"< {HISTORY_TARGET:g} s",
        best["history"] < HISTORY_TARGET,
        "reads history < 0.3 s",
    )
    section.info(
        f"tracker history {profile}, with a bytecode cache",
        secs(best["history, bytecode cached"]),
        "as installed with .pyc files",
    )
    section.check(
        f"tracker report --format md, all profiles ({output['report'] // 1024} KiB out)",
        secs(best["report"]),
        start,
        f"< {REPORT_TARGET:g} s",
        best["report"] < REPORT_TARGET,
        "reads report < 3 s",
    )
    if not _bytecode_cached():
        section.details.append(
            "no bytecode cache here (PYTHONDONTWRITEBYTECODE is set and the installed packages "
            "have no .pyc files): each command compiles what it imports; "
            "`uv sync --compile-bytecode` installs them compiled"
        )
    return section


def _busiest_profile(path: Path) -> str:
    """The profile with the most changes over the year: the longest history to show."""
    with Store.open(path, read_only=True) as store:
        counts = Counter(change.profile for change in changes(store))
    return counts.most_common(1)[0][0]


def _wall(command: list[str], env: Mapping[str, str] | None = None) -> tuple[float, int]:
    """Seconds from start to exit, and how many bytes the command printed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return seconds, len(done.stdout)


def _with_bytecode_cache(folder: Path) -> dict[str, str]:
    """This environment, with Python writing and reading bytecode in `folder`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(folder)}


def _bytecode_cached() -> bool:
    """Whether a new interpreter here finds compiled bytecode for what tracker imports."""
    import duckdb

    compiled = importlib.util.cache_from_source(duckdb.__file__ or "")
    return Path(compiled).exists() or not sys.flags.dont_write_bytecode
