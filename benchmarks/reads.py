"""Reads: `tracker history` and `tracker report` on the grown database, as a person runs them.

Each command is a fresh interpreter (`python -m tracker ...`), so the wall time includes
starting Python and importing tracker; `python -c pass` and `tracker --help` show how much
of it that start is.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
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
    repeats = 1 if quick else 5
    best = {name: float("inf") for name in commands}
    output = dict.fromkeys(commands, 0)
    for _ in range(repeats):
        for name, command in commands.items():
            seconds, output[name] = _wall(command)
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
    section.check(
        f"tracker report --format md, all profiles ({output['report'] // 1024} KiB out)",
        secs(best["report"]),
        start,
        f"< {REPORT_TARGET:g} s",
        best["report"] < REPORT_TARGET,
        "reads report < 3 s",
    )
    return section


def _busiest_profile(path: Path) -> str:
    """The profile with the most changes over the year: the longest history to show."""
    with Store.open(path, read_only=True) as store:
        counts = Counter(change.profile for change in changes(store))
    return counts.most_common(1)[0][0]


def _wall(command: list[str]) -> tuple[float, int]:
    """Seconds from start to exit, and how many bytes the command printed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return seconds, len(done.stdout)
