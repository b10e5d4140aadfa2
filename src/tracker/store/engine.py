"""DuckDB's engine, imported without the `duckdb` package's Python layer.

Tracker uses connections, their results and DuckDB's errors, which the engine, the extension
module `_duckdb`, defines and the `duckdb` package re-exports. Importing the package also
loads its relational and expression API, some 10,000 lines of Python that tracker never
calls: on a start without a bytecode cache (PYTHONDONTWRITEBYTECODE set, as in many container
images, or an install without .pyc files) compiling them took ~0.17 s, more than half of
`tracker history`'s 0.3 s. These are the package's own objects (`tests/test_store_engine.py`).

Importing the package also sets the engine up to scan Python objects: a query that reads an
Arrow table given to `register` needs it imported first, as `tracker.store.bulk` does.
"""

from _duckdb import CatalogException, Error, IOException, connect
from _duckdb import DuckDBPyConnection as Connection

__all__ = ["CatalogException", "Connection", "Error", "IOException", "connect"]
