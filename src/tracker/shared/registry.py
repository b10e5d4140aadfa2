"""The profiles to track, published by the hub and adopted by each worker before its run."""

from __future__ import annotations

import os
from pathlib import Path

from tracker.errors import StorageError, UserInputError
from tracker.shared.layout import REGISTRY_FILE, sql_path
from tracker.store import Store, engine

REGISTRY_COLUMNS = ("id", "url", "source", "person", "active", "added_at")


def publish_registry(store: Store, shared: Path) -> int:
    """Write the hub's profiles to the shared folder (replacing the last copy whole)."""
    target = shared / REGISTRY_FILE
    partial = target.with_name(f".partial-{REGISTRY_FILE}")
    try:
        shared.mkdir(parents=True, exist_ok=True)
        with store.transaction() as con:
            con.execute(
                f"COPY (SELECT {', '.join(REGISTRY_COLUMNS)} FROM profiles ORDER BY id) "
                f"TO {sql_path(partial)} (FORMAT parquet)"
            )
            [(count,)] = con.execute("SELECT count(*) FROM profiles").fetchall()
        os.replace(partial, target)
    except (OSError, engine.IOException) as error:
        raise StorageError(
            f"cannot write the registry to {shared}: {error}",
            hint="check that the shared folder is mounted and writable",
        ) from None
    return int(count)


def adopt_registry(store: Store, shared: Path) -> int:
    """Add the hub's new profiles to this worker's database, and stop syncing the ones the
    hub removed or purged.

    A profile's address stays the worker's own: a move the worker saw reaches the hub
    with its run. Returns how many profiles the registry holds.
    """
    source = shared / REGISTRY_FILE
    if not source.is_file():
        raise UserInputError(
            f"no profile registry in {shared}",
            hint=f"run `tracker merge --shared {shared}` on the hub once, after `tracker add`",
        )
    columns = ", ".join(REGISTRY_COLUMNS)
    with store.transaction() as con:
        con.execute(
            f"INSERT INTO profiles ({columns}) SELECT {columns} FROM read_parquet(?) "
            "ON CONFLICT (id) DO UPDATE SET active = excluded.active, person = excluded.person",
            [str(source)],
        )
        con.execute(  # purged on the hub
            "UPDATE profiles SET active = false WHERE active "
            "AND id NOT IN (SELECT id FROM read_parquet(?))",
            [str(source)],
        )
        [(count,)] = con.execute("SELECT count(*) FROM read_parquet(?)", [str(source)]).fetchall()
    return int(count)
