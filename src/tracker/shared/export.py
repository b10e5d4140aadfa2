"""A worker's side: each finished run written to the shared folder as Parquet, once."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

from tracker.errors import StorageError
from tracker.shared.layout import (
    EXPORTED_ROWS,
    MANIFEST_FILE,
    PARTIAL_PREFIX,
    Manifest,
    export_name,
    runs_dir,
    sql_path,
    table_file,
)
from tracker.store import Store, engine
from tracker.store.database import to_db_time
from tracker.store.schema import SCHEMA_VERSION


def export_finished_runs(store: Store, shared: Path, now: datetime) -> list[str]:
    """Export every finished run not exported yet (a crashed run's too); returns the names.

    An export is written under a temporary name and renamed when complete, and a run is
    marked exported after that: a crash in between exports it again under the same name,
    which the rename then finds in place.
    """
    worker = worker_id(store)
    pending = store.query(
        "SELECT id, started_at FROM runs WHERE status <> 'running' "
        "AND id NOT IN (SELECT run_id FROM shared_exports) ORDER BY id"
    )
    names = []
    for run_id, started_at in pending:
        name = export_name(worker, run_id)
        _write_export(store, runs_dir(shared) / name, worker, run_id, started_at)
        with store.transaction() as con:
            con.execute(
                "INSERT INTO shared_exports VALUES (?, ?, ?)", [run_id, name, to_db_time(now)]
            )
        names.append(name)
    return names


def worker_id(store: Store) -> str:
    """This database's own id, made on first use: exports from different workers never clash."""
    with store.transaction() as con:
        con.execute(
            "INSERT INTO meta VALUES ('worker_id', ?) ON CONFLICT DO NOTHING", [uuid.uuid4().hex]
        )
        row = con.execute("SELECT value FROM meta WHERE key = 'worker_id'").fetchone()
    assert row is not None
    return str(row[0])


def _write_export(store: Store, folder: Path, worker: str, run_id: int, started: datetime) -> None:
    if (folder / MANIFEST_FILE).exists():
        return  # exported before a crash kept it from being marked
    partial = folder.with_name(PARTIAL_PREFIX + folder.name)
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        rows = {}
        with store.transaction() as con:  # one consistent view of the run
            for table, select in EXPORTED_ROWS.items():
                sql = select.replace("$run", str(int(run_id)))
                target = sql_path(table_file(partial, table))
                con.execute(f"COPY ({sql}) TO {target} (FORMAT parquet)")
                [(count,)] = con.execute(f"SELECT count(*) FROM read_parquet({target})").fetchall()
                rows[table] = int(count)
        manifest = Manifest(
            name=folder.name,
            worker=worker,
            run_id=run_id,
            started_at=started.isoformat(),
            schema_version=SCHEMA_VERSION,
            rows=rows,
        )
        (partial / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2))
        shutil.rmtree(folder, ignore_errors=True)  # an incomplete folder of an older tracker
        os.replace(partial, folder)
    except (OSError, engine.Error) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error).splitlines()[0]
        raise StorageError(
            f"cannot export run {run_id} to {folder.parent}: {reason}",
            hint="check that the shared folder is mounted and writable",
        ) from None
