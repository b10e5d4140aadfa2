"""The hub's flow: merge the runs workers exported to the shared folder, send their alerts."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from tracker.settings import Settings
from tracker.shared.merge import MergeReport, merge_and_alert
from tracker.sync import utc_now


@flow(name="tracker-merge")
def merge_flow(shared: str, db: str | None = None) -> MergeReport:
    """Merge every export not merged yet into the hub's database (`db` or the settings')."""
    settings = Settings(db=db) if db else Settings()
    return merge_and_alert(settings.db_path, Path(shared), utc_now())
