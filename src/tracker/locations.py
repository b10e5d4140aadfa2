"""Where tracker's files are: the rules `tracker.settings.Settings` is built on, and the
database path read without loading every setting.

Loading `Settings` imports pydantic-settings (a large share of a read command's start),
yet `history` and the other read commands need one value from it: the database path.
`quick_db_path` reads it from the same rules when nothing else is configured; otherwise
(another TRACKER_* variable, another key in the config file, anything unusual) it answers
None and the caller loads `Settings`, which validates everything and reports bad settings.

This module imports nothing beyond the standard library (tomllib only when a config
file exists).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "TRACKER_"
DB_ENV = f"{ENV_PREFIX}DB"  # also read by the global --db option
CONFIG_FILE_ENV = "TRACKER_CONFIG"
DEFAULT_CONFIG_FILE = Path("tracker.toml")
DEFAULT_DATA_DIR = Path("storage")
DB_FILE_NAME = "tracker.duckdb"
# Settings whose every non-empty text value is valid: `Path(text)`.
PATH_SETTINGS = ("db", "data_dir")


def config_file(environ: Mapping[str, str] = os.environ) -> Path:
    """The TOML file settings are read from: $TRACKER_CONFIG, else ./tracker.toml."""
    return Path(environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))


def db_path_of(db: Path | None, data_dir: Path) -> Path:
    """The database: the `db` setting, else tracker.duckdb in the data directory."""
    return db if db is not None else data_dir / DB_FILE_NAME


def quick_db_path(db: Path | None, environ: Mapping[str, str] = os.environ) -> Path | None:
    """`Settings(db=db).db_path` (`Settings()` when db is None) when only the path settings
    are set, in the environment or the config file; None when that takes loading them all."""
    from_env = _path_settings_in_env(environ)
    from_file = _path_settings_in_file(config_file(environ))
    if from_env is None or from_file is None:
        return None
    values = from_file | from_env  # the environment wins over the file
    if db is None and "db" in values:
        db = Path(values["db"])
    return db_path_of(db, Path(values.get("data_dir", DEFAULT_DATA_DIR)))


def _path_settings_in_env(environ: Mapping[str, str]) -> dict[str, str] | None:
    """TRACKER_DB and TRACKER_DATA_DIR; None if any other TRACKER_* variable could be a
    setting (names are case-insensitive there) or a value is empty."""
    found = {}
    for key, value in environ.items():
        if key == CONFIG_FILE_ENV or not key.upper().startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if key != ENV_PREFIX + name.upper() or name not in PATH_SETTINGS or not value:
            return None
        found[name] = value
    return found


def _path_settings_in_file(path: Path) -> dict[str, str] | None:
    """The config file's path settings ({} without a file); None if it has anything else,
    is not plain TOML of non-empty strings, or cannot be read."""
    if not path.exists() and not path.expanduser().exists():
        return {}
    if path.expanduser() != path or not path.is_file():
        return None
    import tomllib

    try:
        with path.open("rb") as file:
            table = tomllib.load(file)
    except (OSError, ValueError):
        return None
    if not all(
        key in PATH_SETTINGS and isinstance(value, str) and value for key, value in table.items()
    ):
        return None
    return {key: str(value) for key, value in table.items()}
