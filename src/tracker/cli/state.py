"""Options every command shares (the global --db), and the settings they lead to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.locations import quick_db_path

if TYPE_CHECKING:
    from tracker.settings import Settings


class CliState:
    """Options every command shares, set by the global callback (or the lean path)."""

    def __init__(self, db: Path | None) -> None:
        self.db = db

    def settings(self) -> Settings:
        """Every setting, validated; a bad one is a one-line error."""
        from pydantic import ValidationError

        from tracker.settings import Settings

        try:
            return Settings(db=self.db) if self.db else Settings()
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise TrackerError(
                f"bad setting {where}: {first['msg']}",
                hint="check the TRACKER_* environment variables and tracker.toml",
            ) from None

    def db_path(self) -> Path:
        """`settings().db_path`, without loading every setting when only paths are set."""
        return quick_db_path(self.db) or self.settings().db_path
