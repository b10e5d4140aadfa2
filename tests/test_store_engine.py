"""`tracker.store.engine`: DuckDB's engine, as the `duckdb` package itself exports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tracker.store import engine


def test_engine_objects_are_the_duckdb_packages_own() -> None:
    # Imported here: a test module importing it would set the engine up for the whole session,
    # and the other tests would not run as `tracker` does without it.
    import duckdb

    assert engine.connect is duckdb.connect
    assert engine.Connection is duckdb.DuckDBPyConnection
    assert engine.Error is duckdb.Error
    assert engine.IOException is duckdb.IOException
    assert engine.CatalogException is duckdb.CatalogException


def test_writing_through_arrow_works_in_a_process_that_imported_only_tracker(
    tmp_path: Path,
) -> None:
    script = f"""
import sys
import pyarrow as pa
from tracker.store import engine
assert "duckdb" not in sys.modules
from tracker.store.bulk import insert_arrow
con = engine.connect({str(tmp_path / "t.duckdb")!r})
con.execute("CREATE TABLE t (answer INTEGER)")
insert_arrow(con, "t", pa.table({{"answer": [42]}}))
assert con.execute("SELECT answer FROM t").fetchall() == [(42,)]
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
