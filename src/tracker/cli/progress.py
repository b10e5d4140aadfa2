"""A progress bar for `tracker sync`, fed by the fetch rows the running flow commits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracker.store import engine

POLL_SECONDS = 0.25


@contextmanager
def sync_progress(db_path: Path, total: int, console: Console) -> Iterator[None]:
    """Show how many of `total` profiles the newest run has recorded, until the block ends.

    The flow runs in this process, so a second connection to the same file shares its
    database and sees each profile's transaction as it commits. On a terminal only.
    """
    if not console.is_terminal or total < 2:
        yield
        return
    stop = threading.Event()
    columns = (TextColumn("syncing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("sync", total=total)

        def watch() -> None:
            con = engine.connect(str(db_path))
            try:
                while not stop.wait(POLL_SECONDS):
                    progress.update(task, completed=_recorded(con))
            finally:
                con.close()

        watcher = threading.Thread(target=watch, name="sync-progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()


def _recorded(con: engine.Connection) -> int:
    row = con.execute(
        "SELECT count(*) FROM fetches WHERE run_id = (SELECT max(id) FROM runs)"
    ).fetchone()
    return int(row[0]) if row else 0
