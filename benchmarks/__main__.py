"""`python -m benchmarks [--quick] [--only SECTION]`: issue 7's figures beside their baselines.

Sections run in this order: growth first, while the Prefect server that sync and memory
need starts in the background (its figures are sizes and row counts, which the start does
not disturb); the timed sections run after the server is up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import growth, memory, parse, prefect_server, reads, shared, sync
from benchmarks.report import Section, render, targets_line

RUNS: dict[str, Callable[[Path, bool], Section]] = {
    "growth": lambda workdir, quick: growth.run(workdir, quick=quick),
    "parse": lambda workdir, quick: parse.run(quick=quick),
    "sync": lambda workdir, quick: sync.run(workdir, quick=quick),
    "reads": lambda workdir, quick: reads.run(workdir, quick=quick),
    "memory": lambda workdir, quick: memory.run(workdir, quick=quick),
    "shared": lambda workdir, quick: shared.run(workdir, quick=quick),
}
NEED_PREFECT = {"sync", "memory"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smaller version of each, in under two minutes"
    )
    parser.add_argument(
        "--only", choices=RUNS, action="append", help="run only this section (repeatable)"
    )
    args = parser.parse_args(argv)
    chosen = [name for name in RUNS if name in (args.only or RUNS)]
    started = time.perf_counter()
    sections: list[Section] = []
    with (
        tempfile.TemporaryDirectory(prefix="tracker-bench-") as scratch,
        ThreadPoolExecutor(1) as background,
    ):
        workdir = Path(scratch)
        server = (
            background.submit(prefect_server.start, workdir) if NEED_PREFECT & {*chosen} else None
        )
        try:
            for name in chosen:
                if server is not None and name != "growth":
                    server.result()  # the timed sections wait for the server to be up
                section_started = time.perf_counter()
                section = RUNS[name](workdir, args.quick)
                sections.append(section)
                print(render(section), flush=True)
                print(f"({name}: {time.perf_counter() - section_started:.0f} s)\n", flush=True)
        finally:
            if server is not None:
                server.result()
            prefect_server.stop(workdir)
    mode = "quick" if args.quick else "full"
    print(f"({mode} run, {time.perf_counter() - started:.0f} s)")
    print(targets_line(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
