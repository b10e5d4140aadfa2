"""Memory: peak RSS of a process that syncs many profiles through the flow, as `tracker sync` does.

The pages are served from this process; the syncs run in a child (`python -m
benchmarks.memory DB FIRST`), which reports its own peak RSS: after a first run over a tenth
of the profiles (the baseline), then after a run over all of them. When profiles are streamed,
not accumulated, ten times the profiles cost about the same memory.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from benchmarks import pages, prefect_server
from benchmarks.report import Section, mib
from tracker.pageserver import PageServer
from tracker.store import Store

TARGET_BYTES = 500 * 2**20


def run(workdir: Path, *, quick: bool) -> Section:
    count = 200 if quick else 10_000
    baseline_count = count // 10
    prefect_server.start(workdir)
    with PageServer() as server:
        bodies = ((n, pages.page_body(pages.researcher(n))) for n in range(count))
        pages.serve(server, bodies)
        db = workdir / "memory" / "tracker.duckdb"
        db.parent.mkdir(parents=True)
        with Store.open(db) as store:
            for number in range(count):
                store.add_profile(pages.new_profile(server, number))
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", str(db), str(baseline_count)],
            capture_output=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the memory child failed: {done.stderr.decode()[-2000:]}")
    peaks = json.loads(done.stdout.decode().strip().splitlines()[-1])
    section = Section(
        f"Memory: peak RSS of a process syncing {count:,} profiles through the flow",
        f"one child process, `tracker sync`'s settings (concurrency {peaks['concurrency']}): "
        f"a run over {baseline_count:,} profiles (the baseline), then one over all {count:,}",
    )
    section.check(
        f"peak RSS after syncing {count:,} profiles",
        mib(peaks["all"]),
        f"{mib(peaks['tenth'])} after {baseline_count:,}",
        f"< {mib(TARGET_BYTES)}",
        peaks["all"] < TARGET_BYTES,
        "memory < 500 MB",
    )
    section.info("RSS after the imports, before any sync", mib(peaks["startup"]))
    section.info(
        f"wall time of the run over {count:,}",
        f"{peaks['seconds']:.0f} s",
        f"{peaks['seconds'] / count * 1000:.1f} ms per profile",
    )
    return section


def _max_rss() -> int:
    """This process's peak RSS in bytes.

    Linux's `ru_maxrss` carries over the parent's peak when a child is spawned (the parent
    holds the pages, so that would be measured too); /proc's VmHWM is this process's own.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    [line] = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024  # kB


def child(db: Path, first: int) -> None:
    """Sync the first profiles of `db`, then all of them; print the peak RSS after each.

    The settings are `tracker sync`'s (the environment's, default concurrency 4), but for
    the politeness delay: the only host is the local server.
    """
    from flows.sync_flow import run_sync

    from tracker.settings import FetchSettings, Settings

    settings = Settings(data_dir=db.parent, db=db, fetch=FetchSettings(politeness_delay=0))
    with Store.open(db, read_only=True) as store:
        ids = [profile.id for profile in store.profiles()]
    startup = _max_rss()
    tenth = run_sync(settings, ids[:first], as_of=pages.DAY_ONE)
    after_tenth = _max_rss()
    start = time.perf_counter()
    every = run_sync(settings, as_of=pages.DAY_ONE + timedelta(days=1))
    seconds = time.perf_counter() - start
    if tenth.failed or every.failed or tenth.baseline + every.baseline != len(ids):
        raise RuntimeError(f"the syncs did not take every profile's baseline: {tenth}, {every}")
    peaks = {"startup": startup, "tenth": after_tenth, "all": _max_rss(), "seconds": seconds}
    print(json.dumps(peaks | {"concurrency": settings.concurrency}))


if __name__ == "__main__":
    child(Path(sys.argv[1]), int(sys.argv[2]))
