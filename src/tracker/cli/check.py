"""`tracker check`: the database against tracker's invariants."""

from __future__ import annotations

import typer

from tracker.cli.app import out, state
from tracker.store import Store

EXIT_BROKEN = 1


def check(ctx: typer.Context) -> int:
    """Check the database and the page archive against tracker's invariants; exit 1 if broken."""
    from tracker.archive import Archive
    from tracker.integrity import check_invariants

    settings = state(ctx).settings()
    with Store.open(settings.db_path, read_only=True) as store:
        problems = check_invariants(store, Archive(settings.archive_dir))
    if not problems:
        out.print(f"{settings.db_path}: sound", markup=False)
        return 0
    for problem in problems:
        out.print(f"{settings.db_path}: {problem}", markup=False)
    return EXIT_BROKEN
