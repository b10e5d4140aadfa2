"""DuckDB storage: profiles, runs, fetches, metric observations, papers and changes."""

from tracker.store.database import Store
from tracker.store.models import FetchOutcome, FetchStatus, Profile, RunStatus

__all__ = ["FetchOutcome", "FetchStatus", "Profile", "RunStatus", "Store"]
