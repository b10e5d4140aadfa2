"""A sync run through the library, the way the Prefect flow runs it, without Prefect.

`sync_all` is what `tracker sync` does inside its flow: open a session (which marks runs a
killed process left 'running' as failed), sync every active profile on a few threads, finish
the run and deliver its alerts. It reports each step on `progress`, so a test can kill the
process after any number of them. `sync_in_child` runs it in a child process forked from
`forkserver()`, which has tracker imported already: a child starts in milliseconds, where a
fresh interpreter importing Prefect would take seconds.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext

from tracker.cli import main
from tracker.session import RunSummary, sync_session
from tracker.settings import Settings

Progress = Callable[[str], None]


def forkserver() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    # "__main__" (pytest's script) once in the server, not in every child; tracker from the
    # installed package, as the forkserver does not have tests/ on its path.
    preload = ["__main__", "tracker.session", "tracker.alerts.deliver", "tracker.cli.commands"]
    context.set_forkserver_preload(preload)
    return context


def sync_all(settings: Settings, progress: Progress = lambda step: None) -> RunSummary:
    """One sync run over every active profile; `progress` hears of each step."""
    with sync_session(settings) as session:
        progress(f"run {session.run_id} started")
        with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            futures = {
                pool.submit(session.syncer.sync, session.run_id, profile_id): profile_id
                for profile_id in session.profile_ids
            }
            results = []
            for future in as_completed(futures):
                results.append(future.result())
                progress(f"synced {futures[future]}")
        summary = session.finish(results)
        progress("finished")
        summary = summary.with_alerts(session.deliver_alerts())
        progress("delivered")
    return summary


def sync_in_child(settings: Settings, progress: Connection, file_size_limit: int | None) -> None:
    """The body of a child process: one sync run, each step sent to the parent."""
    if file_size_limit is not None:
        fill_disk_at(file_size_limit)
    try:
        summary = sync_all(settings, progress.send)
    except Exception as error:
        progress.send(f"error: {type(error).__name__}: {error}")
        return
    progress.send(f"done: {summary.status}")
    with contextlib.suppress(EOFError):
        progress.recv()  # alive until the parent lets go, so a kill always finds the process


def cli_in_child(
    argv: list[str], env: dict[str, str], file_size_limit: int, result: Connection
) -> None:
    """The body of a child process: `tracker ARGV` on a full disk; sends (code, stdout, stderr)."""
    fill_disk_at(file_size_limit)
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    result.send((code, out.getvalue(), err.getvalue()))


def fill_disk_at(size: int) -> None:
    """From now on no file of this process may grow past `size` bytes: a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails with EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
